"""A small hand-built European layer for the app's unit tests (schema, NUTS and merge
columns), with known counts: 3 actors in Toscana (ITI14), 3 in Nord (FRE11), one of them
on both clusters' maps."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import geopandas as gpd
import pandas as pd

from metacluster.schema import ACTOR_COLUMNS, CRS, MERGE_COLUMNS, NUTS_COLUMNS

XSS_NAME = '<img src=x onerror="window.__xss=1">'

_IT = ("IT", "ITI", "ITI1", "ITI14", "Italia", "Centro (IT)", "Toscana", "Firenze")
_FR = ("FR", "FRE", "FRE1", "FRE11", "France", "Hauts-de-France", "Nord-Pas de Calais", "Nord")

_ROWS = [
    # actor_id, name, helix, type, city, country, nuts, clusters, themes, lon, lat
    ("mc-a1", "Università di Firenze", "academia", "University", "Firenze", "IT", _IT,
     ["Toscana"], ["heritage", "digital"], 11.2558123, 43.7731456),
    ("mc-a2", XSS_NAME, "civil_society", "Museum", "Firenze", "IT", _IT,
     ["Toscana"], ["heritage"], 11.2630, 43.7679),
    ("mc-a3", "Regione Toscana", "government", "Region", "Firenze", "IT", _IT,
     ["Toscana"], [], 11.2490, 43.7800),
    ("mc-a4", "Université de Lille", "academia", "University", "Lille", "FR", _FR,
     ["Nord-Pas de Calais"], ["digital"], 3.0600, 50.6300),
    ("mc-a5", "EuraTechnologies", "business", "Cluster", "Lille", "FR", _FR,
     ["Nord-Pas de Calais", "Toscana"], ["digital"], 3.0200, 50.6330),
    ("mc-a6", "Mystery {t} org", "unknown", None, None, "FR", _FR,
     ["Nord-Pas de Calais"], [], 3.1000, 50.6000),
]  # fmt: skip


def sample_actors() -> gpd.GeoDataFrame:
    """Six located, merged actors with every schema column."""
    records = []
    for actor_id, name, helix, kind, city, country, nuts, clusters, themes, lon, lat in _ROWS:
        record = dict.fromkeys((*ACTOR_COLUMNS[:-1], *NUTS_COLUMNS, *MERGE_COLUMNS))
        record.update(
            actor_id=actor_id,
            name=name,
            helix=helix,
            helix_raw=helix,
            organisation_type=kind,
            city=city,
            country=country,
            themes=themes,
            website=f"https://example.org/{actor_id}",
            source_file=f"{clusters[0].lower()}.csv",
            source_row=1,
            position_source="given",
            nuts_match="within",
            regional_cluster=clusters,
            source_maps=[f"{c}: {c.lower()}.csv#1" for c in clusters],
        )
        for level in range(4):
            record[f"nuts{level}"] = nuts[level]
            record[f"nuts{level}_name"] = nuts[4 + level]
        record["geometry_xy"] = (lon, lat)
        records.append(record)
    table = pd.DataFrame(records)
    xy = table.pop("geometry_xy")
    actors = gpd.GeoDataFrame(
        table,
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]),
        crs=CRS,
    )
    actors.attrs["nuts_year"] = 2021
    return actors


class _Bars(HTMLParser):
    """Collects ``charts.helix_bars_html``' bars: label -> helix -> count, and each bar's
    width."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, dict[str, int]] = {}
        self.widths: dict[str, float] = {}
        self._label = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-label" in found:
            self._label = found["data-label"] or ""
            self.counts[self._label] = {}
            width = re.search(r"width:([\d.]+)%", found.get("style") or "")
            self.widths[self._label] = float(width.group(1)) if width else float("nan")
        elif "data-helix" in found:
            self.counts[self._label][found["data-helix"] or ""] = int(found["data-actors"] or 0)


def bar_counts(body: str) -> tuple[dict[str, dict[str, int]], dict[str, float]]:
    """The counts per bar and helix, and the bar widths (% of the widest), of a bar chart's
    HTML, read back as the browser would (entities decoded)."""
    parser = _Bars()
    parser.feed(body)
    return parser.counts, parser.widths


class _Table(HTMLParser):
    """Collects the rows of an HTML table (header first) as cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None


def table_rows(body: str) -> list[list[str]]:
    """The header and rows of the first HTML table in ``body``, as the browser shows
    them (entities decoded)."""
    parser = _Table()
    parser.feed(body[body.find("<table") :])
    return parser.rows


def drawn(layer: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of a map layer (from the deck spec) that deck.gl draws: with a
    ``DataFilterExtension``, those whose categories ``g`` are all in ``filterCategories``
    (deck.gl's rule: one list per category, a flat list for one); else every row."""
    rows = layer["data"]
    if "filterCategories" not in layer:
        return rows
    accepted = layer["filterCategories"]
    if not accepted or not isinstance(accepted[0], list):
        return [row for row in rows if row["g"] in accepted]
    return [
        row
        for row in rows
        if all(code in allowed for code, allowed in zip(row["g"], accepted, strict=True))
    ]
