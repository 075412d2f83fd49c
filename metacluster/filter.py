"""Filters over the European layer, shared by the app (URL query) and the CLI (options).

A ``Filters`` value says which actors to keep: helices, regional clusters, countries, NUTS
regions at any level, themes (any or all of them), free text and a bounding box. Empty
criteria keep everything; criteria combine with AND, values within one criterion with OR
(themes: OR or AND, by ``themes_mode``). ``apply_filters`` builds one boolean mask per
criterion over whole columns and keeps row order.

The same value travels as URL query parameters (``to_query_params`` /
``from_query_params``) and names export files (``describe``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from metacluster import nuts
from metacluster._text import fold, fold_arrow, fold_series
from metacluster.geocode import country_codes, country_name
from metacluster.schema import HELIX_LABELS, HELIX_VALUES, UNKNOWN_HELIX

THEMES_MODES: Final = ("any", "all")
SEARCH_COLUMNS: Final = ("name", "description", "city")
_COUNTRY_ALIASES: Final = {**nuts.ISO_TO_NUTS_COUNTRY, **nuts.NUTS_TO_ISO_COUNTRY}
"""ISO 3166 and Eurostat disagree on Greece and the United Kingdom; accept either."""
_SLUG_LENGTH: Final = 80

QUERY_KEYS: Final = ("helix", "cluster", "country", "nuts", "theme", "themes_mode", "q", "bbox")


@dataclass(frozen=True)
class Filters:
    """Which actors to keep; the default keeps all.

    Parameters
    ----------
    helix
        Helix values (academia, business, government, civil_society, unknown).
    clusters
        Regional cluster names; an actor on several maps matches any of them.
    countries
        Two-letter codes, matched on the ``country`` column and on ``nuts0`` (GR/EL and
        GB/UK are the same country).
    nuts
        NUTS codes of any level; "ITI" keeps everything inside ITI.
    themes, themes_mode
        Theme names (case and accents ignored); "any" keeps actors with at least one of
        them, "all" actors with every one.
    search
        Free text; every word must occur in the name, description or city (case and
        accents ignored).
    bbox
        (min lon, min lat, max lon, max lat); points on the edge are kept.

    Examples
    --------
    >>> Filters(helix=("academia",), countries=("it",), nuts=("ITI1",)).describe()
    'academia-IT-ITI1'
    """

    helix: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    nuts: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    themes_mode: str = "any"
    search: str = ""
    bbox: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "helix", _values(self.helix, "helix"))
        unknown = [h for h in self.helix if h not in HELIX_VALUES]
        if unknown:
            raise ValueError(
                f"unknown helix {unknown[0]!r}; allowed values: {', '.join(HELIX_VALUES)}"
            )
        set_(self, "clusters", _values(self.clusters, "clusters"))
        set_(self, "countries", _country_codes(self.countries))
        set_(self, "nuts", _codes(self.nuts, nuts.CODE_PATTERN, "NUTS code", "ITI, FRE11"))
        set_(self, "themes", _values(self.themes, "themes"))
        if self.themes_mode not in THEMES_MODES:
            raise ValueError(
                f"themes_mode must be one of {', '.join(THEMES_MODES)}, not {self.themes_mode!r}"
            )
        set_(self, "search", " ".join(str(self.search or "").split()))
        if self.bbox is not None:
            set_(self, "bbox", _bbox(self.bbox))

    @property
    def is_empty(self) -> bool:
        """True when the filters keep every actor."""
        criteria = (self.helix, self.clusters, self.countries, self.nuts, self.themes)
        return not any(criteria) and not self.search and self.bbox is None

    def to_query_params(self) -> dict[str, list[str]]:
        """URL query parameters (only those set), the inverse of ``from_query_params``."""
        params: dict[str, list[str]] = {
            "helix": list(self.helix),
            "cluster": list(self.clusters),
            "country": list(self.countries),
            "nuts": list(self.nuts),
            "theme": list(self.themes),
            "themes_mode": [self.themes_mode] if self.themes_mode != "any" else [],
            "q": [self.search] if self.search else [],
            "bbox": [",".join(f"{v:g}" for v in self.bbox)] if self.bbox else [],
        }
        return {key: value for key, value in params.items() if value}

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | Sequence[str]]) -> Filters:
        """Filters from URL query parameters (values a string or a list of strings).

        Keys other than ``QUERY_KEYS`` belong to the rest of the app and are ignored;
        invalid values raise ValueError. A mapping with a ``get_all`` method (Streamlit's
        ``st.query_params``) gives every value of a repeated key.
        """
        get_all = getattr(params, "get_all", None)

        def many(key: str) -> tuple[str, ...]:
            if get_all is not None:
                return tuple(get_all(key))
            value = params.get(key, ())
            return (value,) if isinstance(value, str) else tuple(value)

        def one(key: str) -> str | None:
            values = many(key)
            if len(values) > 1:
                raise ValueError(f"query parameter {key!r} given {len(values)} times")
            return values[0] if values else None

        bbox = one("bbox")
        return cls(
            helix=many("helix"),
            clusters=many("cluster"),
            countries=many("country"),
            nuts=many("nuts"),
            themes=many("theme"),
            themes_mode=one("themes_mode") or "any",
            search=one("q") or "",
            bbox=parse_bbox(bbox) if bbox else None,
        )

    def summary(self) -> str:
        """The filters in words, for people: "Regional clusters: Toscana, Yugozapaden ·
        Helix: Academia & research"; "" when there are none.

        >>> Filters(helix=("academia",), countries=("IT",)).summary()
        'Helix: Academia & research · Country: Italy (IT)'
        """

        def named(one: str, many: str, values: Sequence[str]) -> str:
            return f"{one if len(values) == 1 else many}: {', '.join(values)}" if values else ""

        themes_word = "All of the themes" if self.themes_mode == "all" else "Themes"
        parts = [
            named("Helix", "Helices", [HELIX_LABELS.get(h, h) for h in self.helix]),
            named("Regional cluster", "Regional clusters", self.clusters),
            named("Country", "Countries", [country_label(c) for c in self.countries]),
            named("NUTS region", "NUTS regions", self.nuts),
            named("Theme", themes_word, self.themes),
            f"Search: “{self.search}”" if self.search else "",
            "Map area {:g},{:g} – {:g},{:g}".format(*self.bbox) if self.bbox else "",
        ]
        return " · ".join(part for part in parts if part)

    def describe(self) -> str:
        """A short slug for file names: "academia-IT-ITI1-q-museum", or "all"."""
        parts = [*self.helix, *map(_slug, self.clusters), *self.countries, *self.nuts]
        if self.themes:
            parts += ["themes-all" if self.themes_mode == "all" else "theme"]
            parts += map(_slug, self.themes)
        if self.search:
            parts += ["q", _slug(self.search)]
        if self.bbox:
            parts += ["bbox", "_".join(f"{v:g}" for v in self.bbox)]
        slug = "-".join(part for part in parts if part)
        return slug[:_SLUG_LENGTH].rstrip("-_.") or "all"


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """ "minx,miny,maxx,maxy" as four floats (validated like ``Filters.bbox``)."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(f"bbox must be minx,miny,maxx,maxy (four numbers), not {text!r}")
    try:
        return _bbox(tuple(float(p) for p in parts))
    except ValueError as error:
        raise ValueError(f"bbox {text!r}: {error}") from error


def apply_filters(
    actors: gpd.GeoDataFrame, filters: Filters, *, search_text: pa.Array | None = None
) -> gpd.GeoDataFrame:
    """The actors that pass every filter, in their original order.

    Parameters
    ----------
    actors
        The merged layer (``merge``): schema, NUTS and merge columns.
    filters
        What to keep.
    search_text
        ``searchable_text(actors)``, computed once, for callers that search the same actors
        again and again (the app, on every keystroke): folding the text is most of the
        cost of a search.

    Returns
    -------
    GeoDataFrame
        A subset of the rows (a copy), same columns and attrs.

    Examples
    --------
    >>> len(apply_filters(europe, Filters(helix=("academia",), nuts=("ITI",))))
    7
    """
    return actors[filter_mask(actors, filters, search_text=search_text)].copy()


def filter_mask(
    actors: pd.DataFrame, filters: Filters, *, search_text: pa.Array | None = None
) -> np.ndarray:
    """``apply_filters`` as one boolean per row, for callers that need positions, not a copy.

    >>> filter_mask(europe, Filters(helix=("academia",))).sum()
    np.int64(55)
    """
    if not isinstance(filters, Filters):
        raise TypeError(f"filters must be a Filters value, not {type(filters).__name__}")
    keep = np.ones(len(actors), dtype=bool)
    if filters.helix:
        keep &= _column(actors, "helix").fillna(UNKNOWN_HELIX).isin(filters.helix).to_numpy()
    if filters.clusters:
        keep &= _any_in_list(_column(actors, "regional_cluster"), set(filters.clusters))
    if filters.countries:
        wanted = {*filters.countries, *(_COUNTRY_ALIASES.get(c, c) for c in filters.countries)}
        country = _column(actors, "country").astype("str").str.upper().isin(wanted)
        keep &= (country | _column(actors, "nuts0").isin(wanted)).to_numpy()
    if filters.nuts:
        keep &= _nuts_mask(actors, filters.nuts)
    if filters.themes:
        keep &= _theme_mask(_column(actors, "themes"), filters.themes, filters.themes_mode)
    if filters.search:
        text = searchable_text(actors) if search_text is None else search_text
        if len(text) != len(actors):
            raise ValueError("search_text was computed for other actors: recompute it")
        keep &= _search_mask(text, filters.search)
    if filters.bbox:
        keep &= shapely.intersects(actors.geometry.to_numpy(), shapely.box(*filters.bbox))
    return keep


def _column(actors: pd.DataFrame, column: str) -> pd.Series:
    if column not in actors.columns:
        raise ValueError(f"cannot filter: the actors have no {column!r} column (run merge first)")
    return actors[column]


def _explode(lists: pd.Series) -> pd.Series:
    """List cells as one row per item, indexed by the row's position."""
    positional = pd.Series(lists.to_numpy(), index=pd.RangeIndex(len(lists)), dtype=object)
    return positional.explode()


def _any_in_list(lists: pd.Series, wanted: set[str]) -> np.ndarray:
    items = _explode(lists)
    hit = items.isin(wanted).groupby(level=0).any()
    return hit.reindex(range(len(lists)), fill_value=False).to_numpy(dtype=bool)


def _theme_mask(themes: pd.Series, wanted: tuple[str, ...], mode: str) -> np.ndarray:
    keys = {fold(theme) for theme in wanted}
    items = _explode(themes)
    folded = fold_series(items)
    hits = folded[folded.isin(keys)]
    matched = hits.groupby(level=0).nunique() if mode == "all" else hits.groupby(level=0).size()
    needed = len(keys) if mode == "all" else 1
    return (matched.reindex(range(len(themes)), fill_value=0) >= needed).to_numpy()


def _nuts_mask(actors: pd.DataFrame, codes: tuple[str, ...]) -> np.ndarray:
    """A code of level L matches the actor's nuts{L}: "ITI" keeps every ITI* region."""
    keep = np.zeros(len(actors), dtype=bool)
    for level in sorted({len(code) - 2 for code in codes}):
        at_level = [code for code in codes if len(code) - 2 == level]
        keep |= _column(actors, f"nuts{level}").isin(at_level).to_numpy()
    return keep


def searchable_text(actors: pd.DataFrame) -> pa.Array:
    """What free-text search looks in: name, description and city, folded, one per actor.

    Stays in Arrow end to end (several times faster than Python strings).
    """
    present = [c for c in SEARCH_COLUMNS if c in actors.columns]
    if not present:
        raise ValueError(f"cannot search: the actors have none of {', '.join(SEARCH_COLUMNS)}")
    folded = [
        fold_arrow(pa.array(actors[column].astype("str"), type=pa.large_string())).fill_null("")
        for column in present
    ]
    return pc.binary_join_element_wise(*folded, pa.scalar(" | ", pa.large_string()))


def _search_mask(text: pa.Array, search: str) -> np.ndarray:
    keep = np.ones(len(text), dtype=bool)
    for word in fold(search).split():
        keep &= pc.match_substring(text, word).to_numpy(zero_copy_only=False)
    return keep


def _values(values: Iterable[str] | str, name: str) -> tuple[str, ...]:
    """Text values as a tuple: blanks dropped, repeats removed, order kept."""
    items = (values,) if isinstance(values, str) else tuple(values)
    not_text = [v for v in items if not isinstance(v, str)]
    if not_text:
        raise ValueError(f"{name} values must be text, not {not_text[0]!r}")
    return tuple(dict.fromkeys(v.strip() for v in items if v.strip()))


def _codes(
    values: Iterable[str] | str, pattern: re.Pattern[str], what: str, example: str
) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(v.upper() for v in _values(values, what)))
    bad = [code for code in codes if not pattern.fullmatch(code)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a {what} (e.g. {example})")
    return codes


def _country_codes(values: Iterable[str] | str) -> tuple[str, ...]:
    """Country codes (IT, el) or names in any case and language (Italy, ITALIA,
    Deutschland) as upper-case codes; a value that is neither raises ValueError."""
    given = _values(values, "country")
    names = [v for v in given if not nuts.COUNTRY_CODE_PATTERN.fullmatch(v.upper())]
    if not names:  # codes only, the usual case (every rerun builds several Filters)
        return tuple(dict.fromkeys(v.upper() for v in given))
    found = dict(zip(names, country_codes(pd.Series(names, dtype=object)), strict=True))
    unknown = [name for name, code in found.items() if not code]
    if unknown:
        raise ValueError(
            f"{unknown[0]!r} is not a country: give a two-letter code (IT) or a name (Italy)"
        )
    return tuple(dict.fromkeys(str(found.get(v) or v.upper()) for v in given))


def country_label(code: str) -> str:
    """How a country is offered in a list: "Italy (IT)"."""
    name = country_name(code)
    return f"{name} ({code})" if name != code else code


def _bbox(values: Sequence[float]) -> tuple[float, float, float, float]:
    if len(values) != 4:
        raise ValueError("bbox needs four numbers: min lon, min lat, max lon, max lat")
    minx, miny, maxx, maxy = (float(v) for v in values)
    if not all(np.isfinite([minx, miny, maxx, maxy])):
        raise ValueError("bbox values must be finite numbers")
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError(
            "bbox must be min lon, min lat, max lon, max lat with -180 <= min lon <= max lon "
            f"<= 180 and -90 <= min lat <= max lat <= 90, not {minx:g},{miny:g},{maxx:g},{maxy:g}"
        )
    return (minx, miny, maxx, maxy)


def _slug(text: str) -> str:
    return "-".join(fold(text).split())


@dataclass(frozen=True)
class FilterOptions:
    """The values filters can take in some data: clusters in manifest order, country
    codes, NUTS codes of every level with their names, themes."""

    clusters: tuple[str, ...]
    countries: tuple[str, ...]
    nuts: dict[str, str]
    themes: tuple[str, ...]


def _distinct_items(column: pd.Series) -> list[str]:
    """The distinct non-blank values of a column of values or lists of values, sorted.
    ``pd.unique`` first, so that only the few distinct values are handled in Python."""
    items = pd.Series(column.to_numpy(dtype=object), dtype=object).explode().dropna()
    distinct = pd.unique(items.to_numpy(dtype=object))
    return sorted({str(v) for v in distinct if str(v).strip()}, key=str.casefold)


def offered_values(actors: pd.DataFrame, clusters: Sequence[str]) -> FilterOptions:
    """The values a filter list offers for these actors: the regional clusters (in
    ``clusters`` order, then any others), country codes, NUTS codes of every level with
    their names (sorted by code) and themes."""
    present_clusters = (
        set(_distinct_items(actors["regional_cluster"])) if "regional_cluster" in actors else set()
    )
    ordered = [c for c in clusters if c in present_clusters]
    ordered += sorted(present_clusters - set(ordered), key=str.casefold)
    countries: set[str] = set()
    for column in ("nuts0", "country"):
        if column in actors:
            countries.update(c.upper() for c in _distinct_items(actors[column]))
    nuts: dict[str, str] = {}
    for level in range(4):
        code, name = f"nuts{level}", f"nuts{level}_name"
        if code in actors:
            pairs = actors[[code, name]].dropna(subset=[code]).drop_duplicates(subset=[code])
            names = pairs[name].fillna("").astype(str)
            nuts.update(zip(pairs[code].astype(str), names, strict=True))
    themes = _distinct_items(actors["themes"]) if "themes" in actors else []
    return FilterOptions(
        clusters=tuple(ordered),
        countries=tuple(sorted(countries)),
        nuts=dict(sorted(nuts.items())),
        themes=tuple(themes),
    )
