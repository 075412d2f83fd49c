"""Duplicate detection: the same organisation drawn on several regional maps, found
without comparing every pair of rows.

- keys: normalised names (case, accents, punctuation and legal suffixes such as S.A., GmbH
  or S.r.l. ignored) and website hosts (not facebook.com, sites.google.com…);
- pairs: rows of different maps sharing a key (``_pairs_by_key``), kept when a name
  match lies within ``distance_km`` or a host match is in the same country and near or in
  the same city; other host matches are branches of one organisation;
- union-find joins the pairs transitively (``_components``);
- ``collapse`` makes one actor per component (the first row's data, every source, a stable
  ``actor_id``), lists its conflicts (attributes its rows disagree on, never resolved
  silently) and the ids of its organisation's other branches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from metacluster._text import fold, fold_series
from metacluster.schema import ACTOR_COLUMNS, CRS, MERGE_COLUMNS, NUTS_COLUMNS

DUPLICATE_DISTANCE_KM: Final = 25.0
"""Rows with the same normalised name are one actor when at most this far apart (km)."""

CONFLICT_ATTRIBUTES: Final = ("helix", "organisation_type", "country", "nuts3")
"""Attributes whose disagreement among merged rows is reported."""

WEBSITE_DISTANCE_KM: Final = 50.0
"""Rows sharing a website host are one actor only in the same country and at most this far
apart (or in the same city); otherwise they are branches of one organisation."""

ID_PREFIX: Final = "mc-"
_ID_DECIMALS: Final = 4  # ~10 m: ids survive exports rounded to 5 or 6 decimals
EARTH_RADIUS_KM: Final = 6371.0088

LEGAL_FORMS: Final = (
    "S.A.", "SA", "S.L.", "SL", "S.L.U.", "Ltd", "Limited", "GmbH", "gGmbH", "GmbH & Co. KG",
    "KG", "AG", "B.V.", "BV", "N.V.", "NV", "S.p.A.", "SpA", "S.r.l.", "Srl", "A/S", "AS",
    "ApS", "EOOD", "OOD", "EAD", "AD", "ЕООД", "ООД", "ЕАД", "АД", "SAS", "S.A.S.", "SARL",
    "S.A.R.L.", "plc", "Inc", "LLC", "e.V.",
)  # fmt: skip
"""Legal-form suffixes dropped from names before comparing them."""

GENERIC_HOSTS: Final = frozenset({
    "facebook.com", "google.com", "sites.google.com", "linkedin.com", "twitter.com", "x.com",
    "instagram.com", "youtube.com", "wordpress.com", "blogspot.com", "wix.com", "wixsite.com",
    "goo.gl", "bit.ly", "linktr.ee",
})  # fmt: skip
"""Website hosts shared by unrelated organisations: never evidence of a duplicate."""

_PLATFORM_DOMAINS: Final = (
    "facebook.com", "google.com", "linkedin.com", "twitter.com", "x.com", "instagram.com",
    "youtube.com",
)  # fmt: skip
"""Platforms whose subdomains (m.facebook.com, fr.linkedin.com) are generic too; on
wordpress.com or blogspot.com a subdomain is one organisation's own site."""

_URL_HOST: Final = r"^(?:[a-z][a-z0-9+.\-]*://)?(?:[^@/?#\s]*@)?([^/:?#\s]+)"


def _suffix_pattern() -> str:
    forms = {fold(form) for form in LEGAL_FORMS}
    alternatives = "|".join(sorted((f.replace(" ", r"\s") for f in forms), key=len, reverse=True))
    return rf"(?:\s(?:{alternatives}))+$"


_SUFFIXES: Final = _suffix_pattern()


def normalise_name(names: pd.Series) -> pd.Series:
    """Organisation names as duplicate keys: folded, punctuation and legal suffix dropped.

    "Musée d'Orsay S.A." and "MUSEE D ORSAY" both become "musee d orsay". A name that is
    nothing but a legal form keeps it. Missing names become "".
    """
    words = fold_series(names).fillna("").astype(str)
    stripped = words.str.replace(_SUFFIXES, "", regex=True).str.strip()
    return stripped.where(stripped != "", words)


def website_host(websites: pd.Series) -> pd.Series:
    """The host of each website, lower-case and without "www.", or NA when there is none
    or it is a generic platform (facebook.com, sites.google.com…) shared by many."""
    text = websites.fillna("").astype(str).str.strip().str.lower()
    host = text.str.extract(_URL_HOST, expand=False)
    host = host.str.replace(r"^www\d*\.", "", regex=True).str.rstrip(".")
    platform = tuple(f".{domain}" for domain in _PLATFORM_DOMAINS)
    generic = host.isin(GENERIC_HOSTS) | host.str.endswith(platform)
    usable = host.str.contains(".", regex=False) & ~generic.fillna(False).astype(bool)
    return host.where(usable.fillna(False).astype(bool))


def haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distances in km between paired points given in degrees."""
    x1, y1, x2, y2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def actor_ids(names: pd.Series, geometry: gpd.GeoSeries) -> pd.Series:
    """Stable, unique ids: "mc-" + 12 hex digits of sha1(normalised name, rounded lon/lat).

    Rows that collide (same name at the same place) get "-2", "-3"… in row order, so the
    ids depend only on the input, never on the run or the machine.
    """
    keys = normalise_name(names)
    points = shapely.centroid(geometry.to_numpy())
    lon = np.round(shapely.get_x(points), _ID_DECIMALS)
    lat = np.round(shapely.get_y(points), _ID_DECIMALS)
    ids = pd.Series(
        [
            ID_PREFIX
            + hashlib.sha1(f"{key}|{x:.{_ID_DECIMALS}f}|{y:.{_ID_DECIMALS}f}".encode()).hexdigest()[
                :12
            ]
            for key, x, y in zip(keys.tolist(), lon.tolist(), lat.tolist(), strict=True)
        ],
        index=names.index,
        dtype=object,
    )
    rank = ids.groupby(ids, sort=False).cumcount()
    return ids.where(rank == 0, ids + "-" + (rank + 1).astype(str))


def duplicate_components(
    actors: gpd.GeoDataFrame, provenance: pd.DataFrame, distance_km: float
) -> Duplicates:
    """Which rows are one actor, which are branches of one organisation, and warnings.

    Two rows from different maps are one actor when their normalised names are equal and
    they lie within ``distance_km``, or when they share a website host, are in the same
    country (when both say) and lie within ``WEBSITE_DISTANCE_KM`` or name the same city.
    Rows that share a host but fail that test are *branches* ("Ubisoft Sofia" and
    "Ubisoft Leamington"): separate actors, linked as the same organisation. Candidate
    pairs come from grouping on a key, so the work grows with the size of the groups, not
    with the square of the layer.
    """
    map_index = provenance["map"].to_numpy()
    points = shapely.centroid(actors.geometry.to_numpy())
    lon, lat = shapely.get_x(points), shapely.get_y(points)

    left, right = _pairs_by_key(normalise_name(actors["name"]).replace("", pd.NA), map_index)
    close = haversine_km(lon[left], lat[left], lon[right], lat[right]) <= distance_km
    name_pairs = (left[close], right[close])

    hosts = website_host(actors["website"])
    shared = hosts.notna() & pd.DataFrame({"h": hosts, "m": map_index}).duplicated(keep=False)
    shared_rows = shared.to_numpy()
    warnings = _shared_host_warnings(
        actors[shared_rows], hosts[shared_rows], provenance[shared_rows]
    )
    host_left, host_right = _pairs_by_key(hosts.where(~shared), map_index)
    same_site = _same_site(actors, lon, lat, host_left, host_right)

    all_left = np.concatenate([name_pairs[0], host_left[same_site]])
    all_right = np.concatenate([name_pairs[1], host_right[same_site]])
    components = _components(len(actors), all_left, all_right)
    branches = (components[host_left[~same_site]], components[host_right[~same_site]])
    return Duplicates(components, branches, warnings)


@dataclass(frozen=True)
class Duplicates:
    """``components``: per row, the position of the first row of its actor; ``branches``:
    pairs of component labels that are branches of one organisation; ``warnings``: hosts
    shared inside one map (not used)."""

    components: np.ndarray
    branches: tuple[np.ndarray, np.ndarray]
    warnings: pd.DataFrame


def _same_site(
    actors: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """For host-sharing pairs: same country (when both say) and near or in the same city."""
    country = _folded(actors, "country")
    if "nuts0" in actors:
        country = country.fillna(_folded(actors, "nuts0"))
    country_l, country_r = country.to_numpy()[left], country.to_numpy()[right]
    known = pd.notna(country_l) & pd.notna(country_r)
    same_country = ~known | (country_l == country_r)
    city = _folded(actors, "city").to_numpy()
    same_city = pd.notna(city[left]) & (city[left] == city[right])
    near = haversine_km(lon[left], lat[left], lon[right], lat[right]) <= WEBSITE_DISTANCE_KM
    return np.asarray(same_country & (near | same_city), dtype=bool)


def _folded(actors: pd.DataFrame, column: str) -> pd.Series:
    """A text column folded for comparison (``GB``/``UK`` and ``GR``/``EL`` as one), blank
    as missing."""
    if column not in actors:
        return pd.Series(None, index=actors.index, dtype=object)
    folded = fold_series(actors[column].astype(object)).replace("", None)
    return folded.replace({"gb": "uk", "gr": "el"})


def _pairs_by_key(keys: pd.Series, map_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-position pairs (i < j) from different maps that share a non-missing key."""
    table = pd.DataFrame({"key": keys.to_numpy(), "pos": np.arange(len(keys)), "map": map_index})
    table = table[table["key"].notna()]
    table = table[table["key"].duplicated(keep=False)]
    pairs = table.merge(table, on="key", suffixes=("_l", "_r"))
    pairs = pairs[(pairs["pos_l"] < pairs["pos_r"]) & (pairs["map_l"] != pairs["map_r"])]
    return pairs["pos_l"].to_numpy(dtype=np.int64), pairs["pos_r"].to_numpy(dtype=np.int64)


def _shared_host_warnings(
    rows: gpd.GeoDataFrame, hosts: pd.Series, provenance: pd.DataFrame
) -> pd.DataFrame:
    """One warning per map and host that several actors of that map share."""
    table = pd.DataFrame(
        {
            "file": rows["source_file"].to_numpy(),
            "layer": rows["source_layer"].to_numpy(),
            "host": hosts.to_numpy(),
            "cluster": provenance["cluster"].to_numpy(),
        }
    )
    groups = (
        table.groupby(["cluster", "host"], sort=False)
        .agg(file=("file", "first"), layer=("layer", "first"), count=("host", "size"))
        .reset_index()
    )
    return pd.DataFrame(
        {
            "file": groups["file"],
            "layer": groups["layer"],
            "row": None,
            "column": "website",
            "message": [
                f"website host {host} is shared by {count} actors of this map, so it is not "
                "used to find duplicates"
                for host, count in zip(groups["host"], groups["count"], strict=True)
            ],
            "cluster": groups["cluster"],
        }
    )


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components of the pair graph; each labelled by its smallest position."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    labels = np.arange(n)
    for i in np.unique(np.concatenate([left, right])).tolist():
        labels[i] = root(i)
    return labels


def collapse(
    kept: gpd.GeoDataFrame, provenance: pd.DataFrame, found: Duplicates
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """One row per component: the first row's data plus every source, ids, conflicts and
    the ids of the other branches of its organisation (``same_organisation``)."""
    components = found.components
    # a re-imported metacluster export carries its own clusters, sources and conflicts
    clusters = _union_by_component(kept, "regional_cluster", components, provenance["cluster"])
    labels, sources = _lists_by_component(components, provenance["source"])
    own_sources = _union_by_component(kept, "source_maps", components, provenance["source"])
    actors = kept.iloc[labels].copy()
    actors["actor_id"] = actor_ids(actors["name"], actors.geometry).to_numpy()
    actors["regional_cluster"] = pd.Series(clusters, index=actors.index, dtype=object)
    actors["source_maps"] = pd.Series(own_sources, index=actors.index, dtype=object)
    if "projects" in kept.columns:  # every map's projects, not only the first's
        projects = _union_by_component(kept, "projects", components, None)
        actors["projects"] = pd.Series(projects, index=actors.index, dtype=object)
    carried_conflicts = (
        _union_by_component(kept, "merge_conflicts", components, None)
        if "merge_conflicts" in kept.columns
        else [[] for _ in labels]
    )
    ids = pd.Series(actors["actor_id"].to_numpy(), index=labels)

    merged = np.array([len(s) > 1 for s in sources], dtype=bool)
    duplicates = pd.DataFrame(
        {
            "actor_id": ids.to_numpy()[merged],
            "name": actors["name"].to_numpy()[merged],
            "sources": pd.Series(
                [s for s, m in zip(sources, merged, strict=True) if m], dtype=object
            ),
        },
        columns=["actor_id", "name", "sources"],
    )
    conflicts = _conflicts(kept, provenance, components, labels[merged], ids)
    per_actor: dict[str, list[str]] = {}
    for actor_id, attribute, distinct in conflicts[
        ["actor_id", "attribute", "distinct"]
    ].itertuples(index=False):
        per_actor.setdefault(actor_id, []).append(f"{attribute}: {' / '.join(distinct)}")
    actors["merge_conflicts"] = pd.Series(
        [
            list(dict.fromkeys([*own, *per_actor.get(i, [])]))
            for own, i in zip(carried_conflicts, ids, strict=True)
        ],
        index=actors.index,
        dtype=object,
    )
    actors["same_organisation"] = pd.Series(
        _branch_ids(found.branches, ids), index=actors.index, dtype=object
    )
    conflicts = conflicts.drop(columns="distinct")

    known = (
        *ACTOR_COLUMNS[:-1], *NUTS_COLUMNS, *MERGE_COLUMNS, "merge_conflicts", "same_organisation"
    )  # fmt: skip
    order = [*known, *[c for c in actors.columns if c not in (*known, "geometry")], "geometry"]
    actors = gpd.GeoDataFrame(actors[order].reset_index(drop=True), geometry="geometry", crs=CRS)
    return actors, duplicates, conflicts


def _union_by_component(
    kept: gpd.GeoDataFrame, column: str, components: np.ndarray, fallback: pd.Series | None
) -> list[list[Any]]:
    """Per component (in ascending order), the union of its rows' lists in ``column``; a
    row without a list (or an empty one) contributes its ``fallback`` value instead."""
    own = kept[column] if column in kept.columns else pd.Series(None, index=kept.index)
    backup = [None] * len(kept) if fallback is None else fallback.tolist()
    rows = [
        list(value) if isinstance(value, list) and value else ([] if extra is None else [extra])
        for value, extra in zip(own.tolist(), backup, strict=True)
    ]
    _, grouped = _lists_by_component(components, pd.Series(rows, dtype=object))
    return [list(dict.fromkeys(item for row in group for item in row)) for group in grouped]


def _branch_ids(branches: tuple[np.ndarray, np.ndarray], ids: pd.Series) -> list[list[str]]:
    """Per actor (in ``ids`` order), the ids of the other branches of its organisation,
    joined transitively (three offices of one firm each list the two others)."""
    left, right = branches
    if len(left) == 0:
        return [[] for _ in range(len(ids))]
    positions = {label: i for i, label in enumerate(ids.index.tolist())}
    groups = _components(
        len(ids),
        np.array([positions[a] for a in left.tolist()], dtype=np.int64),
        np.array([positions[b] for b in right.tolist()], dtype=np.int64),
    )
    values = ids.to_numpy(dtype=object)
    members: dict[int, list[str]] = {}
    for group, actor_id in zip(groups.tolist(), values.tolist(), strict=True):
        members.setdefault(group, []).append(actor_id)
    return [
        [other for other in members[group] if other != actor_id]
        for group, actor_id in zip(groups.tolist(), values.tolist(), strict=True)
    ]


def _lists_by_component(components: np.ndarray, values: Any) -> tuple[np.ndarray, list[list[Any]]]:
    """The component labels in ascending order and, for each, its values in row order."""
    order = np.argsort(components, kind="stable")
    labels, starts = np.unique(components[order], return_index=True)
    ordered = np.asarray(values, dtype=object)[order].tolist()
    bounds = [*starts.tolist(), len(ordered)]
    return labels, [ordered[start:stop] for start, stop in pairwise(bounds)]


def _conflicts(
    kept: gpd.GeoDataFrame,
    provenance: pd.DataFrame,
    components: np.ndarray,
    merged: np.ndarray,
    ids: pd.Series,
) -> pd.DataFrame:
    """(actor, attribute) pairs on which merged rows disagree, with every source's value.

    Values are compared folded (case, accents and punctuation ignored); missing values are
    not a disagreement. ``distinct`` holds each different value once, as first spelled.
    """
    in_merged = np.isin(components, merged)
    base = pd.DataFrame(
        {
            "component": components[in_merged],
            "source": provenance["source"].to_numpy(dtype=object)[in_merged],
        }
    )
    found = []
    for attribute in CONFLICT_ATTRIBUTES:
        if attribute not in kept.columns:
            continue
        values = pd.Series(kept[attribute].to_numpy(dtype=object)[in_merged], dtype=object)
        table = base.assign(value=values.map(str), key=fold_series(values).to_numpy())
        table = table[table["key"].notna()]
        table = table[(table.groupby("component")["key"].transform("nunique") > 1).to_numpy()]
        if table.empty:
            continue
        labels, entries = _lists_by_component(
            table["component"].to_numpy(), table["source"] + " = " + table["value"]
        )
        spellings = table.drop_duplicates(["component", "key"])
        _, distinct = _lists_by_component(spellings["component"].to_numpy(), spellings["value"])
        found.append(
            pd.DataFrame(
                {
                    "component": labels,
                    "attribute": attribute,
                    "values": pd.Series(entries, dtype=object),
                    "distinct": pd.Series(distinct, dtype=object),
                }
            )
        )
    columns = ["actor_id", "name", "attribute", "values", "distinct"]
    if not found:
        return pd.DataFrame(columns=columns)
    table = pd.concat(found, ignore_index=True).sort_values("component", kind="stable")
    component = table["component"].to_numpy()
    table["actor_id"] = ids.loc[component].to_numpy()
    table["name"] = kept["name"].to_numpy()[component]
    return table[columns].reset_index(drop=True)
