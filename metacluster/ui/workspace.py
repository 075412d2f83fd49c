"""The partnership workspace in the app: the shared merged map, and partners' publishing.

With ``METACLUSTER_DATABASE_URL`` set, the app shows the workspace's current merged map
(re-read whenever anyone publishes) with per-map "last updated by / when" and the history.
A partner opens the app with its upload link (``?token=…``): the token is moved from the
URL into the server-side session on the first run (``take_token``), so it is neither in
the address bar nor in the page afterwards. The partner uploads a new version of its map,
sees the import report and the differences against the current version, and publishes;
without a valid token there is no upload control at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Final

import pandas as pd
import streamlit as st

from metacluster._errors import WorkspaceAccessError
from metacluster._text import counted
from metacluster.ui import data, guard
from metacluster.workspace import DATABASE_URL_ENV, Draft, Principal, Workspace

TOKEN_PARAM: Final = "token"
TOKEN: Final = "ws_token"
"""Session key of the upload token (server side only)."""
DRAFT: Final = "ws_draft"
UPLOADER: Final = "ws_upload"
MAP_CHOICE: Final = "ws_map"
RESTORE_CHOICE: Final = "ws_restore_version"
_NOTICE: Final = "ws_notice"


def take_token() -> None:
    """Move an upload token from the URL into the session (call before reading the URL)."""
    if TOKEN_PARAM in st.query_params:
        st.session_state[TOKEN] = st.query_params[TOKEN_PARAM]
        del st.query_params[TOKEN_PARAM]


def database_url() -> str | None:
    """The workspace the app shows (``METACLUSTER_DATABASE_URL``), when set."""
    return os.environ.get(DATABASE_URL_ENV, "").strip() or None


@st.cache_resource(show_spinner=False, max_entries=4)
def _workspace(url: str) -> Workspace:
    return Workspace.open(url)


@st.cache_resource(show_spinner="Loading the partnership's maps…", max_entries=4)
def _dataset(url: str, revision: int) -> data.Dataset:
    """The merged map at one revision (actors are stored located: no NUTS join here)."""
    workspace = _workspace(url)
    info = workspace.info()
    result = workspace.merged()
    states = workspace.maps()
    newest = max(state.updated_at for state in states).replace(microsecond=0)
    return data.Dataset(
        version=hashlib.sha256(repr((url, revision)).encode()).hexdigest()[:16],
        name=data.slug(info["name"]),
        title=info["title"],
        description=info["description"],
        actors=result.actors.reset_index(drop=True),
        report=result.report,
        clusters=tuple(state.cluster for state in states),
        nuts_year=int(info["nuts_year"]),
        generated_at=newest.astimezone(dt.timezone.utc),
        homes=result.report.homes,
    )


def data_source(*, present: bool) -> data.Dataset | None:
    """The workspace's merged map with its panels, or None when no workspace is set."""
    url = database_url()
    if url is None:
        return None
    workspace = _workspace(url)
    dataset = _dataset(url, workspace.revision())
    if not present:
        _maps_panel(workspace)
        _publish_panel(workspace)
    return dataset


def _maps_panel(workspace: Workspace) -> None:
    """Per-map version and last update in the sidebar; the full history in an expander."""
    states = workspace.maps()
    table = pd.DataFrame(
        {
            "map": [state.cluster for state in states],
            "version": [state.version for state in states],
            "updated by": [state.updated_by for state in states],
            "updated": [f"{state.updated_at:%Y-%m-%d %H:%M} UTC" for state in states],
            "actors": [state.actors for state in states],
        }
    )
    with st.sidebar.expander("Partnership workspace: regional maps", expanded=True):
        st.dataframe(table, hide_index=True, width="stretch", key="ws_maps")
    with st.sidebar.expander("History of every map"):
        history = workspace.history()
        st.dataframe(
            pd.DataFrame(
                {
                    "when": [f"{v.published_at:%Y-%m-%d %H:%M}" for v in history],
                    "map": [v.cluster for v in history],
                    "version": [v.number for v in history],
                    "by": [v.published_by for v in history],
                    "file": [v.file_name for v in history],
                    "note": [("current. " if v.current else "") + v.note for v in history],
                }
            ),
            hide_index=True,
            width="stretch",
            key="ws_history",
        )


def _principal(workspace: Workspace) -> Principal | None:
    """Who the session's token belongs to; a bad token is dropped with a message."""
    token = st.session_state.get(TOKEN)
    if not token:
        return None
    try:
        return workspace.identify(token)
    except WorkspaceAccessError as error:
        del st.session_state[TOKEN]
        st.error(str(error), icon=":material/error:")
        return None


def _publish_panel(workspace: Workspace) -> None:
    """The partner's upload, report, differences and publish button (only with a token)."""
    principal = _principal(workspace)
    if principal is None:
        return
    states = {state.slug: state for state in workspace.maps()}
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.success(notice, icon=":material/check_circle:")
    if principal.is_coordinator:
        slug = st.selectbox(
            "Map to publish (coordinator)",
            list(states),
            format_func=lambda s: states[s].cluster,
            key=MAP_CHOICE,
        )
    else:
        slug = principal.map_slug
    assert slug is not None
    state = states[slug]
    with st.expander(
        f"Publish a new version of {state.cluster} (now version {state.version})",
        expanded=True,
        icon=":material/upload:",
    ):
        st.caption(f"Signed in with the upload link of {principal.label}.")
        st.file_uploader(
            "Your regional map: KML/KMZ, CSV, XLSX or GeoJSON",
            type=[suffix.lstrip(".") for suffix in data.UPLOAD_SUFFIXES],
            key=f"{UPLOADER}_{slug}",
            on_change=_prepare,
            args=(slug,),
        )
        draft: Draft | None = st.session_state.get(DRAFT)
        if draft is not None and draft.map_slug == slug:
            _review(workspace, draft)
    if principal.is_coordinator:
        _restore_panel(workspace, slug, state.cluster)


def _restore_panel(workspace: Workspace, slug: str, cluster: str) -> None:
    """The coordinator's restore: an earlier version published again as the newest."""
    earlier = [v.number for v in workspace.history(slug) if not v.current]
    if not earlier:
        return
    with st.expander(f"Restore an earlier version of {cluster}", icon=":material/history:"):
        number = st.selectbox("Version", earlier, key=RESTORE_CHOICE)
        st.button(
            f"Restore version {number} as the newest",
            on_click=_restore,
            args=(slug, number),
            key="ws_restore",
        )


def _restore(slug: str, number: int) -> None:
    url = database_url()
    if url is None:
        return
    with guard.shown_errors():
        new = _workspace(url).restore(slug, number, token=st.session_state.get(TOKEN))
        st.session_state[_NOTICE] = f"Restored version {number} as version {new}."


def _prepare(slug: str) -> None:
    """Read the uploaded file (under a plain name in a temporary folder) into a draft."""
    st.session_state.pop(DRAFT, None)
    upload = st.session_state.get(f"{UPLOADER}_{slug}")
    if upload is None:
        return
    url = database_url()
    assert url is not None
    with (
        guard.shown_errors(),
        tempfile.TemporaryDirectory(prefix="metacluster-publish-") as folder,
    ):
        path = Path(folder) / data.safe_name(upload.name, set())
        path.write_bytes(upload.getvalue())
        st.session_state[DRAFT] = _workspace(url).prepare(
            slug, path, token=st.session_state.get(TOKEN)
        )


def _review(workspace: Workspace, draft: Draft) -> None:
    """What publishing would change, and the button that does it."""
    result = draft.result
    st.markdown(
        f"**{draft.file_name}**: {counted(result.rows_in, 'row')}, {result.accepted:,} accepted, "
        f"{result.rejected:,} rejected. Against version {draft.base_version}: "
        f"**{draft.diff.summary()}**."
    )
    if result.rejected:
        st.dataframe(result.rejects, hide_index=True, width="stretch", key="ws_rejects")
    if draft.diff.unchanged:
        st.info("This file has the same actors as the current version.")
    else:
        st.dataframe(draft.diff.table(), hide_index=True, width="stretch", key="ws_diff")
    st.button(
        f"Publish as version {draft.base_version + 1}",
        type="primary",
        on_click=_publish,
        key="ws_publish",
    )


def _publish() -> None:
    draft: Draft | None = st.session_state.pop(DRAFT, None)
    url = database_url()
    if draft is None or url is None:
        return
    with guard.shown_errors():
        number = _workspace(url).publish(draft, token=st.session_state.get(TOKEN))
        st.session_state[_NOTICE] = (
            f"Published version {number}: everyone now sees it in the merged map."
        )
