"""KML/KMZ reader: My Maps layers, ExtendedData, HTML, unsafe XML, network links, real files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from metacluster import InputFileError, InputLimitError, settings
from metacluster.read import read_layer

DATA = Path(__file__).parent / "data"


def _kmz(path: Path, kml: bytes, *, member: str = "doc.kml") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, kml)
        archive.writestr("images/icon-1.png", b"\x89PNG fake icon")
    return path


def test_mymaps_folders_are_layers_and_helix_hints() -> None:
    result = read_layer(DATA / "mymaps.kml")
    actors = result.actors.set_index("name")
    assert result.summary()["helix"] == {
        "academia": 2,
        "business": 2,
        "government": 2,
        "civil_society": 2,
    }
    assert actors.loc["Université de Lille", "source_layer"] == "Academic/Scientific"
    assert actors.loc["Université de Lille", "helix_raw"] == "Academic/Scientific"
    assert actors.loc["Région Hauts-de-France", "helix"] == "government"  # "Political"
    assert actors.loc["Louvre-Lens", "helix"] == "civil_society"  # "Societal Participation"
    assert list(actors["source_row"]) == list(range(1, 9))
    lens = actors.geometry["Louvre-Lens"]
    assert (lens.x, lens.y) == pytest.approx((2.8049, 50.4317), abs=1e-6)


def test_extended_data_and_html_descriptions() -> None:
    actors = read_layer(DATA / "mymaps.kml").actors.set_index("name")
    # <Data name="Website"> and <Data name="Themes">
    assert actors.loc["Université de Lille", "website"] == "https://www.univ-lille.fr"
    assert actors.loc["Université de Lille", "themes"] == ["digital", "heritage"]
    assert actors.loc["Université de Lille", "description"] == (
        "Public university\nCampus cité scientifique"
    )
    # HTML turned into text; its link becomes the website as none is given.
    assert actors.loc["IMT Nord Europe", "description"] == (
        "Engineering school\nSite: imt-nord-europe.fr & more"
    )
    assert actors.loc["IMT Nord Europe", "website"] == "https://imt-nord-europe.fr"
    # <SchemaData><SimpleData name="City">
    assert actors.loc["Louvre-Lens", "city"] == "Lens"


def test_polygon_placemark_becomes_flagged_representative_point() -> None:
    result = read_layer(DATA / "mymaps.kml")
    office = result.actors.set_index("name").loc["MEL territory office"]
    assert (office.geometry.x, office.geometry.y) == pytest.approx((3.1, 50.65), abs=1e-6)
    assert office["position_note"] == "representative point of a Polygon"
    assert result.warnings[["row", "layer"]].values.tolist() == [[6, "Political"]]


def test_kmz_reads_doc_kml_in_memory(tmp_path: Path) -> None:
    path = _kmz(tmp_path / "lille.kmz", (DATA / "mymaps.kml").read_bytes())
    result = read_layer(path)
    direct = read_layer(DATA / "mymaps.kml")
    assert list(result.actors["name"]) == list(direct.actors["name"])
    assert list(result.actors["helix"]) == list(direct.actors["helix"])
    assert set(result.actors["source_file"]) == {"lille.kmz"}


def test_kmz_with_another_kml_member_name(tmp_path: Path) -> None:
    path = _kmz(tmp_path / "other.kmz", (DATA / "mymaps.kml").read_bytes(), member="map.kml")
    assert read_layer(path).accepted == 8


def test_kmz_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    padded = (
        (DATA / "mymaps.kml").read_bytes().replace(b"<Document>", b"<Document>" + b" " * 2_000_000)
    )
    path = _kmz(tmp_path / "bomb.kmz", padded)
    with pytest.raises(InputLimitError, match=r"compressed \d+:1"):
        read_layer(path)


def test_kmz_over_the_unzipped_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "max_unzipped_bytes", 1000)
    path = _kmz(tmp_path / "big.kmz", (DATA / "mymaps.kml").read_bytes())
    with pytest.raises(InputLimitError, match="over the limit of 1,000"):
        read_layer(path)


@pytest.mark.parametrize("name", ["xxe.kml", "billion_laughs.kml"])
def test_dtds_and_entities_are_refused(name: str) -> None:
    with pytest.raises(InputFileError, match="DTD or XML entities") as raised:
        read_layer(DATA / name)
    assert name in str(raised.value)


def test_layer_option_reads_one_folder() -> None:
    result = read_layer(DATA / "mymaps.kml", layer="Business")
    assert list(result.actors["name"]) == ["EuraTechnologies", "Plaine Images"]
    assert list(result.actors["source_row"]) == [3, 4]  # placemark numbers in the file
    with pytest.raises(InputFileError, match="Academic/Scientific, Business, Political"):
        read_layer(DATA / "mymaps.kml", layer="Culture")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>x</name></Document></kml>',
            "has no placemarks",
        ),
        ("<kml><Document><Placemark>", "not well-formed XML"),
        ('<?xml version="1.0"?><gpx><wpt lat="1" lon="2"/></gpx>', "not KML"),
    ],
)
def test_unusable_kml_raises(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.kml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=problem):
        read_layer(path)


def test_bad_coordinates_reject_the_placemark(tmp_path: Path) -> None:
    path = tmp_path / "coords.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<Placemark><name>Good</name><Point><coordinates>3.1,50.6</coordinates></Point>"
        "</Placemark><Placemark><name>Bad</name><Point><coordinates>abc</coordinates></Point>"
        "</Placemark></Document></kml>",
        encoding="utf-8",
    )
    result = read_layer(path)
    assert list(result.actors["name"]) == ["Good"]
    assert result.rejects[["row", "reason", "value"]].values.tolist() == [
        [2, "invalid coordinates", "abc"]
    ]


def test_real_genk_export_keeps_the_route_as_a_flagged_point(realdata: Path) -> None:
    result = read_layer(realdata / "mymaps-genk-nuttelozeborden.kml")
    assert (result.rows_in, result.accepted, result.rejected) == (70, 70, 0)
    layers = result.actors["source_layer"].value_counts().to_dict()
    assert layers == {"Stops": 69, "Route": 1}
    route = result.actors[result.actors["source_layer"] == "Route"].iloc[0]
    assert route["name"] == "Nutteloze Borden Genk"
    assert route["position_note"] == "representative point of a LineString"
    assert any("LineString" in m for m in result.warnings["message"])
    stops = result.actors[result.actors["source_layer"] == "Stops"]
    assert stops["name"].iloc[0] == "1. Gevel Stadhuis"
    assert "7. Poëzierek in de bib" in set(stops["name"])
    assert stops["position_note"].isna().all()

    # a walk past the town's places: those named by their kind get a helix from the name
    # (town hall, library, shop, café, barber, chapel; Dutch compounds too), the benches,
    # poles and trees (not organisations) stay unknown
    helix = dict(zip(stops["name"], stops["helix"], strict=True))
    assert helix["1. Gevel Stadhuis"] == helix["28. Oud Gemeentehuis"] == "government"
    assert helix["6. Bibliotheek"] == helix["34. Kapel"] == "civil_society"
    assert helix['14. Stripwinkel "Het Negende Labyrint"'] == "business"
    assert helix["22. MAU Kattencafé"] == helix["29. Barbershop Cesar"] == "business"
    assert helix["9. Boom"] == helix["16. Bankje"] == helix["59. Lantaarnpaal"] == "unknown"
    assert (stops["helix"] == "unknown").sum() == 59


def test_real_paris_export_names_the_unnamed_layer(realdata: Path) -> None:
    result = read_layer(realdata / "mymaps-paris-unnamed-layer-doc.kml")
    assert (result.rows_in, result.accepted) == (29, 29)
    assert set(result.actors["source_layer"]) == {"mymaps-paris-unnamed-layer-doc"}
    assert result.actors["name"].iloc[0] == "Place du Trocadero"
    point = result.actors.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx((2.28717860000006, 48.8629697), abs=1e-6)
    assert list(result.warnings["message"]) == [
        "1 layer has no name; called them 'mymaps-paris-unnamed-layer-doc'",
        "17 actors without a helix value, and nothing in the names says it: helix unknown; "
        "add a helix column (academia, business, government, civil_society) or give the map a "
        'default helix (helix = "…" in the manifest, --helix-default)',
    ]
    assert result.actors["helix_raw"].isna().all()  # a made-up layer name is no helix hint
    by_name = result.actors[result.actors["helix_source"] == "name"]
    assert set(by_name["helix"]) == {"civil_society"}  # the museums, from their names
    assert "Louvre Museum" in set(by_name["name"])


def test_real_network_link_export_explains_how_to_export_the_data(realdata: Path) -> None:
    with pytest.raises(InputFileError) as raised:
        read_layer(realdata / "mymaps-networklink-behoerde-und-beratung.kmz")
    message = str(raised.value)
    assert "network link" in message
    assert "nothing to import offline" in message
    assert "Export to KML/KMZ" in message
    assert "Keep data up to date" in message


def test_unnamed_folder_takes_the_document_name(tmp_path: Path) -> None:
    path = tmp_path / "doc.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Brabant actors</name>'
        "<Folder><Placemark><name>TU/e</name><Point><coordinates>5.4900,51.4480,0"
        "</coordinates></Point></Placemark></Folder>"
        "<Placemark><name>Loose pin</name><Point><coordinates>5.47,51.44</coordinates>"
        "</Point></Placemark></Document></kml>",
        encoding="utf-8",
    )
    result = read_layer(path)
    assert list(result.actors["source_layer"]) == ["Brabant actors", "Brabant actors"]
    assert result.warnings["message"].iloc[0] == (
        "1 layer has no name; called them 'Brabant actors'"
    )
