"""Upload: the user's own layer files, merged like the regional maps of a manifest.

The files (KML/KMZ, CSV, XLSX, GeoJSON) are kept in the session as (name, bytes), so they
survive presentation mode; ``data.load_upload`` writes them under sanitised names to a
temporary folder that is removed once they are merged. A file that cannot be read shows
the reader's message (``guard``); rows that were rejected are listed in the import report.
The guessed column mapping of each file can be checked and corrected (``mapping``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import streamlit as st

from metacluster.ui import data, guard, mapping, panels
from metacluster.ui.state import View

UPLOADER: Final = "upload_files"
UPLOADED: Final = "uploaded"
"""Session key of the uploaded files, as a tuple of (name, bytes)."""


def _on_upload() -> None:
    """Keep the uploaded files; a file uploaded again replaces its earlier copy (same name
    or same bytes) instead of becoming another map."""
    files = st.session_state.get(UPLOADER) or []
    st.session_state[UPLOADED] = latest_copies((file.name, file.getvalue()) for file in files)


def latest_copies(files: Iterable[tuple[str, bytes]]) -> tuple[tuple[str, bytes], ...]:
    """(name, bytes) with each name and each content kept once: its latest copy.

    >>> latest_copies([("a.csv", b"1"), ("b.csv", b"2"), ("a.csv", b"3"), ("c.csv", b"2")])
    (('a.csv', b'3'), ('c.csv', b'2'))
    """
    by_name: dict[str, bytes] = {}
    for name, content in files:
        by_name[name] = content
    by_content: dict[bytes, str] = {}
    for name, content in by_name.items():
        by_content.pop(content, None)
        by_content[content] = name
    kept = set(by_content.values())
    return tuple((name, content) for name, content in by_name.items() if name in kept)


def _on_clear() -> None:
    st.session_state[UPLOADED] = ()


def uploader(view: View, *, year: int | None) -> data.Dataset | None:
    """The upload widget (sidebar) and, when files were uploaded, their merged layer and
    import report; None when there is no upload or it could not be read."""
    files = st.session_state.get(UPLOADED) or ()
    if not view.present:
        with st.sidebar.expander("Upload your own maps", expanded=bool(files)):
            st.file_uploader(
                "KML/KMZ, CSV, XLSX or GeoJSON; each file is one regional map",
                type=[suffix.lstrip(".") for suffix in data.UPLOAD_SUFFIXES],
                accept_multiple_files=True,
                key=UPLOADER,
                on_change=_on_upload,
            )
            if files:
                st.caption("Showing: " + ", ".join(guard.escape_markdown(n) for n, _ in files))
                st.button("Back to the bundled maps", on_click=_on_clear, key="upload_clear")
    if not files:
        return None
    dataset = None
    with guard.shown_errors():
        dataset = mapping.load(files, year)
    if dataset is not None and not view.present:
        with st.expander(
            "Import report of your upload", expanded=True, icon=":material/upload_file:"
        ):
            panels.import_report(dataset.report, dataset.actors, key="upload")
        if dataset.report is not None:
            with st.expander(
                "Columns of your upload", expanded=True, icon=":material/table_chart:"
            ):
                mapping.mapping_step(files, dataset.report.imports)
    return dataset
