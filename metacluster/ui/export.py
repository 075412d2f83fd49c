"""Download buttons: the filtered layer and its regions in every data format, and the
view as a standalone map (HTML), a figure (PNG, SVG, PDF) or a region profile (PDF).

The bytes come from ``metacluster.export.render``, the function behind ``metacluster
export``, with the same filters, level and NUTS year and a time stamp fixed per data
version: a download equals the CLI's output for the same view. They are generated only
when a button is clicked (a callable passed to ``st.download_button``), so a rerun never
pays for writing 100 000 actors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import streamlit as st

from metacluster._text import counted
from metacluster.export import FORMATS, PROFILE, WHAT, WHAT_LABELS, export_filename, profile, render
from metacluster.links import merge_with_links
from metacluster.ui import data as data_module
from metacluster.ui.state import Shown

DOWNLOADS: Final = tuple(
    (f"{WHAT_LABELS[what]} · {export_format.label}", name, what)
    for what in WHAT
    for name, export_format in FORMATS.items()
    if what in export_format.exports
)
"""(label, format, what) of each download button, one per format and what it can hold."""


@dataclass(frozen=True)
class Download:
    """One export of the current view: its file name, media type and byte generator."""

    file_name: str
    mime: str
    data: Callable[[], bytes]


def download(shown: Shown, fmt: str, what: str) -> Download:
    """The export of the shown view in one format (bytes made when ``data`` is called).

    The file name carries the meta-cluster and the filter summary, e.g.
    "smartculture-actors-academia-IT.geojson".
    """
    view, dataset = shown.view, shown.dataset
    file_name = f"{dataset.name}-" + export_filename(
        view.filters, fmt=fmt, what=what, level=view.level
    )

    def data() -> bytes:
        actors, edges = dataset.actors, None
        manifest = data_module.manifests().get(dataset.title)
        if what == PROFILE and manifest is not None:  # the CLI's links and participations
            linked = merge_with_links(manifest, year=view.year)
            actors, edges = linked.actors, linked.edges
        return render(
            actors,
            view.filters,
            fmt=fmt,
            what=what,
            level=view.level,
            year=view.year,
            generated_at=dataset.generated_at,
            metric=view.metric,
            layers=view.layers,
            links=edges,
        )

    return Download(file_name=file_name, mime=FORMATS[fmt].media_type, data=data)


def downloads(shown: Shown) -> None:
    """One button per export, a row per kind (actors, regions, map…); each file is
    generated when its button is clicked."""
    st.caption(
        f"{counted(len(shown.actors), 'actor')} · filters: {shown.view.filters.describe()} · "
        f"regions at NUTS level {shown.view.level}, version {shown.dataset.nuts_year}"
    )
    width = max(sum(1 for _, _, w in DOWNLOADS if w == what) for what in WHAT)
    for what in WHAT:
        row = [(label, fmt) for label, fmt, w in DOWNLOADS if w == what]
        why_not = _unavailable(shown, what)
        for column, (label, fmt) in zip(st.columns(width), row, strict=False):
            item = download(shown, fmt, what)
            column.download_button(
                label,
                data=item.data,
                file_name=item.file_name,
                mime=item.mime,
                on_click="ignore",
                key=f"download_{what}_{fmt}",
                icon=":material/download:",
                width="stretch",
                disabled=why_not is not None,
                help=why_not,
            )


def _unavailable(shown: Shown, what: str) -> str | None:
    """Why an export cannot be made for this view (a profile needs one place), or None."""
    if what != PROFILE:
        return None
    try:
        profile.subject(shown.view.filters)
    except ValueError:
        return "Filter one NUTS region or one regional cluster to get its one-page profile."
    return None
