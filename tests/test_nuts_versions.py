"""Adding a NUTS version is one line (``nuts.YEARS``) plus its files in the mirror.

A made-up NUTS "2027" (the 2024 files with Alentejo renamed PT1C -> PT1X) proves that every
version rule loops over all known versions instead of assuming two.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest

from metacluster import locate, nuts, settings
from metacluster._errors import NutsCodeError
from metacluster.schema import NUTS_LEVELS


@pytest.fixture
def three_versions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, nuts_mirror: Path
) -> Iterator[Path]:
    source = tmp_path / "mirror"
    source.mkdir()
    for year in (2021, 2024):
        for level in NUTS_LEVELS:
            name = nuts.file_name(year, level, "20M")
            (source / name).symlink_to(nuts_mirror / name)
    for level in NUTS_LEVELS:
        text = (nuts_mirror / nuts.file_name(2024, level, "20M")).read_text(encoding="utf-8")
        (source / nuts.file_name(2027, level, "20M")).write_text(
            text.replace('"PT1C', '"PT1X'), encoding="utf-8"
        )
    monkeypatch.setattr(nuts, "YEARS", (*nuts.YEARS, 2027))
    monkeypatch.setattr(settings, "nuts_source", str(source))
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "display_scale", "20M")
    nuts.clear_memory_cache()
    yield source
    nuts.clear_memory_cache()


def test_the_nearest_other_version_is_tried_first() -> None:
    assert nuts.other_years(2021) == tuple(y for y in nuts.YEARS if y != 2021)


def test_a_third_version_is_known_everywhere_nuts_years_is_read(three_versions: Path) -> None:
    assert nuts.other_years(2027) == (2024, 2021)
    assert nuts.check_year(2027) == 2027
    region = nuts.lookup("PT1X", year=2027)
    assert (region.year, region.name_latn, region.note) == (2027, "Alentejo", None)


def test_a_code_of_the_previous_version_finds_its_successor(three_versions: Path) -> None:
    region = nuts.lookup("PT1C", year=2027)
    assert region.year == 2024
    assert [code for code, _, _ in region.equivalents] == ["PT1X"]
    assert region.note is not None
    assert region.note.startswith("PT1C (Alentejo) is a NUTS 2024 code, not NUTS 2027")


def test_a_code_two_versions_back_is_found_too(three_versions: Path) -> None:
    region = nuts.lookup("PT18", year=2027)
    assert region.year == 2021
    assert region.equivalents[0][0] == "PT1X"


def test_an_unknown_code_names_every_version(three_versions: Path) -> None:
    with pytest.raises(
        NutsCodeError, match=r"^FRZ99 is not a NUTS 2027 code, nor a NUTS 2024 or 2021 code"
    ):
        nuts.lookup("FRZ99", year=2027)


def test_the_join_names_every_other_version(three_versions: Path) -> None:
    actors = gpd.GeoDataFrame(
        {"nuts_code": ["ZZ9", "PT1C"]}, geometry=[None, None], crs="EPSG:4326"
    )
    result = locate.join_nuts(actors, year=2027, scale="20M")
    assert (
        result["nuts_note"]
        .iloc[0]
        .startswith(
            "nuts_code ZZ9 is not a NUTS 2027 code, nor a NUTS 2024 or 2021 code: ZZ is not a "
            "country covered by NUTS 2027"
        )
    )
    assert result["nuts2"].iloc[1] == "PT1X"
