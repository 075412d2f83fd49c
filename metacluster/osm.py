"""OpenStreetMap exports: what kind of place an actor is, read from its tags.

Overpass Turbo's GeoJSON (an ``@id`` such as "node/123") and QuickOSM's or ogr2ogr's
layers (``osm_id``) have no type column: the kind of place is the value of one tag key per
kind of feature (amenity=university, office=company, tourism=museum, shop=bakery).
``kinds`` turns those tags into one organisation type per row, "key=value", which the helix
keywords read like any other type ("university", "company", "museum", "shop").
"""

from __future__ import annotations

from typing import Final

import pandas as pd

ID_COLUMNS: Final = ("@id", "osm_id")
"""Columns only OSM exports have: their presence makes a file's tags trusted as types."""

TAG_KEYS: Final = (
    "office",
    "government",
    "amenity",
    "tourism",
    "healthcare",
    "craft",
    "shop",
    "club",
    "leisure",
)
"""Keys that say what a place is, the most telling first: a place tagged office=ngo and
amenity=community_centre is the NGO."""


def kinds(frame: pd.DataFrame) -> pd.Series | None:
    """Each row's first tag among ``TAG_KEYS`` as "key=value" (None where it has none);
    None when ``frame`` is not an OSM export or has none of those keys.

    >>> frame = pd.DataFrame({"@id": ["node/1", "way/2", "node/3"],
    ...                       "amenity": ["university", "townhall", None],
    ...                       "office": [None, "government", None]})
    >>> kinds(frame).tolist()
    ['amenity=university', 'office=government', None]
    """
    if not any(column in frame.columns for column in ID_COLUMNS):
        return None
    keys = [key for key in TAG_KEYS if key in frame.columns]
    if not keys:
        return None
    found = pd.Series([None] * len(frame), dtype="object")
    for key in reversed(keys):  # the most telling key is written last, over the others
        values = frame[key].reset_index(drop=True).astype("object")
        text = values.where(values.notna(), "").astype(str).str.strip()
        found = found.where(text == "", key + "=" + text)
    return found
