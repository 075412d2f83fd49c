"""Domain errors as a clear message in the page: the app's one place for them.

``MetaclusterError`` messages are written for the person who has to fix the input (they
name the file, row and column), so the app shows them as they are with ``st.error``.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import streamlit as st

from metacluster._errors import MetaclusterError

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def shown_errors() -> Iterator[None]:
    """Run a block; a domain error ends the block and is shown as ``st.error``."""
    try:
        yield
    except MetaclusterError as error:
        logger.info("shown to the user: %s", error)
        st.error(str(error), icon=":material/error:")
