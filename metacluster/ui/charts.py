"""Helix bar charts, headings and short tables as plain HTML, for ``st.html``.

The summary and region profile only need bars of a few counts. As HTML they cost the
browser next to nothing, where a Vega-Lite chart loads and compiles vega-embed (about
0.3 s of a page load, 0.15 s of every filter change, measured in Chromium). Each segment
carries its helix and count as ``data-`` attributes and a hover title. Headings and a
short table go into the same HTML: the browser draws every element of the page again on
each filter change, and Streamlit's subheaders and tables cost more than their text.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Mapping, Sequence
from typing import Final

import pandas as pd

from metacluster.schema import HELIX_COLOURS, HELIX_LABELS, HELIX_VALUES, UNKNOWN_HELIX


def _rgb(helix: str) -> str:
    return "rgb({},{},{})".format(*HELIX_COLOURS[helix])


def shown_helices(rows: Sequence[tuple[str, Mapping[str, int]]]) -> list[str]:
    """The helices to draw, left to right: the four, and "unknown" only when some row
    counts it."""
    unknown = any(counts.get(UNKNOWN_HELIX, 0) for _, counts in rows)
    return [h for h in HELIX_VALUES if h != UNKNOWN_HELIX or unknown]


def helix_bars_html(
    rows: Sequence[tuple[str, Mapping[str, int]]], *, legend: bool = True, title: str = ""
) -> str:
    """One bar per ``(label, counts per helix)`` row, stacked in helix order; bar lengths
    are relative to the largest total, which each row prints at its end.

    ``legend`` adds the helix colours above the bars (leave it out when the labels are
    the helices). Labels are escaped: they may come from users' files.
    """
    helices = shown_helices(rows)
    largest = max((sum(c.get(h, 0) for h in helices) for _, c in rows), default=0) or 1
    parts = [
        '<div class="mc-bars" role="figure"'
        + (f' aria-label="{html.escape(title)}"' if title else "")
        + ' style="font-size:0.875rem;line-height:1.4">'
    ]
    if legend:
        parts.append('<div style="margin-bottom:0.4em">')
        for helix in helices:
            parts.append(
                '<span style="display:inline-flex;align-items:center;margin-right:1em">'
                f'<span style="width:0.8em;height:0.8em;background:{_rgb(helix)};'
                f'margin-right:0.3em"></span>{html.escape(HELIX_LABELS[helix])}</span>'
            )
        parts.append("</div>")
    parts.append(
        '<div style="display:grid;grid-template-columns:minmax(6em,max-content) 1fr;'
        'gap:0.3em 0.6em;align-items:center">'
    )
    for label, counts in rows:
        total = sum(counts.get(h, 0) for h in helices)
        parts.append(f'<div class="mc-bar-label">{html.escape(label)}</div>')
        parts.append(
            '<div style="display:flex;align-items:center;gap:0.4em">'
            f'<div class="mc-bar" data-label="{html.escape(label)}" style="display:flex;'
            f'height:1.1em;width:{100 * total / largest:.2f}%">'
        )
        for helix in helices:
            count = int(counts.get(helix, 0))
            if count:
                name = html.escape(HELIX_LABELS[helix])
                parts.append(
                    f'<span data-helix="{helix}" data-actors="{count}" '
                    f'title="{name}: {count:,}" style="flex:{count};background:{_rgb(helix)}">'
                    "</span>"
                )
        parts.append(f'</div><span class="mc-bar-total">{total:,}</span></div>')
    parts.append("</div></div>")
    return "".join(parts)


def cluster_bars_html(counts: pd.DataFrame) -> str:
    """``aggregate.cluster_helix_counts``' long table (cluster, helix, actors) as one
    stacked bar per regional cluster, in the table's order."""
    rows: dict[str, dict[str, int]] = {}
    columns = (counts[name].tolist() for name in ("cluster", "helix", "actors"))
    for cluster, helix, actors in zip(*columns, strict=True):  # lists: Arrow strings iterate slowly
        rows.setdefault(str(cluster), {})[str(helix)] = int(actors)
    return helix_bars_html(list(rows.items()), title="Actors per regional cluster and helix")


def helix_counts_html(counts: Mapping[str, int]) -> str:
    """One bar per helix (a region's profile); "unknown" only when there are some."""
    rows = [(HELIX_LABELS[h], {h: counts.get(h, 0)}) for h in shown_helices([("", counts)])]
    return helix_bars_html(rows, legend=False, title="Actors per helix")


def heading_html(text: str) -> str:
    """A section heading at ``st.subheader``'s level (``<h3>``)."""
    return f'<h3 style="margin:1rem 0 0.5rem">{html.escape(text)}</h3>'


TABLE_STYLE: Final = (
    "<style>.mc-table{border-collapse:collapse;font-size:0.875rem}"
    ".mc-table th,.mc-table td{padding:0.25rem 0.75rem;text-align:left;"
    "border-bottom:1px solid rgba(128,128,128,0.25)}"
    ".mc-table th{font-weight:600}.mc-table .mc-number{text-align:right}"
    ".mc-table-box{max-height:24rem;overflow-y:auto}"
    ".mc-table thead th{position:sticky;top:0;background:rgba(128,128,128,0.15);"
    "backdrop-filter:blur(8px)}</style>"
)
"""One style block per table, scoped to its class, rather than a style on every cell; a
long table scrolls in a box about 20 rows high under its header (frosted, not a colour of
its own: it reads in the light and the dark theme)."""


def table_html(table: pd.DataFrame) -> str:
    """``table`` with its header and no index; numbers right-aligned, cells escaped (they
    may come from users' files); "" when the table has no rows."""
    if table.empty:
        return ""
    classes = [
        ' class="mc-number"' if pd.api.types.is_numeric_dtype(dtype) else ""
        for dtype in table.dtypes
    ]
    head = "".join(
        f"<th{kind}>{html.escape(str(name))}</th>"
        for name, kind in zip(table.columns, classes, strict=True)
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td{kind}>{html.escape(_cell_text(value))}</td>"
            for value, kind in zip(values, classes, strict=True)
        )
        + "</tr>"
        for values in table.itertuples(index=False)
    )
    body = f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody>"
    return f'{TABLE_STYLE}<div class="mc-table-box"><table class="mc-table">{body}</table></div>'


def _cell_text(value: object) -> str:
    """Numbers with thousands separators (NumPy's too); missing cells empty."""
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return ""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)
