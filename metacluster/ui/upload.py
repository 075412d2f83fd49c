"""Upload: the user's own layer files, merged like the regional maps of a manifest.

The files (KML/KMZ, CSV, XLSX, GeoJSON) are kept in the session as (name, bytes), so they
survive presentation mode; ``data.load_upload`` writes them under sanitised names to a
temporary folder that is removed once they are merged. A file that cannot be read shows
the reader's message (``guard``); rows that were rejected are listed in the import report.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from metacluster.ui import data, guard, panels
from metacluster.ui.state import View

UPLOADER: Final = "upload_files"
UPLOADED: Final = "uploaded"
"""Session key of the uploaded files, as a tuple of (name, bytes)."""


def _on_upload() -> None:
    files = st.session_state.get(UPLOADER) or []
    st.session_state[UPLOADED] = tuple((file.name, file.getvalue()) for file in files)


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
                st.caption("Showing: " + ", ".join(name for name, _ in files))
                st.button("Back to the bundled maps", on_click=_on_clear, key="upload_clear")
    if not files:
        return None
    dataset = None
    with guard.shown_errors():
        dataset = data.load_upload(files, year)
    if dataset is not None and not view.present:
        with st.expander(
            "Import report of your upload", expanded=True, icon=":material/upload_file:"
        ):
            panels.import_report(dataset.report, key="upload")
    return dataset
