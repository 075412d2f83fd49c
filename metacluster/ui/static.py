"""Layer data the browser fetches as a file instead of reading it inside the map's spec.

The basemap (countries, or NUTS countries offline) is the bulk of the deck spec and does
not change when a filter does. Inlined, every rerun would make the browser parse it again
(Streamlit reads the spec with a JSON5 parser) and deck.gl rebuild its polygons, because a
parsed copy is a new object. Written once into Streamlit's static folder under a name made
from its content, the layer's ``data`` is the same URL on every rerun: deck.gl keeps the
layer as it is, and the browser caches the file.

Large layers that change with the filters (100,000 actors are about 20 MB of JSON; the
actors change only with the filters the browser does not apply, ``browser_filter``) go the
same way: the JSON5 parser, written in JavaScript, takes seconds over them, where deck.gl
reads a fetched file with the browser's own ``JSON.parse``. Small ones stay inline (one
message, no extra request); only the newest ``KEEP_PER_STEM`` files of a kind are kept.

Static serving is Streamlit's ``server.enableStaticServing`` (on in ``.streamlit/config.toml``);
files go to the ``static`` folder beside the app's script, which Streamlit serves at
``app/static/``. Where that is off or the folder is not writable, the data stays inline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Final

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

logger = logging.getLogger(__name__)

FOLDER_NAME: Final = "static"
URL_PREFIX: Final = "app/static/"
"""Relative to the page, so the app works under a ``server.baseUrlPath`` too."""
KEEP_PER_STEM: Final = 24
"""Files of one kind (stem) kept in the folder: a filtered layer writes one per filter
state, and a browser only ever needs the latest few."""


def static_folder() -> Path | None:
    """Streamlit's static folder for the running app, or None when it does not serve one."""
    context = get_script_run_ctx()
    if context is None or not st.get_option("server.enableStaticServing"):
        return None
    return Path(context.main_script_path).resolve().parent / FOLDER_NAME


def layer_data(text: str, *, stem: str, inline_below: int = 0) -> str:
    """``text`` (JSON) as a layer's ``data``: the JSON of its static URL when it can be
    served and is at least ``inline_below`` characters long, else ``text`` itself."""
    folder = static_folder()
    if folder is None or len(text) < inline_below:
        return text
    name = serve(folder, text, stem=stem)
    return text if name is None else json.dumps(URL_PREFIX + name)


def serve(folder: Path, text: str, *, stem: str) -> str | None:
    """Put ``text`` in ``folder`` under its content-hash name (once) and return the name;
    None when the folder is not writable."""
    name = _file_name(text, stem)
    path = folder / name
    if path.exists():
        path.touch()  # still in use: the newest files are the ones kept
        return name
    try:
        _write_atomically(path, text)
    except OSError as error:
        logger.warning("map data stays inline: cannot write %s (%s)", path, error)
        return None
    _prune(folder, stem)
    return name


def _prune(folder: Path, stem: str) -> None:
    """Remove all but the newest ``KEEP_PER_STEM`` files of ``stem``."""
    files = sorted(folder.glob(f"{stem}-*.json"), key=_modified, reverse=True)
    for stale in files[KEEP_PER_STEM:]:
        stale.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed by another session meanwhile
        return 0.0


def _file_name(text: str, stem: str) -> str:
    """The content-hash name (0.5 ms for the basemap, 20 ms for 100,000 actors: not cached,
    a cache would keep every large text it saw alive)."""
    return f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file, so a browser never reads half a file (sessions run in
    threads and may write the same name at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)  # public data, served to every browser
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
