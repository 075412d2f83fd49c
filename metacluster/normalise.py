"""Raw cells of any format → actors in the schema, and a reason for every row left out.

This is the one place that interprets a file's content, whatever its format: it finds
which column is the name, the helix, the position… (``columns``), takes the positions
(``coordinates``: decimal commas, swapped latitude/longitude, metres in a projected CRS),
positions rows that only give a city, tags the helix, and rejects rows that cannot become
actors (no name, no usable location, duplicates) with a short stable reason and the
specifics. Every input row ends either in the actors or in the rejects.
"""

from __future__ import annotations

import hashlib
import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from metacluster import coordinates, geocode, helix, nuts, osm, projects, settings
from metacluster._errors import InputFileError
from metacluster._rows import Outcome, layer_of
from metacluster._text import counted, fold, fold_series, map_unique
from metacluster.columns import map_columns
from metacluster.schema import (
    ACTOR_COLUMNS,
    CRS,
    POSITION_SOURCES,
    REJECT_COLUMNS,
    UNKNOWN_HELIX,
    WARNING_COLUMNS,
    ImportResult,
)

if TYPE_CHECKING:
    from metacluster.read._raw import RawLayer

log = logging.getLogger(__name__)

_THEME_SEPARATORS: Final = re.compile(r"[;,|]")
_HTML: Final = re.compile(r"<[a-zA-Z/!][^>]*>|&#?[a-zA-Z0-9]+;")
_BARE_URL: Final = re.compile(r"https?://[^\s<>\"']+")
_LIST_COLUMNS: Final = (
    "themes",
    "projects",
    "project_ids",
    "project_roles",
    "regional_cluster",
    "source_maps",
    "merge_conflicts",
)


# --------------------------------------------------------------------------- cells


def _clean_text(value: Any) -> str | None:
    return " ".join(str(value).split()) or None


def _text(values: pd.Series) -> pd.Series:
    """Cells → trimmed single-spaced text, None where blank."""
    return map_unique(values, _clean_text)


def _collapse(value: str) -> str:
    parts = {p.strip() for p in value.split(";")} - {""}
    return parts.pop() if len(parts) == 1 else value


def _single_value(values: pd.Series) -> pd.Series:
    """'FR;FR' (CORDIS multi-valued cells) → 'FR' when all parts agree; else unchanged."""
    return map_unique(values, _collapse)


class _HtmlText(HTMLParser):
    """Plain text and link targets of a My Maps HTML description."""

    _BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith(("http://", "https://")):
            self.links.append(href)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(value: str) -> tuple[str | None, str | None]:
    """A description that may be HTML → (plain text, first link in it)."""
    if not _HTML.search(value):
        bare = _BARE_URL.search(value)
        return value.strip() or None, bare.group(0) if bare else None
    parser = _HtmlText()
    parser.feed(value)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = "\n".join(line for line in lines if line) or None
    bare = _BARE_URL.search(text or "")
    link = parser.links[0] if parser.links else (bare.group(0) if bare else None)
    return text, link


def _split_themes(value: str) -> list[str]:
    parts = (p.strip().lower() for p in _THEME_SEPARATORS.split(value))
    return list(dict.fromkeys(p for p in parts if p))


def _themes(values: pd.Series) -> pd.Series:
    """'Digital; Heritage' → ['digital', 'heritage'] (a list per row, empty if none)."""
    themes = map_unique(values, _split_themes)
    return pd.Series([list(t) if t else [] for t in themes], index=values.index, dtype="object")


def _nuts_code(value: str) -> tuple[str | None, str | None]:
    """One NUTS cell → (code or None, problem or None); GR/GB prefixes read as EL/UK."""
    code = value.upper().replace(" ", "").replace("-", "")
    if code[:2] in nuts.ISO_TO_NUTS_COUNTRY:
        code = nuts.ISO_TO_NUTS_COUNTRY[code[:2]] + code[2:]
        if nuts.CODE_PATTERN.fullmatch(code):
            return code, f"NUTS code {value!r} uses an ISO country prefix: read as {code}"
    if nuts.CODE_PATTERN.fullmatch(code):
        return code, None
    return None, f"invalid NUTS code {value!r} (expected e.g. FRE11): ignored"


_HEADER_LEVEL: Final = re.compile(r"\bnuts ?([0-3])\b")
"""A NUTS column header that names a level ("nuts2", "NUTS-3 code")."""


def _nuts_codes(
    raw: RawLayer, cells: pd.Series, header: str | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Cleaned NUTS codes (None where blank or invalid) and the mask of invalid ones.

    When the column's header names a level ("nuts2"), codes of another level are warned
    about: "ES4" under "nuts2" is the NUTS-1 region, likely not the one meant."""
    text = _single_value(_text(cells))
    parsed = map_unique(text, _nuts_code)
    code = pd.Series([p[0] if p else None for p in parsed], index=text.index, dtype="object")
    for row, result in enumerate(parsed):
        if result and result[1]:
            raw.warn(result[1], row=raw.source_row[row], layer=layer_of(raw, row))
    level = _HEADER_LEVEL.search(fold(header)) if header else None
    if level is not None and code.notna().any():
        expected = int(level.group(1))
        levels = code.str.len().fillna(expected + 2).to_numpy(dtype=np.int64) - 2
        for row in map(int, np.flatnonzero(levels != expected)):
            found = int(levels[row])
            raw.warn(
                f"NUTS code {code.iloc[row]} is a level-{found} code in the column "
                f"{header!r}, which holds level-{expected} codes: the row gets the "
                f"level-{found} region; check the code",
                row=raw.source_row[row],
                layer=layer_of(raw, row),
                column=header,
            )
    return code, (text.notna() & code.isna()).to_numpy()


def _countries(raw: RawLayer, cells: pd.Series, nuts: pd.Series, default: str | None) -> pd.Series:
    text = _single_value(_text(cells))
    codes = geocode.country_codes(text)
    unknown = text.notna() & codes.isna()
    for value, count in text[unknown].value_counts().items():
        raw.warn(
            f"unrecognised country {value!r} in {counted(count, 'row')}: ignored; use a "
            "two-letter code such as FR"
        )
    codes = codes.where(codes.notna(), nuts.map(lambda code: code[:2], na_action="ignore"))
    return codes.where(codes.notna(), default).astype("object")


def _default_country(raw: RawLayer, country: str | None) -> str | None:
    if country is None:
        return None
    code = geocode.country_codes(pd.Series([country])).iloc[0]
    if code is None:
        raise InputFileError(
            raw.file,
            f"the default country {country!r} is not a country code or name",
            "Give a two-letter code such as FR, DE or EL",
        )
    return str(code)


def _locate_by_city(
    raw: RawLayer,
    positions: coordinates.Positions,
    outcome: Outcome,
    city: pd.Series,
    country: pd.Series,
    nuts: pd.Series,
    source: np.ndarray,
) -> None:
    """Position rows that give a city but no coordinates; keep NUTS-only fallbacks."""
    need = np.isnan(positions.x) & outcome.open & city.notna().to_numpy()
    if not need.any():
        return
    located = geocode.locate_cities(city[need], country[need])
    rows = np.flatnonzero(need)
    found = located["lat"].notna().to_numpy()
    hit = rows[found]
    positions.x[hit] = located["lon"].to_numpy()[found]
    positions.y[hit] = located["lat"].to_numpy()[found]
    source[hit] = "city"
    matched = located[found]
    positions.note[hit] = [
        f"centre of {m} ({c}), from GeoNames"
        for m, c in zip(matched["matched"], matched["country"], strict=True)
    ]
    country.iloc[hit] = located["country"].to_numpy()[found]
    missed = rows[~found]
    problems = located[~found]
    has_nuts = nuts.iloc[missed].notna().to_numpy()
    for row, detail in zip(missed[has_nuts], problems["detail"][has_nuts], strict=True):
        raw.warn(
            f"{detail.split(' — ')[0]}: positioned later from NUTS code {nuts.iloc[row]}",
            row=raw.source_row[row],
            layer=layer_of(raw, row),
        )
    rejected = np.zeros(len(outcome.reason), dtype=bool)
    rejected[missed[~has_nuts]] = True
    reasons = np.full(len(rejected), None, dtype=object)
    details = np.full(len(rejected), None, dtype=object)
    reasons[missed] = problems["problem"].to_numpy()
    details[missed] = problems["detail"].to_numpy()
    for reason in ("unknown city", "ambiguous city"):
        outcome.reject(
            rejected & (reasons == reason),
            reason,
            details,
            column="city",
            value=city.to_numpy(dtype=object),
        )


def _reject_duplicates(
    raw: RawLayer,
    outcome: Outcome,
    name: pd.Series,
    city: pd.Series,
    positions: coordinates.Positions,
) -> None:
    """Second and later rows with the same name and position (or city) as an earlier one."""
    keys = pd.DataFrame(
        {
            "name": fold_series(name),
            "x": np.round(positions.x, 6),
            "y": np.round(positions.y, 6),
            "city": fold_series(city),
            "row": raw.source_row,
        }
    )
    keys.loc[~np.isnan(positions.x), "city"] = None
    keys = keys[outcome.open]
    columns = ["name", "x", "y", "city"]
    duplicate = keys.duplicated(columns, keep="first")
    first = keys.groupby(columns, dropna=False)["row"].transform("first")
    mask = np.zeros(len(outcome.reason), dtype=bool)
    mask[np.flatnonzero(outcome.open)[duplicate.to_numpy()]] = True
    detail = np.full(len(mask), None, dtype=object)
    detail[mask] = [
        f"same name and {'city' if c is not None else 'position'} as row {r}; remove one of the two"
        for r, c in zip(first[duplicate], keys["city"][duplicate], strict=True)
    ]
    outcome.reject(mask, "duplicate row", detail, column=None, value=name.to_numpy(dtype=object))


def _none_for_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with None, not NaN, for missing cells (lists are left alone)."""
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) and column not in _LIST_COLUMNS:
            values = frame[column].astype("object")
            frame[column] = values.where(values.notna(), None)
    return frame


def _postcodes(values: pd.Series) -> pd.Series:
    """Postcodes as text without spaces, in upper case ("59 000" → "59000"); numbers read
    from spreadsheets keep their leading zeros only if the file kept them."""
    return map_unique(_text(values), lambda v: v.replace(" ", "").upper() or None)


def _actor_ids(file_name: str, layers: list[str | None], rows: list[int]) -> list[str]:
    """Ids from the file's real name: "surrogatepass" keeps two names that differ only in
    bytes that are not UTF-8 apart (they are shown alike, as U+FFFD)."""
    return [
        hashlib.sha1(
            f"{file_name}#{layer or ''}#{row}".encode("utf-8", "surrogatepass")
        ).hexdigest()[:16]
        for layer, row in zip(layers, rows, strict=True)
    ]


PREVIEW_ROWS: Final = 5
"""Rows of the file kept in ``ImportResult.preview``."""

CARRIED_LISTS: Final = ("regional_cluster", "source_maps", "merge_conflicts")
"""List columns of metacluster's own exports (written as "a; b"), read back as lists."""


def _carried_over(raw: RawLayer, ids: list[str], source: np.ndarray) -> dict[str, Any]:
    """What a re-imported metacluster export says about itself, kept rather than
    recomputed: its ``actor_id`` (where given and unique), its ``position_source``, and
    its clusters, sources and conflicts as lists."""
    frame = raw.frame.reset_index(drop=True)
    carried: dict[str, Any] = {}
    if "actor_id" in frame.columns:
        own = frame["actor_id"].astype("object")
        usable = own.notna() & ~own.duplicated(keep=False)
        carried["actor_id"] = np.where(usable, own, np.asarray(ids, dtype=object))
    if "position_source" in frame.columns:
        own = frame["position_source"].astype("object").to_numpy()
        known = np.isin(own, POSITION_SOURCES) & (source == "given")
        carried["position_source"] = np.where(known, own, source)
    for column in CARRIED_LISTS:
        if column in frame.columns:
            carried[column] = pd.Series(
                [
                    [p.strip() for p in str(v).split(";") if p.strip()] if v is not None else []
                    for v in frame[column]
                ],
                dtype="object",
            )
    return carried


def _synonyms(path: str | Path | None) -> dict[str, dict[str, tuple[str, ...]]]:
    """The extra helix words of ``path`` and of ``settings.helix_synonyms``, together."""
    words: dict[str, dict[str, tuple[str, ...]]] = {"synonyms": {}, "keywords": {}}
    for file in (settings.helix_synonyms, path):
        if file is None:
            continue
        for kind, table in helix.load_synonyms(file).items():
            for key, values in table.items():
                words[kind][key] = (*words[kind].get(key, ()), *values)
    return words


def _warn_unknown_helix(
    raw: RawLayer, helix: pd.Series, helix_raw: pd.Series, accepted: np.ndarray
) -> None:
    unknown = helix.eq(UNKNOWN_HELIX).to_numpy() & accepted
    counts = helix_raw[unknown].value_counts(dropna=False)
    for value, count in counts.items():
        if pd.isna(value):
            raw.warn(
                f"{counted(count, 'actor')} without a helix value, and nothing in the "
                "names says it: helix unknown; add a helix column (academia, business, "
                "government, civil_society) or give the map a default helix "
                '(helix = "…" in the manifest, --helix-default)'
            )
        else:
            raw.warn(
                f"{counted(count, 'actor')} with helix {value!r}: not a known helix word, so "
                "unknown (kept in helix_raw); use academia, business, government or "
                "civil_society, or add the word to a synonyms file (helix_synonyms = "
                '"helix.toml" in the manifest, with e.g. academia = ["…"])'
            )


def _rejects_table(raw: RawLayer, outcome: Outcome, layers: list[str | None]) -> pd.DataFrame:
    """The reader's rejects and the rows rejected here, in file order."""
    rejected = outcome.rejected
    rows = pd.DataFrame(
        {
            "file": raw.file_name,
            "layer": np.asarray(layers, dtype=object)[rejected],
            "row": np.asarray(raw.source_row, dtype="int64")[rejected],
            "column": outcome.column[rejected],
            "value": outcome.value[rejected],
            "reason": outcome.reason[rejected],
            "detail": outcome.detail[rejected],
        },
        columns=list(REJECT_COLUMNS),
    )
    table = pd.concat(
        [pd.DataFrame(raw.rejects, columns=list(REJECT_COLUMNS)), rows], ignore_index=True
    ).astype("object")
    return _none_for_missing(table.sort_values("row", kind="stable").reset_index(drop=True))


def _actors_table(
    raw: RawLayer,
    columns: dict[str, pd.Series | np.ndarray | list[Any]],
    consumed: set[str],
    positions: coordinates.Positions,
    accepted: np.ndarray,
) -> gpd.GeoDataFrame:
    """Schema columns, then the file's unmapped columns under their own names."""
    table = pd.DataFrame(columns)
    for column in raw.frame.columns:
        if column not in consumed:
            target = f"{column}_original" if column in ACTOR_COLUMNS else column
            table[target] = raw.frame[column].to_numpy(dtype=object)
    table = _none_for_missing(table)
    placed = ~np.isnan(positions.x)
    points = np.full(len(table), None, dtype=object)
    points[placed] = shapely.points(positions.x[placed], positions.y[placed])
    actors = gpd.GeoDataFrame(
        table[accepted].reset_index(drop=True),
        geometry=gpd.GeoSeries(points[accepted], crs=CRS),
        crs=CRS,
    )
    return actors[[*ACTOR_COLUMNS, *(c for c in actors.columns if c not in ACTOR_COLUMNS)]]


def normalise(
    raw: RawLayer,
    *,
    columns: dict[str, str | None] | None = None,
    country: str | None = None,
    crs: Any = None,
    helix_default: str | None = None,
    helix_synonyms: str | Path | None = None,
) -> ImportResult:
    """Turn one file's raw cells into schema actors, rejects and warnings.

    Parameters
    ----------
    raw
        What a reader gave.
    columns
        Explicit mapping, schema column (or ``lat``/``lon``/``latlon``) → file column
        (None: no column).
    country
        Default country for rows that give none (code or name).
    crs
        CRS of coordinate columns, or of geometries whose file declares none.
    helix_default
        Helix of the rows that no column, layer or name tags (a map of museums).
    helix_synonyms
        A TOML file of extra helix words (``helix.load_synonyms``), beside
        ``settings.helix_synonyms``.

    Returns
    -------
    ImportResult
        Every row of ``raw`` (and every row the reader rejected) is counted once.
    """
    mapping = map_columns(raw, columns)
    if "name" not in mapping:
        raise InputFileError(
            raw.file,
            "has no column for the actors' names",
            f"Name it 'name', or map it with columns={{'name': ...}}; the file's columns "
            f"are: {', '.join(map(str, raw.frame.columns)) or '(none)'}",
        )
    default_country = _default_country(raw, country)
    try:
        default_helix = helix.check_helix(helix_default, "the default helix")
    except ValueError as error:
        raise InputFileError(raw.file, str(error), "Use --helix-default civil_society") from error
    synonyms = _synonyms(helix_synonyms)
    declared_crs = coordinates.crs_option(raw, crs)
    n = len(raw.frame)

    osm_kinds = None if "organisation_type" in mapping else osm.kinds(raw.frame)

    def cells(target: str) -> pd.Series:
        if target in mapping:
            return raw.frame[mapping[target]].reset_index(drop=True)
        if target == "organisation_type" and osm_kinds is not None:
            return osm_kinds  # an OSM export's tags say what each place is
        return pd.Series([None] * n, dtype="object")

    outcome = Outcome(n)
    name = _text(cells("name"))
    outcome.reject(
        name.isna().to_numpy(),
        "missing name",
        f"the row has no name; fill in the '{mapping['name']}' column",
        column=mapping["name"],
    )

    if raw.geometry is not None:
        positions, geometry_crs = coordinates.from_geometry(raw, declared_crs)
    else:
        positions, geometry_crs = coordinates.Positions.empty(n, None), None
    coordinates.from_columns(raw, mapping, positions, outcome)
    nuts, nuts_invalid = _nuts_codes(raw, cells("nuts_code"), mapping.get("nuts_code"))
    countries = _countries(raw, cells("country"), nuts, default_country)
    coordinates.check_positions(
        raw,
        positions,
        outcome,
        geometry_crs,
        declared_crs or pyproj.CRS.from_user_input(CRS),
        countries.to_numpy(dtype=object),
    )
    source = np.full(n, "given", dtype=object)
    source[np.isnan(positions.x)] = None

    city = _text(cells("city"))
    _locate_by_city(raw, positions, outcome, city, countries, nuts, source)
    unplaced = np.isnan(positions.x) & nuts.isna().to_numpy() & city.isna().to_numpy()
    outcome.reject(
        unplaced & nuts_invalid,
        "invalid NUTS code",
        "the NUTS code is not valid (two letters and up to three letters or "
        "digits, e.g. FRE11) and the row has no other location",
        column=mapping.get("nuts_code"),
        value=cells("nuts_code").to_numpy(dtype=object),
    )
    outcome.reject(
        unplaced,
        "no usable location",
        "give latitude and longitude, a city (with its country) or a NUTS code",
    )
    participations = projects.Participations.from_cells(
        cells("projects"), cells("project_id"), cells("project_role"), cells("ec_contribution")
    )
    participation_rows = int((participations.has_project & outcome.open).sum())
    outcome.folded = participations.fold(
        projects.organisation_keys(
            _text(cells("organisation_id")), name, positions.x, positions.y, city
        ),
        outcome.open,
    )
    _reject_duplicates(raw, outcome, name, city, positions)

    layers: list[str | None] = list(raw.source_layer) if raw.source_layer else [None] * n
    layer_hint = pd.Series(
        [
            layer if raw.layer_is_helix_hint and layer != raw.default_layer else None
            for layer in layers
        ],
        dtype="object",
    )
    tagged, helix_raw = helix.tag_helix(
        cells("helix"),
        cells("organisation_type"),
        layer_hint,
        names=name,
        default=default_helix,
        synonyms=synonyms,
    )
    _warn_unknown_helix(raw, tagged, helix_raw, outcome.open)

    described = map_unique(cells("description"), html_to_text)
    website = _text(cells("website"))
    carried = _carried_over(raw, _actor_ids(raw.file.name, layers, raw.source_row), source)
    actors = _actors_table(
        raw,
        {
            "actor_id": _actor_ids(raw.file.name, layers, raw.source_row),
            "name": name,
            "helix": tagged,
            "helix_raw": helix_raw,
            "helix_source": tagged.attrs["helix_source"],
            "organisation_type": _text(cells("organisation_type")),
            "city": city,
            "country": countries,
            "nuts_code": nuts,
            "themes": _themes(_text(cells("themes"))),
            "website": website.where(website.notna(), described.map(lambda d: d and d[1])),
            "description": described.map(lambda d: d and d[0]),
            "source_file": [raw.file_name] * n,
            "source_layer": layers,
            "source_row": np.asarray(raw.source_row, dtype="int64"),
            "position_source": source,
            "position_note": positions.note,
            **({"postcode": _postcodes(cells("postcode"))} if "postcode" in mapping else {}),
            **({"region": _text(cells("region"))} if "region" in mapping else {}),
            **participations.columns(),
            **carried,
        },
        set(mapping.values()) | set(carried),
        positions,
        outcome.open,
    )
    folded = int(outcome.folded.sum())
    if folded:
        raw.warn(
            f"{projects.describe(projects.counts(participation_rows, actors))}: one actor "
            "per organisation, its projects listed in the projects column"
        )
    return ImportResult(
        file=str(raw.file),
        rows_in=raw.rows_in,
        actors=actors,
        rejects=_rejects_table(raw, outcome, layers),
        warnings=pd.DataFrame(raw.warnings, columns=list(WARNING_COLUMNS), dtype="object"),
        folded=folded,
        columns=mapping,
        participations=participation_rows,
        preview=raw.frame.head(PREVIEW_ROWS).reset_index(drop=True),
        title=raw.title,
    )
