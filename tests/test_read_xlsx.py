"""Excel reader: sheet choice, title rows above the header, numeric cells."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from metacluster import InputFileError
from metacluster.read import read_layer


def write_workbook(path: Path) -> Path:
    """A workbook as partners make them: an empty cover sheet, a title above the header."""
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    actors = book.create_sheet("Actors")
    actors.append(["SmartCulture – Lille meta-cluster actors"])
    actors.append([])
    actors.append(
        ["Organisation", "Type of organisation", "Latitude", "Longitude", "Country", "Founded"]
    )
    actors.append(["Université de Lille", "University", 50.61, 3.1418, "FR", 2018])
    actors.append(["Pictanovo", "Cluster", 50.6882, 3.164, "France", 1985])
    actors.append(["Ville de Roubaix", "Municipality", 50.6942, 3.1746, "FR", None])
    actors.append([None, "Company", 50.1, 3.1, "FR", None])
    business = book.create_sheet("Business")
    business.append(["name", "lat", "lon"])
    business.append(["Unlabelled Ltd", 50.5, 3.5])
    book.save(path)
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_workbook(tmp_path / "actors.xlsx")


def test_first_sheet_with_data_and_title_rows(workbook: Path) -> None:
    result = read_layer(workbook)
    actors = result.actors.set_index("name")
    assert list(actors.index) == ["Université de Lille", "Pictanovo", "Ville de Roubaix"]
    assert list(actors["helix"]) == ["academia", "business", "government"]
    assert list(actors["organisation_type"]) == ["University", "Cluster", "Municipality"]
    assert list(actors["source_layer"]) == ["Actors"] * 3
    assert list(actors["source_row"]) == [1, 2, 3]
    point = actors.geometry["Pictanovo"]
    assert (point.x, point.y) == pytest.approx((3.164, 50.6882), abs=1e-6)
    assert actors.loc["Université de Lille", "Founded"] == "2018"  # numbers without ".0"
    assert result.rejects[["row", "reason"]].values.tolist() == [[4, "missing name"]]
    assert "skipped 2 rows above the header row (3)" in list(result.warnings["message"])


def test_sheet_by_name_and_index_and_sheet_names_are_not_helix_hints(workbook: Path) -> None:
    by_name = read_layer(workbook, sheet="Business")
    by_index = read_layer(workbook, sheet=2)
    for result in (by_name, by_index):
        assert list(result.actors["name"]) == ["Unlabelled Ltd"]
        # "Ltd" in the name says business; the sheet called "Business" is not the source
        assert list(result.actors["helix"]) == ["business"]
        assert list(result.actors["helix_source"]) == ["name"]
        assert list(result.actors["source_layer"]) == ["Business"]


def test_unknown_sheet_lists_the_sheets(workbook: Path) -> None:
    with pytest.raises(InputFileError, match="Cover, Actors, Business"):
        read_layer(workbook, sheet="Acteurs")


def test_corrupt_workbook_raises_input_file_error(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not a workbook")
    with pytest.raises(InputFileError, match="not a readable Excel workbook"):
        read_layer(path)
