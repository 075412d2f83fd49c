"""CSV reader: delimiters, encodings, decimal commas, quoted newlines, title rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from metacluster import InputFileError
from metacluster.read import read_layer
from metacluster.read.csv import sniff_delimiter

DATA = Path(__file__).parent / "data"


def _xy(result, name: str) -> tuple[float, float]:
    point = result.actors.set_index("name").geometry[name]
    return point.x, point.y


def test_comma_csv_with_quoted_commas_newlines_and_quotes() -> None:
    result = read_layer(DATA / "actors_comma.csv")
    actors = result.actors.set_index("name")
    assert list(actors.index) == [
        "Université de Lille",
        "EuraTechnologies, Lille",
        "Région Hauts-de-France",
        "Maison Folie Wazemmes",  # "Maison Folie\nWazemmes" in a quoted cell
    ]
    assert list(actors["helix"]) == ["academia", "business", "government", "civil_society"]
    assert list(actors["country"]) == ["FR", "FR", "FR", "FR"]  # "France" → FR
    assert actors.loc["Université de Lille", "themes"] == ["digital", "heritage"]
    assert actors.loc["Maison Folie Wazemmes", "themes"] == ["culture", "participation"]
    assert actors.loc["EuraTechnologies, Lille", "website"] == "https://www.euratechnologies.com"
    # Unknown columns are kept under their own names.
    assert actors.loc["Maison Folie Wazemmes", "Contact person"] == 'Jean "Jo" Dupont'
    assert actors.loc["Université de Lille", "Contact person"] == "Marie Curie"
    assert _xy(result, "Université de Lille") == pytest.approx((3.1418, 50.61), abs=1e-6)
    assert list(actors["source_row"]) == [1, 2, 3, 4]
    assert set(actors["position_source"]) == {"given"}


def test_semicolon_cp1252_with_decimal_commas() -> None:
    result = read_layer(DATA / "actors_semicolon_cp1252.csv")
    actors = result.actors.set_index("name")
    assert list(actors.index) == [
        "Université Polytechnique Hauts-de-France",
        "Société Générale Café",
        "Mairie d'Évreux",
        "Musée des Beaux-Arts",
    ]
    assert list(actors["helix"]) == ["academia", "business", "government", "civil_society"]
    assert list(actors["helix_raw"]) == ["Université", "Entreprise", "Mairie", "Musée"]
    assert actors.loc["Mairie d'Évreux", "city"] == "Évreux"
    assert _xy(result, "Mairie d'Évreux") == pytest.approx((1.1508, 49.0241), abs=1e-6)
    assert _xy(result, "Société Générale Café") == pytest.approx((2.7775, 50.2910), abs=1e-6)
    assert any("cp1252" in m for m in result.warnings["message"])


def test_utf8_bom_is_not_part_of_the_first_column_name() -> None:
    result = read_layer(DATA / "actors_bom.csv")
    assert list(result.actors["name"]) == ["Fábrica Criativa", "Museu Nacional"]
    assert _xy(result, "Fábrica Criativa") == pytest.approx((-8.6109, 41.1496), abs=1e-6)
    assert result.warnings.empty


def test_tab_separated_text_file_with_german_helix_words() -> None:
    result = read_layer(DATA / "actors_tab.txt")
    assert dict(zip(result.actors["name"], result.actors["helix"], strict=True)) == {
        "Universität Wien": "academia",
        "Stadt Wien": "government",
        "Verein Kulturraum": "civil_society",
    }
    assert _xy(result, "Stadt Wien") == pytest.approx((16.3574, 48.2108), abs=1e-6)


def test_pipe_separated() -> None:
    result = read_layer(DATA / "actors_pipe.csv")
    assert list(result.actors["helix"]) == ["academia", "government"]
    assert _xy(result, "Aarhus Kommune") == pytest.approx((10.2039, 56.1529), abs=1e-6)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,5;x\n", ";"),
        ("a\tb\n1,5\t2\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ('name,notes\n"x; y; z",1\n"p; q",2\n', ","),
    ],
)
def test_sniff_delimiter(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


def test_title_rows_above_header_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text(
        "Lille regional meta-cluster;;;\n;;;\nname;helix;lat;lon\n"
        "Plaine Images;business;50,6882;3,1640\n;;;\nIMT Nord Europe;academia;50,6076;3,1654\n",
        encoding="utf-8",
    )
    result = read_layer(path)
    assert list(result.actors["name"]) == ["Plaine Images", "IMT Nord Europe"]
    assert list(result.actors["source_row"]) == [1, 3]  # data rows; the blank row 2 is skipped
    assert result.rows_in == 2
    messages = list(result.warnings["message"])
    assert "skipped 2 rows above the header row (3)" in messages
    assert "skipped 1 blank row" in messages


def test_ragged_row_is_rejected_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(
        "name,lat,lon\nA,50.1,3.1\nB,50.2,3.2,surprise\nC,50.3,3.3,,\n", encoding="utf-8"
    )
    result = read_layer(path)
    assert list(result.actors["name"]) == ["A", "C"]  # trailing empty cells are harmless
    assert result.rejects[["row", "reason"]].values.tolist() == [[2, "ragged row"]]
    assert result.rejects.loc[0, "value"] == "B | 50.2 | 3.2 | surprise"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b"\n\n ; ;\n", "is empty"),
        (b"50.1,3.2\n50.3,3.4\n", "no header row"),
        (b"\x00\x01\x02binary\x00", "binary file"),
    ],
)
def test_unusable_text_files_raise(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=problem):
        read_layer(path)


def test_utf16_text_from_excel_unicode_export(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes(
        "name\thelix\tlat\tlon\nŁódź Uni\tacademia\t51,7592\t19,4560\n".encode("utf-16")
    )
    result = read_layer(path)
    assert list(result.actors["name"]) == ["Łódź Uni"]
    assert _xy(result, "Łódź Uni") == pytest.approx((19.456, 51.7592), abs=1e-6)


def test_csv_parser_errors_become_input_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "huge-cell.csv"
    path.write_text('name,description\nA,"' + "x" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="cannot be read as a table"):
        read_layer(path)
