"""Tabular JSON and CORDIS organisation exports (JSON and CSV)."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacluster import InputFileError
from metacluster.read import read_layer

DATA = Path(__file__).parent / "data"


def test_array_of_records_with_italian_words_and_numbers_as_text_or_numbers() -> None:
    result = read_layer(DATA / "records.json")
    actors = result.actors.set_index("name")
    assert list(actors["helix"]) == ["academia", "government", "civil_society"]
    assert list(actors["country"]) == ["IT", "IT", "IT"]  # "Italia" → IT
    assert actors.loc["Politecnico di Milano", "themes"] == ["design", "engineering"]
    comune = actors.geometry["Comune di Milano"]
    assert (comune.x, comune.y) == pytest.approx((9.19, 45.4642), abs=1e-6)
    assert actors.loc["Fondazione Prada", "position_source"] == "city"  # "Milano" → Milan


def test_data_wrapper_and_combined_geo_point_column() -> None:
    result = read_layer(DATA / "wrapped.json")
    actors = result.actors.set_index("name")
    assert list(actors["helix"]) == ["academia", "government"]
    uni = actors.geometry["Universidad de Sevilla"]
    assert (uni.x, uni.y) == pytest.approx((-5.9869, 37.3772), abs=1e-6)


def test_cordis_json() -> None:
    result = read_layer(DATA / "cordis_organization.json")
    actors = result.actors.set_index("name")
    assert dict(actors["helix"]) == {
        "UNIVERSITE DE LILLE": "academia",
        "ATHENS DIGITAL ARTS SA": "business",  # "PRC;PRC"
        "CITY OF LEEDS": "government",
        "STICHTING CULTUURNETWERK": "civil_society",  # "OTH;REC" disagree: by name
    }
    assert actors.loc["STICHTING CULTUURNETWERK", "helix_raw"] == "OTH;REC"
    assert dict(actors["helix_source"]) == {
        "UNIVERSITE DE LILLE": "column",
        "ATHENS DIGITAL ARTS SA": "column",
        "CITY OF LEEDS": "column",
        "STICHTING CULTUURNETWERK": "name",
    }
    assert list(actors["country"]) == ["FR", "EL", "UK", "NL"]
    assert list(actors["nuts_code"]) == ["FRE11", "EL303", "UKE42", "NL329"]
    assert actors.loc["CITY OF LEEDS", "website"] == "https://www.leeds.gov.uk"
    assert actors.loc["ATHENS DIGITAL ARTS SA", "shortName"] == "ADA"  # kept as extra
    leeds = actors.geometry["CITY OF LEEDS"]
    assert (leeds.x, leeds.y) == pytest.approx((-1.5491, 53.8008), abs=1e-6)
    assert not any("helix unknown" in m for m in result.warnings["message"])


def test_cordis_csv_second_participation_folds_into_the_organisation() -> None:
    result = read_layer(DATA / "cordis_organization.csv")
    assert list(result.actors["name"]) == [
        "UNIVERSITE DE LILLE",
        "SOFIA TECH PARK AD",
        "MUNICIPALITY OF THESSALONIKI",
    ]
    assert list(result.actors["helix"]) == ["academia", "business", "government"]
    assert list(result.actors["country"]) == ["FR", "BG", "EL"]
    assert result.rejects.empty and result.folded == 1
    assert len(result.actors["projects"].iloc[0]) == 2


def test_non_record_elements_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text('[{"name": "A", "lat": 50.1, "lon": 3.1}, "stray text", 42]', encoding="utf-8")
    result = read_layer(path)
    assert (result.rows_in, result.accepted) == (3, 1)
    assert result.rejects[["row", "reason"]].values.tolist() == [
        [2, "not a record"],
        [3, "not a record"],
    ]


def test_json_that_is_not_a_table_raises(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"theme": "dark", "zoom": 7}', encoding="utf-8")
    with pytest.raises(InputFileError, match="neither an array of records"):
        read_layer(path)
