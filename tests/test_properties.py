"""Property-based tests (hypothesis): what must hold whatever the input.

- Readers, given any bytes in any format, either read the file (and then account for every
  row: ``rows_in == accepted + rejected + folded``) or raise one of the project's own errors, never
  anything else; the same for any table of text cells.
- The NUTS join gives every valid point a region or a reason (``nuts_note``).
- An actor table exported as CSV, GeoJSON or KML reads back with the same names, helices
  and positions.

Examples are kept few (each reads files) so that the module runs in well under a minute.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from contextlib import suppress
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from metacluster import normalise
from metacluster._errors import MetaclusterError
from metacluster._text import fold
from metacluster.export.csv import frame_to_csv, neutralise_formula
from metacluster.export.geojson import to_geojson
from metacluster.export.kml import to_kml
from metacluster.locate import join_nuts
from metacluster.read import READERS, read_layer
from metacluster.schema import HELICES, ImportResult

FEW = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEWER = hypothesis_settings(FEW, max_examples=15)

SUFFIXES = {
    "csv": ".csv",
    "json": ".json",
    "geojson": ".geojson",
    "kml": ".kml",
    "kmz": ".kmz",
    "xlsx": ".xlsx",
    "gpkg": ".gpkg",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


def _check(result: ImportResult) -> None:
    assert result.rows_in == result.accepted + result.rejected + result.folded
    assert result.rows_in >= 0


def _read_both_ways(path: Path, kind: str) -> None:
    """``read_layer`` (format from the extension, content checked) and the format's own reader."""
    with suppress(MetaclusterError):  # anything else fails the test
        _check(read_layer(path))
    with suppress(MetaclusterError):
        _check(normalise.normalise(READERS[kind].read(path)))


# --- any bytes -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SUFFIXES))
@FEW
@given(data=st.binary(max_size=3000))
def test_any_bytes_give_a_result_or_an_input_error(folder: Path, kind: str, data: bytes) -> None:
    path = folder / f"any{SUFFIXES[kind]}"
    path.write_bytes(data)
    _read_both_ways(path, kind)


KML_HEAD = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'


@FEW
@given(body=st.binary(max_size=1000), placemark=st.text(max_size=200))
def test_any_kml_body_gives_a_result_or_an_input_error(
    folder: Path, body: bytes, placemark: str
) -> None:
    document = (
        KML_HEAD
        + b"<Placemark>"
        + placemark.encode("utf-8", "surrogatepass")
        + b"</Placemark>"
        + body
        + b"</Document></kml>"
    )
    for name, data in (("body.kml", document), ("body.kmz", _zip({"doc.kml": document}))):
        (folder / name).write_bytes(data)
        _read_both_ways(folder / name, name.rsplit(".", 1)[1])


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- any JSON ----------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)


def _json_containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


json_values = st.recursive(scalars, _json_containers, max_leaves=30)
coordinates = st.lists(st.floats() | st.integers() | st.text(max_size=3), max_size=4)
geometries = (
    st.none()
    | json_values
    | st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint", "Blob", ""]),
            "coordinates": coordinates
            | st.lists(coordinates, max_size=4)
            | st.lists(st.lists(coordinates, max_size=5), max_size=2),
        }
    )
)
features = json_values | st.fixed_dictionaries(
    {
        "type": st.just("Feature"),
        "properties": json_values
        | st.dictionaries(
            st.sampled_from(["name", "helix", "city", "country", "nuts_code", "lat", "lon"]),
            scalars | json_values,
            max_size=6,
        ),
        "geometry": geometries,
    }
)


@FEW
@given(
    document=json_values
    | st.fixed_dictionaries(
        {"type": st.just("FeatureCollection"), "features": st.lists(features, max_size=6)}
    )
)
def test_any_json_document_gives_a_result_or_an_input_error(folder: Path, document: object) -> None:
    text = json.dumps(document)
    for name in ("doc.geojson", "doc.json"):
        (folder / name).write_text(text)
        _read_both_ways(folder / name, name.rsplit(".", 1)[1])


# --- any table ---------------------------------------------------------------------------------

HEADER_WORDS = [
    "name",
    "Organisation",
    "helix",
    "type",
    "latitude",
    "longitude",
    "lat",
    "lon",
    "city",
    "country",
    "nuts",
    "website",
    "themes",
    "coordinates",
    "",
]
cells = (
    st.text(max_size=15)
    | st.sampled_from(HEADER_WORDS)
    | st.floats(allow_nan=True).map(str)
    | st.sampled_from(["50,63", "3.06", "FRE11", "FR", "Lille", "academia"])
)
tables = st.lists(st.lists(cells, max_size=7), min_size=0, max_size=12)


@FEW
@given(
    header=st.lists(st.sampled_from(HEADER_WORDS) | st.text(max_size=10), max_size=7),
    rows=tables,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_any_csv_table_gives_a_result_or_an_input_error(
    folder: Path, header: list[str], rows: list[list[str]], delimiter: str
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([header, *rows])
    path = folder / "table.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass")
    _read_both_ways(path, "csv")


xlsx_cells = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=15)
    | st.sampled_from(HEADER_WORDS)
    | st.none()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
)


@FEWER
@given(rows=st.lists(st.lists(xlsx_cells, max_size=6), max_size=10))
def test_any_xlsx_sheet_gives_a_result_or_an_input_error(
    folder: Path, rows: list[list[object]]
) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = folder / "sheet.xlsx"
    book.save(path)
    _read_both_ways(path, "xlsx")


# --- the join ----------------------------------------------------------------------------------


anywhere = st.tuples(st.floats(-180, 180), st.floats(-90, 90))
europe = st.tuples(st.floats(-25, 45), st.floats(27, 72))


@FEWER
@given(points=st.lists(europe | anywhere, min_size=1, max_size=25))
def test_the_join_gives_every_valid_point_a_region_or_a_reason(
    mirror: None, points: list[tuple[float, float]]
) -> None:
    lon, lat = np.array(points).T
    actors = gpd.GeoDataFrame(
        {"name": [f"Actor {i}" for i in range(len(points))]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
        index=np.arange(len(points))[::-1],
    )
    joined = join_nuts(actors, year=2021)
    assert joined.index.equals(actors.index)  # nothing dropped, nothing reordered
    placed = joined["nuts_match"].isin(["within", "snapped"])
    assert set(joined["nuts_match"]) <= {"within", "snapped", "unmatched"}
    assert joined.loc[placed, "nuts3"].str.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}").all()
    assert (joined.loc[placed, "nuts3"].str[:2] == joined.loc[placed, "nuts0"]).all()
    assert (joined.loc[placed, "nuts3"].str[:4] == joined.loc[placed, "nuts2"]).all()
    reasons = joined.loc[~placed, "nuts_note"]
    assert reasons.map(lambda note: isinstance(note, str) and len(note) > 10).all()
    assert joined.loc[~placed, "nuts3"].isna().all()


# --- export, then read -------------------------------------------------------------------------

name_text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp")),
        min_size=1,
        max_size=30,
    )
    .map(lambda text: " ".join(text.split()))
    .filter(bool)
)


@st.composite
def actor_tables(draw: st.DrawFn) -> gpd.GeoDataFrame:
    # Names that differ only in case, accents or punctuation are one actor to the reader
    # (duplicate rows are rejected), so they are drawn distinct once folded.
    names = draw(st.lists(name_text, min_size=1, max_size=8, unique_by=fold))
    n = len(names)
    lon = draw(st.lists(st.floats(-5, 9), min_size=n, max_size=n))
    lat = draw(st.lists(st.floats(42, 51), min_size=n, max_size=n))
    helix = draw(st.lists(st.sampled_from(HELICES), min_size=n, max_size=n))
    return gpd.GeoDataFrame(
        {"name": names, "helix": helix}, geometry=gpd.points_from_xy(lon, lat), crs=4326
    )


@pytest.mark.parametrize("fmt", ["csv", "geojson", "kml"])
@FEW
@given(actors=actor_tables())
def test_exported_actors_read_back_the_same(
    folder: Path, fmt: str, actors: gpd.GeoDataFrame
) -> None:
    write = {"csv": frame_to_csv, "geojson": to_geojson, "kml": to_kml}[fmt]
    path = folder / f"export.{fmt}"
    path.write_bytes(write(actors))
    result = read_layer(path)
    assert (result.rows_in, result.accepted) == (len(actors), len(actors)), result.rejects
    back = result.actors.set_index("name")
    names = [neutralise_formula(n) if fmt == "csv" else n for n in actors["name"]]
    assert sorted(back.index) == sorted(names)
    back = back.loc[names]
    assert back["helix"].tolist() == actors["helix"].tolist()
    np.testing.assert_allclose(back.geometry.x, actors.geometry.x, atol=1e-6)
    np.testing.assert_allclose(back.geometry.y, actors.geometry.y, atol=1e-6)
