"""Upload mapping step: the guessed column mapping of each uploaded file, editable.

Readers guess which column holds the name, the coordinates, the helix… from the headers
(``columns.map_columns``). A guess can be wrong on a real list, so after an upload the app
shows, per file, the mapping the reader used beside the first rows of the file, with one
select box per role. A change re-reads the file with the corrected mapping; corrections are
remembered per file name for the session (uploading the same file again keeps them). The
default helix of the upload (the manifest's ``helix = …``, the CLI's ``--helix-default``)
is chosen here too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Final

import streamlit as st

from metacluster._errors import InputFileError
from metacluster.schema import HELICES, HELIX_LABELS, ImportResult
from metacluster.ui import data, guard

ROLES: Final[dict[str, str]] = {
    "name": "Name",
    "lat": "Latitude",
    "lon": "Longitude",
    "latlon": "Latitude, longitude (one column)",
    "city": "City / address",
    "country": "Country",
    "postcode": "Postcode",
    "region": "Region name",
    "nuts_code": "NUTS code",
    "helix": "Helix",
    "organisation_type": "Type of organisation",
    "website": "Website",
    "description": "Description",
    "themes": "Themes",
}
"""The roles a user can map, in the order shown (keys of ``columns.COLUMN_ALIASES``)."""

NOT_USED: Final = "(not used)"

MAPPINGS: Final = "upload_mappings"
"""Session key: uploaded file name -> {role: file column, or None for not used}."""

HELIX_DEFAULT: Final = "upload_helix_default"
"""Session key of the upload's default helix (kept while the step is not shown: a widget's
own state would be dropped then)."""

HELIX_BOX: Final = "upload_helix_default_box"

_NO_DEFAULT: Final = "(none: stay unknown)"
_DEFAULT_CHOICES: Final = (_NO_DEFAULT, *HELICES)


def options() -> tuple[dict[str, dict[str, str | None]], str | None]:
    """The remembered mappings (by file name) and the default helix, for ``load_upload``."""
    mappings = st.session_state.get(MAPPINGS) or {}
    default = st.session_state.get(HELIX_DEFAULT)
    return dict(mappings), (None if default in (None, _NO_DEFAULT) else default)


def load(files: Sequence[tuple[str, bytes]], year: int | None) -> data.Dataset:
    """The upload merged with the remembered mappings and default helix. When a remembered
    mapping no longer fits (the same file name now has other columns), the mappings are
    forgotten and the columns guessed again, with a warning."""
    mappings, default = options()
    try:
        return data.load_upload(files, year, columns=mappings, helix_default=default)
    except InputFileError:
        if not any(name in mappings for name, _ in files):
            raise
    st.warning("The columns chosen earlier do not fit the uploaded files: guessed again.")
    st.session_state[MAPPINGS] = {}
    return data.load_upload(files, year, helix_default=default)


def widget_key(file_name: str, role: str) -> str:
    """Stable key of one select box: per file name (hashed: any text) and role."""
    digest = hashlib.sha1(file_name.encode()).hexdigest()[:10]
    return f"colmap_{digest}_{role}"


def file_columns(result: ImportResult) -> list[str]:
    """The file's own column names, in file order (from the preview), else the mapped ones."""
    if len(result.preview.columns):
        return [str(c) for c in result.preview.columns]
    return list(dict.fromkeys(result.columns.values()))


def choice_index(choices: Sequence[str], column: str | None) -> int:
    """Position of ``column`` among the select box's choices (0, "not used", if absent)."""
    return choices.index(column) if column in choices else 0


def _remember(file_name: str, columns: Sequence[str]) -> None:
    """Store the mapping of one file as its select boxes now say."""
    mapping: dict[str, str | None] = {}
    for role in ROLES:
        value = st.session_state.get(widget_key(file_name, role), NOT_USED)
        mapping[role] = value if value in columns else None
    if mapping.get("lat") or mapping.get("lon"):
        mapping.pop("latlon")  # lat/lon win over a combined column, as in the readers
    mappings = dict(st.session_state.get(MAPPINGS) or {})
    mappings[file_name] = mapping
    st.session_state[MAPPINGS] = mappings


def _keep_default() -> None:
    st.session_state[HELIX_DEFAULT] = st.session_state.get(HELIX_BOX)


def _forget(file_name: str) -> None:
    mappings = dict(st.session_state.get(MAPPINGS) or {})
    mappings.pop(file_name, None)
    st.session_state[MAPPINGS] = mappings
    for role in ROLES:
        st.session_state.pop(widget_key(file_name, role), None)


def mapping_step(files: Sequence[tuple[str, bytes]], imports: Sequence[ImportResult]) -> None:
    """Per uploaded file, the column mapping (editable) and the first rows; and the
    upload's default helix."""
    st.selectbox(
        "Helix of actors that nothing in the file tags",
        _DEFAULT_CHOICES,
        index=choice_index(_DEFAULT_CHOICES, st.session_state.get(HELIX_DEFAULT)),
        format_func=lambda h: HELIX_LABELS.get(h, h),
        key=HELIX_BOX,
        on_change=_keep_default,
        help="Like `helix = …` in a manifest or `--helix-default` on the command line: "
        "the helix of every actor whose columns, layer and name say none.",
    )
    remembered: Mapping[str, object] = st.session_state.get(MAPPINGS) or {}
    for (name, _), result in zip(files, imports, strict=True):
        columns = file_columns(result)
        choices = [NOT_USED, *columns]
        st.markdown(f"**{guard.escape_markdown(name)}**: the columns used for each role")
        boxes = st.columns(4)
        for position, (role, label) in enumerate(ROLES.items()):
            boxes[position % 4].selectbox(
                label,
                choices,
                index=choice_index(choices, result.columns.get(role)),
                key=widget_key(name, role),
                on_change=_remember,
                args=(name, columns),
            )
        st.caption("The first rows of the file, as read:")
        st.dataframe(result.preview, hide_index=True, width="stretch")
        if name in remembered:
            st.button(
                "Guess the columns again",
                key=widget_key(name, "reset"),
                on_click=_forget,
                args=(name,),
            )
