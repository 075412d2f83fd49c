"""User text never becomes markup, formulas or broken XML on the way out (issue 12).

Markdown: every place the app shows text from a file, a file name or the URL escapes it
(``guard.escape_markdown``), so a ``[link](…)`` or ``![img](…)`` payload is shown as text
and loads nothing. CSV: column names and formulas after an embedded ``;``/``,`` are
neutralised like leading ones. KML: control characters in column names are dropped.
"""

from __future__ import annotations

import csv
import io
import re

import defusedxml.ElementTree as SafeET
import geopandas as gpd
import pytest
from streamlit.testing.v1 import AppTest

from metacluster.export.csv import frame_to_csv
from metacluster.export.kml import KML_NAMESPACE, to_kml
from metacluster.ui.guard import WORD_JOINER, escape_markdown
from tests.conftest import PROJECT_ROOT

LINK = "[click me](http://127.0.0.1:9/track)"
IMAGE = "![pixel](http://127.0.0.1:9/pixel.png)"


def _unescaped_markup(text: str) -> bool:
    """Whether Markdown would still see a link, an image, a tag or a bare URL in ``text``:
    any of ``[ ] ( ) ! < > :`` not escaped by a backslash."""
    return re.search(r"(?<!\\)[\[\]()!<>:]", text) is not None


@pytest.mark.parametrize(
    "payload", [LINK, IMAGE, "<img src=x onerror=alert(1)>", "see http://127.0.0.1:9/x"]
)
def test_escaped_text_has_no_markup_left(payload: str) -> None:
    shown = escape_markdown(payload)
    assert not _unescaped_markup(shown)
    assert "](http" not in shown and "www." not in shown
    assert shown.replace("\\", "").replace(WORD_JOINER, "") == payload  # shown literally


# --- CSV -------------------------------------------------------------------------------


def test_csv_export_neutralises_header_names_and_formulas_after_separators() -> None:
    frame = gpd.GeoDataFrame(
        {
            '=HYPERLINK("http://evil")': ["x", "y", "z"],
            "name": ['Lille;=HYPERLINK("http://evil")', "Lyon, +33 1 23", "Paris; -2+3"],
            "plain": ["Saint-Denis", "a;b", "C&A, Lille"],
        },
        geometry=gpd.points_from_xy([3.0, 4.8, 2.3], [50.6, 45.7, 48.8]),
        crs=4326,
    )
    text = frame_to_csv(frame).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == '\'=HYPERLINK("http://evil")'
    assert [row[1] for row in rows[1:]] == [
        'Lille;\'=HYPERLINK("http://evil")',
        "Lyon, '+33 1 23",
        "Paris; '-2+3",
    ]
    assert [row[2] for row in rows[1:]] == ["Saint-Denis", "a;b", "C&A, Lille"]
    for separator in (";", ","):  # as a spreadsheet set to either separator splits it
        for line in text.splitlines():
            for part in line.replace('"', "").split(separator):
                assert not part.lstrip(" ").startswith(("=", "+", "@")), part


# --- KML -------------------------------------------------------------------------------


def test_kml_export_drops_control_characters_from_column_names() -> None:
    actors = gpd.GeoDataFrame(
        {
            "name": ["Lille Campus"],
            "helix": ["academia"],
            "bad\x00name\x07\x1b": ["value\x0b"],
            "tab\tand\nline": ["kept"],
        },
        geometry=gpd.points_from_xy([3.0], [50.6]),
        crs=4326,
    )
    root = SafeET.fromstring(to_kml(actors, name="Map\x01"), forbid_dtd=True)
    ns = {"k": KML_NAMESPACE}
    fields = {
        d.get("name"): d.findtext("k:value", namespaces=ns)
        for d in root.iterfind(".//k:ExtendedData/k:Data", ns)
    }
    assert fields["badname"] == "value"
    assert fields["tab\tand\nline"] == "kept"  # XML 1.0 allows tab, LF and CR
    assert root.findtext("k:Document/k:name", namespaces=ns) == "Map"


# --- the app ---------------------------------------------------------------------------


def _all_text(at: AppTest) -> list[str]:
    shown = [e.value for e in (*at.error, *at.warning, *at.markdown, *at.caption, *at.info)]
    return [str(text) for text in shown]


def test_url_parameters_and_upload_messages_are_shown_as_text(app_on_mirror: None) -> None:
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=180)
    at.query_params.update({"manifest": IMAGE})
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(escape_markdown(repr(IMAGE)) in w for w in warnings), warnings
    at.query_params.update({"metric": LINK})
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any(escape_markdown(repr(LINK)) in w for w in warnings), warnings
    hostile = f"{LINK}\n{IMAGE}\n".encode()  # a CSV whose header and row are payloads
    at.file_uploader(key="upload_files").set_value((f"{IMAGE}.csv", hostile, "text/csv"))
    at.run()
    assert not at.exception
    assert at.error or at.warning or at.dataframe  # the upload was read or refused
    for text in _all_text(at):
        if IMAGE[2:8] in text or LINK[1:6] in text:
            assert escape_markdown(IMAGE) in text or escape_markdown(LINK) in text, text
