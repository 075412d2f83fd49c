"""KML and KMZ as Google My Maps exports them.

Each ``<Folder>`` is a map layer: its name becomes ``source_layer`` (and hints at the helix
when the file has no helix column). A ``<Placemark>`` gives a name, an HTML description,
``<ExtendedData>`` fields (``Data``/``value`` and ``SchemaData``/``SimpleData``) and a
geometry; lines and polygons are kept (``normalise`` turns them into a flagged
representative point), never dropped.

KML is XML from strangers: it is parsed with defusedxml, which refuses DTDs and entities
(XXE, billion laughs). A KMZ is unpacked in memory with bounded sizes, never to disk.
A My Maps layer exported with "keep data up to date" holds only a ``<NetworkLink>`` back
to Google and no data; that is reported instead of returning an empty layer.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from metacluster._errors import InputFileError
from metacluster._text import counted
from metacluster.read._raw import (
    RawLayer,
    check_row_limit,
    geometry_problem,
    open_archive,
    read_member,
    text_frame,
)

_GEOMETRY_TAGS = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry")
_REFUSED_XML = {
    "DTDForbidden": "a <!DOCTYPE> declaration",
    "EntitiesForbidden": "an <!ENTITY> declaration",
    "ExternalReferenceForbidden": "a reference to an external file or URL",
}


def _parse(path: Path, data: bytes) -> Element:
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as e:
        found = _REFUSED_XML.get(type(e).__name__, "a DTD or entity declaration")
        raise InputFileError(
            path,
            f"contains a DTD or XML entities ({found}), which are refused for safety: "
            "they could make the reader fetch local files (XXE) or expand to gigabytes",
            "Export the map again from Google My Maps or Google Earth; do not edit in "
            "<!DOCTYPE> or <!ENTITY> declarations",
        ) from e
    except ParseError as e:
        raise InputFileError(
            path, f"is not well-formed XML ({e})", "Export the map again; the file may be cut off"
        ) from e
    for element in root.iter():  # drop namespaces: kml/2.2, earth.google.com, gx:
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    if root.tag != "kml":
        raise InputFileError(
            path, f"is XML but not KML (root element <{root.tag}>)", "Export the map as KML or KMZ"
        )
    return root


def _text(element: Element | None) -> str | None:
    text = (element.text or "").strip() if element is not None else ""
    return text or None


def _coordinates(text: str | None) -> list[tuple[float, float]]:
    points = [tuple(float(v) for v in chunk.split(",")[:2]) for chunk in (text or "").split()]
    if not points:
        raise ValueError("it has no coordinates")
    if any(len(p) != 2 for p in points):
        raise ValueError(f"coordinates need longitude,latitude: {text!r}")
    if not all(math.isfinite(v) for p in points for v in p):
        raise ValueError(f"coordinates must be finite numbers: {text!r}")
    return points  # type: ignore[return-value]


MAX_GEOMETRY_DEPTH = 8
"""Deepest nesting of MultiGeometry accepted (maps need one level; more is an attack)."""


def _geometry(element: Element, depth: int = 0) -> BaseGeometry:
    """One KML geometry element (namespaces already dropped) → shapely geometry."""
    if depth > MAX_GEOMETRY_DEPTH:
        raise ValueError(f"MultiGeometry nested more than {MAX_GEOMETRY_DEPTH} levels deep")
    if element.tag == "Point":
        return shapely.Point(_coordinates(element.findtext("coordinates"))[0])
    if element.tag in ("LineString", "LinearRing"):
        return shapely.LineString(_coordinates(element.findtext("coordinates")))
    if element.tag == "Polygon":
        outer = _coordinates(element.findtext("outerBoundaryIs/LinearRing/coordinates"))
        holes = [
            _coordinates(ring.findtext("coordinates"))
            for ring in element.findall("innerBoundaryIs/LinearRing")
        ]
        return shapely.Polygon(outer, holes)
    parts = [_geometry(child, depth + 1) for child in element if child.tag in _GEOMETRY_TAGS]
    return shapely.GeometryCollection(parts)


def _fields(placemark: Element) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": _text(placemark.find("name")),
        "description": _text(placemark.find("description")),
    }
    if placemark.find("address") is not None:
        record["address"] = _text(placemark.find("address"))
    extended = [
        (d.get("name"), _text(d.find("value"))) for d in placemark.iterfind("ExtendedData/Data")
    ]
    extended += [
        (d.get("name"), _text(d)) for d in placemark.iterfind("ExtendedData/SchemaData/SimpleData")
    ]
    for key, value in extended:
        key = key or "data"
        while key in record:
            key += " (data)"
        record[key] = value
    return record


def _placemarks(root: Element, default_layer: str) -> list[tuple[str, Element]]:
    """(layer name, placemark) in document order; unnamed folders get ``default_layer``."""
    found: list[tuple[str, Element]] = []
    stack = [(iter(root), default_layer)]  # no recursion: folders may nest 1,000 deep
    while stack:
        children, layer = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
        elif child.tag == "Placemark":
            found.append((layer, child))
        elif child.tag in ("Folder", "Document"):
            stack.append((iter(child), _text(child.find("name")) or layer))
    return found


def parse_kml(path: Path, data: bytes, *, layer: str | None = None) -> RawLayer:
    """KML bytes → RawLayer; ``path`` names the file in messages (the KMZ for a KMZ)."""
    root = _parse(path, data)
    document_name = _text(root.find("Document/name")) or _text(root.find("Folder/name"))
    default_layer = document_name or path.stem
    placemarks = _placemarks(root, default_layer)
    if not placemarks:
        if root.find(".//NetworkLink") is not None:
            raise InputFileError(
                path,
                "is a network link to a Google My Maps layer: it holds no placemarks, only "
                "a link that Google Earth follows online, so there is nothing to import offline",
                "Export the layer with its data: in My Maps open the layer's ⋮ menu → "
                'Export to KML/KMZ, and untick "Keep data up to date with network link KML"',
            )
        raise InputFileError(
            path,
            "has no placemarks: nothing to import",
            "Check that the right map or layer was exported",
        )
    check_row_limit(path, len(placemarks))
    raw = RawLayer(
        file=path,
        frame=pd.DataFrame(),
        source_row=[],
        default_layer=default_layer,
        title=_text(root.find("Document/name")),
    )
    unnamed = sum(1 for f in root.iter("Folder") if _text(f.find("name")) is None)
    if unnamed:
        have = "has" if unnamed == 1 else "have"
        raw.warn(f"{counted(unnamed, 'layer')} {have} no name; called them '{default_layer}'")
    layers = list(dict.fromkeys(name for name, _ in placemarks))
    if layer is not None and layer not in layers:
        raise InputFileError(
            path, f"has no layer (folder) named {layer!r}", f"Choose one of: {', '.join(layers)}"
        )
    records, geometries, rows = [], [], []
    row_layers: list[str | None] = []
    for number, (layer_name, placemark) in enumerate(placemarks, start=1):
        if layer is not None and layer_name != layer:
            continue
        element = next((c for c in placemark if c.tag in _GEOMETRY_TAGS), None)
        try:
            geometry = _geometry(element) if element is not None else None
        except (ValueError, shapely.errors.GEOSException) as e:
            assert element is not None  # only a geometry element can fail to parse
            raw.reject(
                number,
                "invalid coordinates",
                f"the placemark's {element.tag} cannot be read ({geometry_problem(e)}); "
                "fix it in My Maps",
                layer=layer_name,
                column="coordinates",
                value=(element.findtext(".//coordinates") or "").strip()[:200],
            )
            continue
        records.append(_fields(placemark))
        geometries.append(geometry)
        rows.append(number)
        row_layers.append(layer_name)
    raw.frame = text_frame(path, records)
    raw.source_row = rows
    raw.source_layer = row_layers
    raw.geometry = gpd.GeoSeries(geometries, crs="EPSG:4326")
    return raw


def read(path: Path, *, layer: str | None = None) -> RawLayer:
    """Read a KML file."""
    return parse_kml(path, path.read_bytes(), layer=layer)


def read_kmz(path: Path, *, layer: str | None = None) -> RawLayer:
    """Read the main KML of a KMZ (``doc.kml``, else the first ``.kml`` member)."""
    with open_archive(path) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".kml")]
        if not names:
            raise InputFileError(
                path,
                "is a ZIP archive with no .kml file inside",
                "Export the map as KMZ or KML again",
            )
        main = "doc.kml" if "doc.kml" in names else names[0]
        data = read_member(path, archive, main)
    return parse_kml(path, data, layer=layer)
