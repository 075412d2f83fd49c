"""Region profile: one A4 page (PDF) about one NUTS region or one regional cluster.

What a policy maker asks of a region: where its actors are (the map, framed on them like
the app frames a view), how the four helices are represented (counts by helix, with the
same colours and marker shapes as the figure, and hatching so bars read in greyscale),
which helices are missing, who the actors are (name, helix, type, website), and which
regions it works with: its partner regions from the links between actors
(``metacluster.links``: shared projects, and the manifest's links and participations
tables when the caller passes the links), most links first.

The subject is the view's only ``--nuts`` region, else its only ``--cluster``; the rest of
the filters narrow the actors as in every export.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Final

import geopandas as gpd
import pandas as pd
import shapely
from matplotlib.figure import Figure

from metacluster.export import figure as figure_module
from metacluster.filter import Filters
from metacluster.links import links, pair_counts, partner_regions
from metacluster.schema import HELICES, HELIX_COLOURS, HELIX_LABELS, UNKNOWN_HELIX

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from metacluster.export._job import ExportJob

A4_INCHES: Final = (8.27, 11.69)
MAX_ROWS: Final = 30
"""Actors listed on the page; the rest are counted ("… and 12 more")."""
MAX_PARTNERS: Final = 8
HATCHES: Final = {"academia": "", "business": "///", "government": "...", "civil_society": "xx"}
_CELL_CHARS: Final = {"name": 46, "helix": 26, "organisation_type": 30, "website": 36}
PROFILE_MAP_PX: Final = (1000, 480)
"""The map's size in the app's pixels: wider than high, leaving room for the list."""


@dataclass(frozen=True)
class Subject:
    """What the profile is about: a NUTS region (``kind="region"``) or a regional cluster."""

    kind: str
    key: str


def subject(filters: Filters) -> Subject:
    """The profile's subject: the only NUTS region of the filters, else the only regional
    cluster; ValueError says what to add when there is neither or several."""
    if len(filters.nuts) == 1:
        return Subject("region", filters.nuts[0])
    if not filters.nuts and len(filters.clusters) == 1:
        return Subject("cluster", filters.clusters[0])
    raise ValueError(
        "a region profile is about one place: filter exactly one NUTS region "
        "(--nuts ITI1) or one regional cluster (--cluster Toscana)"
    )


def subject_title(job: ExportJob, about: Subject) -> str:
    """ "Toscana (ITI1)" for a region (its name from the actors, else from NUTS), or
    "Toscana — regional cluster"."""
    if about.kind == "cluster":
        return f"{about.key} — regional cluster"
    column = f"nuts{len(about.key) - 2}"
    names = job.actors.loc[job.actors.get(column) == about.key, f"{column}_name"].dropna()
    if len(names):
        return f"{names.iloc[0]} ({about.key})"
    return about.key


def _region_corners(job: ExportJob) -> gpd.GeoSeries | None:
    """The corners of the regions the actors are in, so that the map shows the whole
    region with its neighbours, not only the few streets its actors share."""
    if not len(job.regions):
        return None
    minx, miny, maxx, maxy = job.regions.total_bounds
    corners = shapely.points([minx, maxx], [miny, maxy])
    return gpd.GeoSeries(corners, crs=job.regions.crs)


def partner_lines(job: ExportJob, about: Subject) -> list[str]:
    """The partner regions (or clusters) with their number of links, most first."""
    edges = job.links if job.links is not None else links(job.actors)
    if about.kind == "region":
        partners = partner_regions(edges, about.key)
        names = _region_names(job.actors, len(about.key) - 2)
        rows = [
            (f"{names.get(r, r)} ({r})", n)
            for r, n in zip(partners["region"], partners["links"], strict=True)
        ]
    else:
        counts = pair_counts(edges, by="cluster")
        touching = counts[(counts["a"] == about.key) ^ (counts["b"] == about.key)]
        other = touching["b"].where(touching["a"] == about.key, touching["a"])
        rows = list(zip(other.tolist(), touching["links"].tolist(), strict=True))
    rows.sort(key=lambda row: (-int(row[1]), str(row[0])))
    lines = [
        f"{name}: {int(n)} link{'s' if int(n) != 1 else ''}" for name, n in rows[:MAX_PARTNERS]
    ]
    if len(rows) > MAX_PARTNERS:
        lines.append(f"… and {len(rows) - MAX_PARTNERS} more")
    return lines


def _region_names(actors: pd.DataFrame, level: int) -> dict[str, str]:
    column = f"nuts{level}"
    if column not in actors.columns:
        return {}
    pairs = actors[[column, f"{column}_name"]].dropna().drop_duplicates(column)
    return dict(zip(pairs[column], pairs[f"{column}_name"], strict=True))


def _cell(value: object, width: int) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def actor_table(actors: pd.DataFrame) -> list[list[str]]:
    """Rows of the actor list: name, helix, type and website, sorted by helix then name."""
    frame = actors.assign(
        _order=actors["helix"].map({h: i for i, h in enumerate(HELICES)}).fillna(len(HELICES)),
        _name=actors["name"].astype(str).str.casefold(),
    ).sort_values(["_order", "_name"], kind="stable")
    rows = []
    for record in frame.head(MAX_ROWS).to_dict("records"):
        helix = record.get("helix")
        record["helix"] = HELIX_LABELS.get(helix, HELIX_LABELS[UNKNOWN_HELIX])
        rows.append([_cell(record.get(column), n) for column, n in _CELL_CHARS.items()])
    return rows


def _helix_bars(ax: Axes, counts: dict[str, int]) -> None:
    helices = list(HELICES)
    values = [counts.get(h, 0) for h in helices]
    bars = ax.barh(
        [HELIX_LABELS[h] for h in helices],
        values,
        color=[figure_module.rgb(HELIX_COLOURS[h]) for h in helices],
        edgecolor="black",
        linewidth=0.5,
    )
    for bar, helix, value in zip(bars, helices, values, strict=True):
        bar.set_hatch(HATCHES[helix])
        ax.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {value}",
            va="center",
            fontsize=8,
        )
    ax.invert_yaxis()
    ax.set_xlim(0, max([*values, 1]) * 1.25)
    ax.tick_params(labelsize=8)
    ax.set_title("Actors by helix", fontsize=9, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def build(job: ExportJob) -> Figure:
    """The one-page profile of the job's subject."""
    about = subject(job.filters)
    page = Figure(figsize=A4_INCHES, dpi=figure_module.DPI)
    page.text(0.06, 0.965, subject_title(job, about), fontsize=16, fontweight="bold", va="top")
    page.text(0.06, 0.935, f"{job.title} · region profile", fontsize=9, va="top")
    page.text(0.06, 0.918, job.summary, fontsize=8, va="top", color="#333")

    map_width = 0.88
    map_height = map_width * PROFILE_MAP_PX[1] / PROFILE_MAP_PX[0] * A4_INCHES[0] / A4_INCHES[1]
    ax = page.add_axes((0.06, 0.9 - map_height, map_width, map_height))
    figure_module.draw_map(
        ax,
        job,
        job.selected,
        marker_size=22.0,
        width=PROFILE_MAP_PX[0],
        height=PROFILE_MAP_PX[1],
        frame_on=_region_corners(job),
        region_alpha=0.35,
    )
    if len(job.selected):
        ax.legend(
            handles=figure_module.helix_handles(job.helix_totals),
            loc="lower left",
            fontsize=6.5,
            framealpha=0.9,
        )
    top = 0.9 - map_height - 0.03

    bars = page.add_axes((0.3, top - 0.13, 0.25, 0.12))
    _helix_bars(bars, job.helix_totals)
    missing = [HELIX_LABELS[h] for h in HELICES if not job.helix_totals.get(h)]
    facts = ["Missing helices: " + ", ".join(missing) if missing else "All four helices present"]
    partners = partner_lines(job, about)
    facts.append("")
    facts.append(
        "Partner regions (links between their actors):"
        if about.kind == "region"
        else "Partner clusters (links between their actors):"
    )
    facts += partners or ["none yet: no links between actors here and elsewhere"]
    wrapped = [textwrap.fill(fact, 48, subsequent_indent="  ") for fact in facts]
    page.text(0.6, top - 0.005, "\n".join(wrapped), fontsize=7.5, va="top", linespacing=1.4)

    rows = actor_table(job.selected)
    table_top = top - 0.16
    page.text(
        0.06,
        table_top,
        f"Actors ({len(job.selected):,})",
        fontsize=9,
        fontweight="bold",
        va="bottom",
    )
    if rows:
        table_ax = page.add_axes((0.06, 0.05, 0.88, table_top - 0.055))
        table_ax.axis("off")
        table = table_ax.table(
            cellText=rows,
            colLabels=["Name", "Helix", "Type", "Website"],
            colWidths=[0.36, 0.18, 0.2, 0.26],
            loc="upper left",
            cellLoc="left",
            edges="horizontal",
        )
        table.auto_set_font_size(False)
        table.set_fontsize(6.3)
        height = min((table_top - 0.06) / (MAX_ROWS + 1), 0.018) / (table_top - 0.055)
        for (row, _), cell in table.get_celld().items():
            cell.set_height(height)
            cell.set_linewidth(0.3)
            cell.get_text().set_horizontalalignment("left")
            if row == 0:
                cell.get_text().set_fontweight("bold")
    if len(job.selected) > MAX_ROWS:
        page.text(
            0.06,
            0.038,
            f"… and {len(job.selected) - MAX_ROWS:,} more actors (the CSV export lists all).",
            fontsize=7,
            va="bottom",
        )
    page.text(0.94, 0.015, job.credits, fontsize=6.5, ha="right", va="bottom", color="#444")
    return page


def write(out: BinaryIO, job: ExportJob) -> None:
    """Write the job's region profile as a one-page PDF."""
    buffer = io.BytesIO()
    figure_module.save(build(job), buffer, "pdf", job)
    out.write(buffer.getvalue())
