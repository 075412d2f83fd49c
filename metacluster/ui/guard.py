"""Domain errors as a clear message in the page: the app's one place for them.

``MetaclusterError`` messages are written for the person who has to fix the input (they
name the file, row and column), so the app shows them as they are with ``st.error``.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Any, Final

import streamlit as st

from metacluster._errors import MetaclusterError

logger = logging.getLogger(__name__)

_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


_AUTOLINK: Final = re.compile(r"(?i)\b(https?|ftp|file|mailto|www)(?=[:.])|(@)")
WORD_JOINER: Final = "\u2060"


def escape_markdown(text: Any) -> str:
    """Text shown literally by ``st.markdown``, ``st.error`` and the like: every Markdown
    and HTML character escaped, ``:`` included so that no ``:icon:`` in a file name,
    column name, value or URL parameter becomes an icon, and an invisible word joiner
    after ``http``/``www``/``@`` so that no bare address becomes a link (Markdown's
    autolinks ignore backslash escapes)."""
    text = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, str(text))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@contextlib.contextmanager
def shown_errors() -> Iterator[None]:
    """Run a block; a domain error ends the block and is shown as ``st.error``."""
    try:
        yield
    except MetaclusterError as error:
        logger.info("shown to the user: %s", error)
        st.error(escape_markdown(error), icon=":material/error:")
