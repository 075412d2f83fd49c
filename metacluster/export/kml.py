"""KML export of actors, shaped so that Google My Maps imports it back as a layered map.

One ``<Folder>`` per helix, named with the SmartCulture layer names (Academic/Scientific,
Business, Political, Societal Participation, and "Unknown helix"); one ``<Style>`` per
helix in its colour; per actor a ``<Placemark>`` with its name, a plain-text description,
every other column as ``<ExtendedData>`` ``<Data>`` fields (what My Maps shows as the
layer's table) and a ``<Point>``. The tree is built with ``xml.etree.ElementTree``, so all
text is escaped; characters that XML 1.0 forbids (control characters) are removed.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Any, Final

import geopandas as gpd
import numpy as np

from metacluster import settings
from metacluster.export.csv import LIST_SEPARATOR, point_coordinates
from metacluster.export.geojson import POINT_PRECISION, json_column
from metacluster.schema import CRS, HELICES, HELIX_COLOURS, UNKNOWN_HELIX, helix_or_unknown

KML_NAMESPACE: Final = "http://www.opengis.net/kml/2.2"
MEDIA_TYPE: Final = "application/vnd.google-earth.kml+xml"
HELIX_LAYER_NAMES: Final = {
    "academia": "Academic/Scientific",
    "business": "Business",
    "government": "Political",
    "civil_society": "Societal Participation",
    UNKNOWN_HELIX: "Unknown helix",
}
"""Folder names: the layer names of the SmartCulture regional My Maps."""

_PLACEMARK_COLUMNS: Final = ("name", "description")
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TAG: Final = re.compile(r"<[^>]+>")
_LINE_BREAK: Final = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)


def to_kml(actors: gpd.GeoDataFrame, *, name: str | None = None) -> bytes:
    """Actors as a KML document (UTF-8 bytes) that Google My Maps can import.

    Parameters
    ----------
    actors
        Point actors with at least ``name`` and ``helix``.
    name
        The document's name (the map title in My Maps); None: "metacluster actors".

    Examples
    --------
    >>> to_kml(europe, name="SmartCulture")[:38]
    b"<?xml version='1.0' encoding='UTF-8'?>"
    """
    missing = [c for c in ("name", "helix") if c not in actors.columns]
    if missing:
        raise ValueError(f"cannot write KML: the actors have no {', '.join(missing)} column")
    if actors.crs is None:
        raise ValueError("the actors have no CRS; set it (e.g. EPSG:4326) before exporting")
    if not actors.crs.equals(CRS):
        actors = actors.to_crs(CRS)
    coordinates = point_coordinates(actors.geometry.to_numpy()).round(POINT_PRECISION)
    lon, lat = coordinates[:, 0].tolist(), coordinates[:, 1].tolist()
    helix = helix_or_unknown(actors["helix"]).to_numpy()
    data_columns = [
        c for c in actors.columns if c not in (*_PLACEMARK_COLUMNS, actors.geometry.name)
    ]
    data = {c: json_column(actors[c]) for c in data_columns}
    names = json_column(actors["name"])
    descriptions = (
        json_column(actors["description"]) if "description" in actors else [None] * len(actors)
    )

    root = ET.Element("kml", xmlns=KML_NAMESPACE)
    document = ET.SubElement(root, "Document")
    _text(document, "name", name or "metacluster actors")
    _text(document, "description", settings.attribution)
    for helix_value in (*HELICES, UNKNOWN_HELIX):
        _style(document, helix_value)
    for helix_value in (*HELICES, UNKNOWN_HELIX):
        rows = np.flatnonzero(helix == helix_value).tolist()
        if not rows:
            continue
        folder = ET.SubElement(document, "Folder")
        _text(folder, "name", HELIX_LAYER_NAMES[helix_value])
        for row in rows:
            placemark = ET.SubElement(folder, "Placemark")
            _text(placemark, "name", _cell(names[row]) or "")
            description = _plain_text(_cell(descriptions[row]))
            if description:
                _text(placemark, "description", description)
            _text(placemark, "styleUrl", f"#helix-{helix_value}")
            extended = ET.SubElement(placemark, "ExtendedData")
            for column in data_columns:
                value = _cell(data[column][row])
                if value is not None:
                    field = ET.SubElement(extended, "Data", name=_NOT_XML.sub("", str(column)))
                    _text(field, "value", value)
            if np.isfinite(lon[row]) and np.isfinite(lat[row]):
                point = ET.SubElement(placemark, "Point")
                _text(point, "coordinates", f"{lon[row]!r},{lat[row]!r}")
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _style(document: ET.Element, helix: str) -> None:
    red, green, blue = HELIX_COLOURS[helix]
    style = ET.SubElement(document, "Style", id=f"helix-{helix}")
    icon = ET.SubElement(style, "IconStyle")
    _text(icon, "color", f"ff{blue:02x}{green:02x}{red:02x}")  # KML colours are aabbggrr


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _NOT_XML.sub("", text)
    return element


def _cell(value: Any) -> str | None:
    """A JSON-safe value as field text: lists joined like the CSV export, None kept."""
    if value is None:
        return None
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value if v is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain_text(text: str | None) -> str:
    """Descriptions without HTML (My Maps descriptions often carry <br> and links)."""
    if not text:
        return ""
    text = _TAG.sub("", _LINE_BREAK.sub("\n", text))
    return html.unescape(text).strip()
