"""Partner finder: for a region or cluster that lacks a helix, whom to work with next.

Candidates are the actors of the wanted helix in the other clusters. They are ranked by
theme overlap with the region (Jaccard index of the candidate's themes and all the themes
of the region's actors) and network proximity (1 for a partner of one of the region's
actors, 0.5 for a partner of such a partner, 0 otherwise):
``score = 0.6 × overlap + 0.4 × proximity``. Ties go to the same language (or country),
then to the nearest, then to the actor listed first. Every suggestion says why in one line.

The actors frame is indexed once (``PartnerIndex``: themes and clusters as sparse
(row, code) pairs, link ends as actor positions, countries as codes) and the index kept while
the frame lives, so that a query is boolean indexing and ``bincount``s: one region at
100,000 actors takes well under 200 ms (``benchmarks/links.py``).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from metacluster.dedupe import haversine_km
from metacluster.links import actor_nuts, primary_cluster
from metacluster.nuts import CODE_PATTERN
from metacluster.schema import HELICES

THEME_WEIGHT: Final = 0.6
NETWORK_WEIGHT: Final = 0.4
DIRECT: Final = 1.0
"""Proximity of a partner of one of the region's actors."""
SECOND: Final = 0.5
"""Proximity of a partner of such a partner."""

LANGUAGES: Final[dict[str, tuple[str, ...]]] = {
    "AT": ("de",), "BE": ("nl", "fr", "de"), "BG": ("bg",), "CH": ("de", "fr", "it"),
    "CY": ("el",), "CZ": ("cs",), "DE": ("de",), "DK": ("da",), "EE": ("et",),
    "EL": ("el",), "ES": ("es", "eu", "ca", "gl"), "FI": ("fi", "sv"), "FR": ("fr",),
    "HR": ("hr",), "HU": ("hu",), "IE": ("en", "ga"), "IS": ("is",), "IT": ("it",),
    "LI": ("de",), "LT": ("lt",), "LU": ("lb", "fr", "de"), "LV": ("lv",), "MT": ("mt", "en"),
    "NL": ("nl",), "NO": ("no",), "PL": ("pl",), "PT": ("pt",), "RO": ("ro",),
    "SE": ("sv",), "SI": ("sl",), "SK": ("sk",), "UK": ("en",),
}  # fmt: skip
"""Official languages per country (Eurostat codes): the same-language tie-breaker."""

SUGGESTION_COLUMNS: Final = (
    "actor_id",
    "name",
    "helix",
    "cluster",
    "country",
    "nuts3",
    "score",
    "theme_overlap",
    "shared_themes",
    "proximity",
    "via",
    "distance_km",
    "same_language",
    "why",
)


@dataclass(frozen=True)
class PartnerIndex:
    """An actors frame (and its links) as the arrays the partner finder scores on.

    Built once per frame (``partner_index``), so that one query is boolean indexing and
    ``bincount``s over these arrays: themes and clusters as sparse (row, code) pairs, link
    ends as actor positions, countries as codes.
    """

    size: int
    helix: np.ndarray
    nuts: pa.Array
    cluster_names: pd.Index
    cluster_rows: np.ndarray
    cluster_codes: np.ndarray
    theme_names: pd.Index
    theme_rows: np.ndarray
    theme_codes: np.ndarray
    theme_count: np.ndarray
    x: np.ndarray
    y: np.ndarray
    country_names: pd.Index
    country_codes: np.ndarray
    ends: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None

    @classmethod
    def build(cls, actors: pd.DataFrame, links: pd.DataFrame | None) -> PartnerIndex:
        cluster_rows, cluster_codes, cluster_names = _sparse(actors, "regional_cluster")
        theme_rows, theme_codes, theme_names = _sparse(actors, "themes")
        countries = actors["country"] if "country" in actors.columns else None
        country_codes, country_names = (
            pd.factorize(countries.astype(object), use_na_sentinel=True)
            if countries is not None
            else (np.full(len(actors), -1), pd.Index([]))
        )
        geometry = actors.geometry.to_numpy() if "geometry" in actors.columns else None
        ends = None
        if links is not None and not links.empty:
            source, target = _positions(actors["actor_id"], links["source"], links["target"])
            known = (source >= 0) & (target >= 0)
            source, target = np.where(known, source, 0), np.where(known, target, 0)
            ends = source, target, known, links["weight"].to_numpy(dtype=float)
        return cls(
            size=len(actors),
            helix=actors["helix"].to_numpy(dtype=object),
            nuts=_arrow(actor_nuts(actors)),
            cluster_names=cluster_names,
            cluster_rows=cluster_rows,
            cluster_codes=cluster_codes,
            theme_names=theme_names,
            theme_rows=theme_rows,
            theme_codes=theme_codes,
            theme_count=np.bincount(theme_rows, minlength=len(actors)),
            x=shapely.get_x(geometry) if geometry is not None else np.full(len(actors), np.nan),
            y=shapely.get_y(geometry) if geometry is not None else np.full(len(actors), np.nan),
            country_names=pd.Index(country_names),
            country_codes=np.asarray(country_codes),
            ends=ends,
        )

    def region_mask(self, region: str) -> np.ndarray:
        """The actors of ``region``: see ``region_mask``."""
        if CODE_PATTERN.fullmatch(region):
            inside = pc.starts_with(self.nuts, region).fill_null(False)
            inside = inside.to_numpy(zero_copy_only=False).astype(bool)
            if inside.any():
                return inside
        return self.in_clusters(self.cluster_names.get_indexer([region]))

    def clusters_of(self, mask: np.ndarray) -> np.ndarray:
        """Codes of every cluster the masked actors belong to."""
        return np.unique(self.cluster_codes[mask[self.cluster_rows]])

    def in_clusters(self, codes: np.ndarray) -> np.ndarray:
        """Whether each actor belongs to one of the clusters ``codes`` (-1: none)."""
        member = np.zeros(len(self.cluster_names) + 1, dtype=bool)
        member[codes] = True  # -1, an unknown cluster, lands on the spare last slot
        member[-1] = False
        result = np.zeros(self.size, dtype=bool)
        result[self.cluster_rows[member[self.cluster_codes]]] = True
        return result

    def theme_overlap(self, inside: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Jaccard index of every actor's themes with the region's, and per theme pair
        whether its theme is one of the region's."""
        region = np.zeros(len(self.theme_names), dtype=bool)
        region[self.theme_codes[inside[self.theme_rows]]] = True
        shared = region[self.theme_codes]
        shared_count = np.bincount(self.theme_rows[shared], minlength=self.size)
        union = self.theme_count + int(region.sum()) - shared_count
        overlap = np.divide(shared_count, union, out=np.zeros(self.size), where=union > 0)
        return overlap, shared

    def shared_themes(self, shared: np.ndarray, positions: np.ndarray) -> list[list[str]]:
        """The region's themes each actor at ``positions`` has, sorted."""
        wanted = shared & np.isin(self.theme_rows, positions)
        names = self.theme_names.to_numpy()[self.theme_codes[wanted]]
        found = pd.Series(names).groupby(self.theme_rows[wanted]).agg(sorted)
        return [list(found.get(p, [])) for p in positions]

    def same_language(self, inside: np.ndarray) -> np.ndarray:
        """Whether each actor's country is the region's or shares an official language."""
        region_codes = np.unique(self.country_codes[inside])
        region_countries = set(self.country_names[region_codes[region_codes >= 0]])
        languages = {lang for c in region_countries for lang in LANGUAGES.get(c, ())}
        match = [
            country in region_countries or bool(set(LANGUAGES.get(country, ())) & languages)
            for country in self.country_names
        ]
        return np.asarray([*match, False], dtype=bool)[self.country_codes]


_INDEXES: dict[tuple[int, int], tuple[Any, Any, PartnerIndex]] = {}
_MAX_INDEXES: Final = 8
_INDEXES_LOCK = threading.Lock()  # the app's sessions run in threads


def partner_index(actors: pd.DataFrame, links: pd.DataFrame | None = None) -> PartnerIndex:
    """The ``PartnerIndex`` of these frames, built on first use and kept while they live
    (the last ``_MAX_INDEXES``; by identity: treat a frame given to the partner finder as
    read-only)."""
    key = (id(actors), id(links))
    with _INDEXES_LOCK:
        cached = _INDEXES.get(key)
    if cached is not None and cached[0]() is actors and cached[1]() is links:
        return cached[2]
    index = PartnerIndex.build(actors, links)
    with _INDEXES_LOCK:
        while len(_INDEXES) >= _MAX_INDEXES:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[key] = (weakref.ref(actors), _ref(links), index)
    weakref.finalize(actors, _forget, key)  # before the id can name another frame
    return index


def _forget(key: tuple[int, int]) -> None:
    with _INDEXES_LOCK:
        _INDEXES.pop(key, None)


def _ref(value: Any) -> Any:
    return weakref.ref(value) if value is not None else (lambda: None)


def _sparse(actors: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """A column of lists (or texts) as distinct (row, code) pairs and the codes' names."""
    if column not in actors.columns:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), pd.Index([])
    exploded = actors[column].reset_index(drop=True).explode().dropna()
    codes, names = pd.factorize(exploded.astype(str))
    width = max(len(names), 1)
    pairs = np.sort(exploded.index.to_numpy(dtype=np.int64) * width + codes)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    return pairs // width, pairs % width, pd.Index(names)


def region_mask(actors: pd.DataFrame, region: str) -> np.ndarray:
    """The actors of a region: a NUTS code of any level (its actors' NUTS-3 codes start
    with it) or a regional cluster's name (actors listed in that cluster)."""
    return partner_index(actors).region_mask(region)


def suggest_partners(
    actors: pd.DataFrame,
    *,
    region: str,
    helix: str,
    links: pd.DataFrame | None = None,
    top: int | None = 10,
) -> pd.DataFrame:
    """Rank the actors of ``helix`` in other clusters as partners for ``region``.

    Parameters
    ----------
    actors
        The merged layer (``merge(...).actors``): ``actor_id``, ``name``, ``helix``,
        ``themes``, ``regional_cluster``, NUTS columns, point geometry. Its arrays are
        indexed once (``partner_index``) and reused while the frame lives.
    region
        A NUTS code of any level (ITI17, ITI1, IT) or a regional cluster's name.
    helix
        The helix the region lacks or is weak in.
    links
        The edges (``metacluster.links``), for network proximity; None ignores it.
    top
        How many suggestions; None returns them all.

    Returns
    -------
    DataFrame
        ``SUGGESTION_COLUMNS``, best first, each with a one-line ``why``.

    Raises
    ------
    ValueError
        The helix is not one of the four, or no actor is in the region.

    Examples
    --------
    >>> suggestions = suggest_partners(europe, region="ITI17", helix="government")
    >>> list(suggestions.columns) == list(SUGGESTION_COLUMNS)
    True
    """
    if helix not in HELICES:
        raise ValueError(f"helix must be one of {', '.join(HELICES)}, not {helix!r}")
    index = partner_index(actors, links)
    inside = index.region_mask(region)
    if not inside.any():
        raise ValueError(
            f"no actor is in {region!r}: give a NUTS code (e.g. ITI17, ITI1) or a cluster name"
        )
    candidate = (index.helix == helix) & ~inside
    candidate &= ~index.in_clusters(index.clusters_of(inside))
    positions = np.flatnonzero(candidate)
    overlap, shared = index.theme_overlap(inside)
    overlap = overlap[positions].round(4)
    closeness, connections = _proximity(index.ends, index.size, inside)
    proximity = closeness[positions]
    score = (THEME_WEIGHT * overlap + NETWORK_WEIGHT * proximity).round(4)
    distance = _distance(index, inside, positions).round(0)
    same_language = index.same_language(inside)[positions]
    order = np.lexsort(
        (positions, np.where(np.isnan(distance), np.inf, distance), ~same_language, -score)
    )
    if top is not None:
        order = order[:top]
    chosen_positions = positions[order]
    chosen = actors.iloc[chosen_positions]
    suggestions = pd.DataFrame(
        {
            "actor_id": chosen["actor_id"].astype(str).to_numpy(),
            "name": chosen["name"].to_numpy(dtype=object),
            "helix": helix,
            "cluster": primary_cluster(chosen).to_numpy(),
            "country": chosen["country"].to_numpy() if "country" in chosen else None,
            "nuts3": actor_nuts(chosen).to_numpy(),
            "score": score[order],
            "theme_overlap": overlap[order],
            "shared_themes": index.shared_themes(shared, chosen_positions),
            "proximity": proximity[order],
            "via": _via(links, connections, chosen_positions),
            "distance_km": distance[order],
            "same_language": same_language[order],
        }
    )
    suggestions["why"] = [
        _why(row.shared_themes, row.via, row.same_language, row.distance_km)
        for row in suggestions.itertuples(index=False)
    ]
    return suggestions


def _proximity(
    ends: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
    size: int,
    inside: np.ndarray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Per actor 1 / 0.5 / 0, and, by actor position, the link that connects it to the
    region (``edge``, ``step`` 1 or 2): the reasons are written for the suggestions shown."""
    closeness = np.zeros(size)
    if ends is None:
        return closeness, pd.DataFrame({"edge": [], "end": [], "step": []})
    first = _nearest_ends(ends, inside, exclude=inside)
    partners = np.zeros(size, dtype=bool)
    partners[first.index.to_numpy(dtype=np.int64)] = True
    second = _nearest_ends(ends, partners, exclude=inside | partners)
    closeness[second.index.to_numpy(dtype=np.int64)] = SECOND
    closeness[first.index.to_numpy(dtype=np.int64)] = DIRECT
    return closeness, pd.concat([first.assign(step=1), second.assign(step=2)])


def _via(
    links: pd.DataFrame | None, connections: pd.DataFrame, positions: np.ndarray
) -> list[str | None]:
    """ "partner of X in P" / "partner of a partner: X" for the actors at ``positions``."""
    if links is None or connections.empty:
        return [None] * len(positions)
    found = connections.reindex(positions)
    texts: list[str | None] = []
    for edge, end, step in zip(found["edge"], found["end"], found["step"], strict=True):
        if pd.isna(edge):
            texts.append(None)
            continue
        link = links.iloc[int(edge)]
        name = link["source_name"] if end == "source" else link["target_name"]
        if step == 2:
            texts.append(f"partner of a partner: {name}")
            continue
        projects, label = link["projects"], link["label"]
        if isinstance(projects, list) and projects:
            context = ", ".join(projects)
        else:
            context = label if isinstance(label, str) and label else str(link["kind"])
        texts.append(f"partner of {name} in {context}")
    return texts


def _arrow(values: pd.Series) -> pa.Array:
    return pa.array(values.astype("string[pyarrow]").array)


def _positions(ids: pd.Series, *ends: pd.Series) -> list[np.ndarray]:
    """Each link end's actor position (-1 when unknown), by one Arrow hash lookup over all
    ends (several times faster than pandas' object index on 100,000s of text ids)."""
    every = pa.concat_arrays([_arrow(end) for end in ends])
    found = pc.index_in(every, value_set=_arrow(ids)).fill_null(-1).to_numpy()
    return np.split(found.astype(np.int64), len(ends))


def _nearest_ends(
    ends: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    at: np.ndarray,
    *,
    exclude: np.ndarray,
) -> pd.DataFrame:
    """For each actor linked to an actor of ``at`` (and not in ``exclude``): its strongest
    such link (``edge``) and which end of it is the ``at`` actor (``end``), indexed by the
    actor's position; ties go to the first link. ``ends`` are the index's link ends (an
    unknown end points at actor 0 and ``known`` is False)."""
    source, target, known, weight = ends
    from_source = known & at[source] & ~exclude[target]
    from_target = known & at[target] & ~exclude[source]
    edge = np.r_[np.flatnonzero(from_source), np.flatnonzero(from_target)]
    other = np.r_[target[from_source], source[from_target]]
    at_source = np.arange(len(edge)) < int(from_source.sum())
    order = np.lexsort((edge, -weight[edge], other))
    first = order[np.r_[True, other[order][1:] != other[order][:-1]]] if len(order) else order
    return pd.DataFrame(
        {"edge": edge[first], "end": np.where(at_source[first], "source", "target")},
        index=pd.Index(other[first], name="other"),
    )


def _distance(index: PartnerIndex, inside: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Kilometres from the region's centre (mean of its actors' points) to each candidate."""
    if not np.isfinite(index.x[inside]).any():
        return np.full(len(positions), np.nan)
    centre_x, centre_y = np.nanmean(index.x[inside]), np.nanmean(index.y[inside])
    return haversine_km(
        np.full(len(positions), centre_x),
        np.full(len(positions), centre_y),
        index.x[positions],
        index.y[positions],
    )


def _why(shared: list[str], via: object, same_language: bool, distance: float) -> str:
    parts = []
    if shared:
        parts.append("shares " + _and(shared[:3]) + (" …" if len(shared) > 3 else ""))
    if isinstance(via, str):
        parts.append(via)
    if same_language:
        parts.append("same language")
    if not np.isnan(distance):
        parts.append(f"{distance:,.0f} km away")
    return "; ".join(parts)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
