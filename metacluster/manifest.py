"""Manifests: which regional maps make up one meta-cluster, and how to read each of them.

A partnership (SmartCulture: eight regions) keeps one TOML manifest in ``layers/`` that lists
its regional maps: the file, the regional cluster's name, the partner organisation that drew
the map, the NUTS region it covers and, when needed, a default country, the XLSX sheet and an
explicit column mapping. ``merge`` reads the maps in manifest order; that order decides which
map's position and attributes a duplicate actor keeps.

The manifest is checked strictly before any map is read: a typo in a key, a missing file or
two maps with the same cluster name raise ``ManifestError`` naming the manifest and the key.
Plain layer files can stand in for a manifest (``Manifest.from_files``): each file is then
one regional map named after the file.

Example manifest::

    links = "links.csv"               # optional: explicit links between actors
    participations = "cordis.csv"     # optional: project participations (CORDIS-shaped)

    [partnership]
    name = "SmartCulture"
    title = "SmartCulture European Meta-Cluster"
    description = "One line about the partnership"
    nuts_year = 2021

    [[maps]]
    file = "nord-pas-de-calais.kml"   # relative to the manifest
    cluster = "Nord-Pas de Calais"
    partner = "EuraTechnologies"
    home_nuts = "FRE1"
    country = "FR"                    # optional
    sheet = "Actors"                  # optional (XLSX)
    [maps.columns]                    # optional: schema column = source column
    name = "Organisation"
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from metacluster import nuts
from metacluster._errors import ManifestError, printable
from metacluster.columns import MAPPING_KEYS
from metacluster.helix import check_helix

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MANIFEST_SUFFIX: Final = ".toml"

_TOP_KEYS: Final = ("partnership", "maps", "links", "participations")
_PARTNERSHIP_REQUIRED: Final = ("name",)
_PARTNERSHIP_OPTIONAL: Final = ("title", "description", "nuts_year", "helix_synonyms")
_MAP_REQUIRED: Final = ("file", "cluster")
_MAP_OPTIONAL: Final = ("partner", "home_nuts", "country", "sheet", "columns", "helix")


@dataclass(frozen=True)
class MapEntry:
    """One regional map of a meta-cluster.

    Parameters
    ----------
    file
        Absolute path of the layer file.
    cluster
        Name of the regional cluster; tags every actor read from the map.
    partner
        Organisation that drew the map (None for ad-hoc maps).
    home_nuts
        NUTS code of the region the map covers (None for ad-hoc maps).
    country
        Default ISO country code for rows that lack one.
    sheet
        XLSX sheet to read.
    columns
        Explicit column mapping, schema column -> source column.
    helix
        Default helix of the map's actors that nothing else tags (``helix = "…"``).
    named_after_file
        The cluster's name was made from the file name (ad-hoc maps, uploads): a name the
        file gives its map (a My Maps KML's title) replaces it when the map is read.
    """

    file: Path
    cluster: str
    partner: str | None = None
    home_nuts: str | None = None
    country: str | None = None
    sheet: str | None = None
    columns: dict[str, str | None] | None = field(default=None, hash=False)
    helix: str | None = None
    named_after_file: bool = False


@dataclass(frozen=True)
class Manifest:
    """A meta-cluster: its name, the NUTS version it is mapped on and its regional maps.

    ``path`` is the manifest file, or None for an ad-hoc manifest made from layer files.
    ``nuts_year`` None means "use ``settings.nuts_year``". ``links`` is the explicit links
    table (``links = "links.csv"`` at the top of the manifest), read by ``links.read_links``;
    ``participations`` a CORDIS-shaped table of project participations
    (``links.read_participations``) that fills the actors' ``projects``.
    ``helix_synonyms`` is a TOML file of extra helix words for every map
    (``helix.load_synonyms``).
    """

    name: str
    title: str
    description: str
    nuts_year: int | None
    path: Path | None
    maps: tuple[MapEntry, ...]
    links: Path | None = None
    participations: Path | None = None
    helix_synonyms: Path | None = None

    def with_defaults(
        self, *, helix: str | None = None, columns: Mapping[str, str | None] | None = None
    ) -> Manifest:
        """The manifest with a default helix and a column mapping for the maps that give
        none (the CLI's ``--helix-default`` and ``--columns``)."""
        if helix is None and columns is None:
            return self
        maps = tuple(
            dataclasses.replace(
                entry,
                helix=entry.helix or helix,
                columns=entry.columns or (dict(columns) if columns else None),
            )
            for entry in self.maps
        )
        return dataclasses.replace(self, maps=maps)

    @property
    def clusters(self) -> tuple[str, ...]:
        """The regional cluster names, in manifest order."""
        return tuple(entry.cluster for entry in self.maps)

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> Manifest:
        """An ad-hoc manifest in which each plain layer file is one regional map.

        The cluster is named after the file ("nord-pas-de-calais.kml" -> "Nord Pas De
        Calais") until the map is read, when a title the file gives its map replaces it
        (``merge``); two maps with the same name get " (2)", " (3)"… in the order given.

        Examples
        --------
        >>> Manifest.from_files(["layers/nord-pas-de-calais.kml"]).clusters
        ('Nord Pas De Calais',)
        """
        files = [Path(p).resolve() for p in paths]
        if not files:
            raise ManifestError("No layer files given: name a manifest (.toml) or layer files.")
        for file in files:
            _check_file_exists(file, where=str(file))
        clusters = unique_names([_prettify_stem(printable(file.stem)) for file in files])
        maps = tuple(
            MapEntry(file=f, cluster=c, named_after_file=True)
            for f, c in zip(files, clusters, strict=True)
        )
        return cls(
            name="ad-hoc",
            title=f"Ad-hoc layer of {len(maps)} map{'s' if len(maps) != 1 else ''}",
            description="",
            nuts_year=None,
            path=None,
            maps=maps,
        )


def load_manifest(path: str | Path) -> Manifest:
    """Read and check a meta-cluster manifest.

    Parameters
    ----------
    path
        The TOML manifest; map files are resolved relative to its folder.

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        The file is missing or not valid TOML, a required key is missing, a key is unknown
        (a typo), a value has the wrong type, a map file does not exist, or two maps share a
        cluster name or a file. The message names the manifest and the key.

    Examples
    --------
    >>> manifest = load_manifest("layers/metacluster.toml")
    >>> manifest.clusters[:2]
    ('Nord-Pas de Calais', 'Noord-Brabant')
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: manifest not found. Check the path (layers/*.toml).")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ManifestError(f"{path.name}: not UTF-8 text ({error.reason}).") from error
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(
            f"{path.name}: not valid TOML: {error}. Fix the syntax at that line."
        ) from error
    except RecursionError as error:  # tomllib parses nested arrays and tables recursively
        raise ManifestError(
            f"{path.name}: not a usable manifest: arrays or tables nested too deeply. "
            "A manifest needs at most a few levels ([[maps]], [maps.columns])."
        ) from error
    return _parse_manifest(data, path.resolve())


def as_manifest(sources: Manifest | str | Path | Sequence[str | Path]) -> Manifest:
    """Whatever the user named as input, as one Manifest.

    A Manifest is returned as is; a single ``.toml`` path is loaded; plain layer files become
    one regional map each. Several manifests, or manifests mixed with layer files, are
    combined in the order given (cluster names must stay unique; NUTS years must agree).
    """
    if isinstance(sources, Manifest):
        return sources
    items = [sources] if isinstance(sources, (str, Path)) else list(sources)
    if not items:
        raise ManifestError("No input given: name a manifest (.toml) or layer files.")
    parts: list[Manifest] = []
    loose: list[Path] = []
    for item in items:
        if Path(item).suffix.lower() == MANIFEST_SUFFIX:
            if loose:
                parts.append(Manifest.from_files(loose))
                loose = []
            parts.append(load_manifest(item))
        else:
            loose.append(Path(item))
    if loose:
        parts.append(Manifest.from_files(loose))
    return parts[0] if len(parts) == 1 else _combine(parts)


def _combine(parts: list[Manifest]) -> Manifest:
    years = {part.nuts_year for part in parts if part.nuts_year is not None}
    if len(years) > 1:
        raise ManifestError(
            f"The manifests use different NUTS years ({', '.join(map(str, sorted(years)))}): "
            "merge them separately or pass --year."
        )
    maps = tuple(entry for part in parts for entry in part.maps)
    _check_unique([entry.cluster for entry in maps], "cluster", "the combined inputs")
    _check_unique([str(entry.file) for entry in maps], "file", "the combined inputs")
    names = [part.name for part in parts]
    tables = {key: _one_table(parts, key) for key in ("links", "participations")}
    return Manifest(
        name=" + ".join(names),
        title=" + ".join(part.title for part in parts),
        description="",
        nuts_year=years.pop() if years else None,
        path=None,
        maps=maps,
        links=tables["links"],
        participations=tables["participations"],
        helix_synonyms=_one_synonyms_file(parts),
    )


def _one_synonyms_file(parts: list[Manifest]) -> Path | None:
    files = list(dict.fromkeys(p.helix_synonyms for p in parts if p.helix_synonyms is not None))
    if len(files) > 1:
        raise ManifestError(
            "Several of the manifests name a helix_synonyms file: combine them into one file."
        )
    return files[0] if files else None


def _parse_manifest(data: dict[str, Any], path: Path) -> Manifest:
    name = path.name
    _check_keys(data, required=(), optional=tuple(_TOP_KEYS), where=name)
    partnership = data.get("partnership")
    if not isinstance(partnership, dict):
        raise ManifestError(f'{name}: missing [partnership] table with at least name = "…".')
    where = f"{name} [partnership]"
    _check_all_missing(partnership, data.get("maps"), name)
    _check_keys(partnership, _PARTNERSHIP_REQUIRED, _PARTNERSHIP_OPTIONAL, where=where)
    title = _text(partnership, "title", where, required=False)
    nuts_year = partnership.get("nuts_year")
    if nuts_year is not None and (isinstance(nuts_year, bool) or nuts_year not in nuts.YEARS):
        raise ManifestError(
            f"{where}: nuts_year = {nuts_year!r} is not a NUTS version; use one of {nuts.YEARS}."
        )
    raw_maps = data.get("maps")
    if not isinstance(raw_maps, list) or not raw_maps:
        raise ManifestError(f"{name}: no [[maps]] entries; list each regional map as [[maps]].")
    maps = tuple(_parse_map(raw, index, path) for index, raw in enumerate(raw_maps, start=1))
    _check_unique([entry.cluster for entry in maps], "cluster", name)
    _check_unique([str(entry.file) for entry in maps], "file", name)
    partnership_name = _text(partnership, "name", where)
    synonyms = _text(partnership, "helix_synonyms", where, required=False)
    if synonyms is not None:
        synonyms = (path.parent / synonyms).resolve()
        _check_file_exists(synonyms, where=f"{where} helix_synonyms")
    return Manifest(
        name=partnership_name,
        title=title or partnership_name,
        description=_text(partnership, "description", where, required=False) or "",
        nuts_year=nuts_year,
        path=path,
        maps=maps,
        links=_table_file(data, "links", path),
        participations=_table_file(data, "participations", path),
        helix_synonyms=synonyms,
    )


def _table_file(data: Mapping[str, Any], key: str, path: Path) -> Path | None:
    """The file a top-level key (links, participations) names, checked to exist."""
    value = _text(data, key, path.name, required=False)
    if value is None:
        return None
    file = (path.parent / value).resolve()
    _check_file_exists(file, where=f"{path.name} {key}")
    return file


def _one_table(parts: list[Manifest], key: str) -> Path | None:
    files = [getattr(part, key) for part in parts if getattr(part, key) is not None]
    if len(files) > 1:
        raise ManifestError(f"Several of the manifests name a {key} table: combine them into one.")
    return files[0] if files else None


def _parse_map(raw: Any, index: int, manifest: Path) -> MapEntry:
    where = f"{manifest.name} [[maps]] #{index}"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: must be a table with file and cluster.")
    _check_keys(raw, _MAP_REQUIRED, _MAP_OPTIONAL, where=where)
    file = (manifest.parent / _text(raw, "file", where)).resolve()
    _check_file_exists(file, where=f"{where} file")
    home_nuts = _text(raw, "home_nuts", where, required=False)
    home_nuts = home_nuts.upper() if home_nuts else None
    if home_nuts is not None and not nuts.CODE_PATTERN.fullmatch(home_nuts):
        raise ManifestError(
            f"{where}: home_nuts = {raw['home_nuts']!r} is not a NUTS code (e.g. FRE1, ITI4)."
        )
    country = _text(raw, "country", where, required=False)
    if country is not None:
        country = country.upper()
        if not nuts.COUNTRY_CODE_PATTERN.fullmatch(country):
            raise ManifestError(
                f"{where}: country = {raw['country']!r} is not a two-letter code (e.g. FR, IT)."
            )
    default_helix = _text(raw, "helix", where, required=False)
    try:
        default_helix = check_helix(default_helix, f"{where}: helix")
    except ValueError as error:
        raise ManifestError(f"{error}.") from error
    return MapEntry(
        file=file,
        cluster=_text(raw, "cluster", where),
        partner=_text(raw, "partner", where, required=False),
        home_nuts=home_nuts,
        country=country,
        sheet=_text(raw, "sheet", where, required=False),
        columns=_columns(raw.get("columns"), where),
        helix=default_helix,
    )


def _columns(value: Any, where: str) -> dict[str, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ManifestError(
            f'{where}: columns must be a table [maps.columns] of schema column = "source column".'
        )
    for key, source in value.items():
        if key not in MAPPING_KEYS:
            raise ManifestError(
                f"{where} columns.{key}: not a column metacluster fills (a typo?). "
                f"Use keys among: {', '.join(MAPPING_KEYS)}."
            )
        if not isinstance(source, str) or not source.strip():
            raise ManifestError(
                f"{where} columns.{key}: must be the source column's name as text, not {source!r}."
            )
    return {str(key): source for key, source in value.items()}


def _check_all_missing(partnership: Mapping[str, Any], maps: Any, name: str) -> None:
    """Every required key missing anywhere in the manifest, in one error: a user fixes
    them all at once instead of one per run."""
    tables: list[tuple[str, Mapping[str, Any], tuple[str, ...]]] = [
        (f"{name} [partnership]", partnership, _PARTNERSHIP_REQUIRED)
    ]
    if isinstance(maps, list):
        tables += [
            (f"{name} [[maps]] #{index}", raw, _MAP_REQUIRED)
            for index, raw in enumerate(maps, start=1)
            if isinstance(raw, dict)
        ]
    problems = [
        f"{where}: missing required key{'s' if len(missing) > 1 else ''} "
        + ", ".join(repr(key) for key in missing)
        for where, table, required in tables
        if (missing := [key for key in required if key not in table])
    ]
    if len(problems) > 1:
        raise ManifestError(". ".join(problems) + ".")


def _check_keys(
    table: Mapping[str, Any], required: Sequence[str], optional: Sequence[str], *, where: str
) -> None:
    allowed = (*required, *optional)
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ManifestError(
            f"{where}: unknown key {unknown[0]!r} (a typo?). Allowed keys: {', '.join(allowed)}."
        )
    missing = [key for key in required if key not in table]
    if missing:
        listed = ", ".join(repr(key) for key in missing)
        raise ManifestError(
            f"{where}: missing required key{'s' if len(missing) > 1 else ''} {listed}."
        )


def _text(table: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> Any:
    value = table.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{where}: {key} must be non-empty text, not {value!r}.")
    return value.strip()


def _check_file_exists(file: Path, *, where: str) -> None:
    if not file.is_file():
        raise ManifestError(f"{where}: file {str(file)!r} not found. Check the path and name.")


def _check_unique(values: list[str], key: str, where: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ManifestError(
                f"{where}: two maps have {key} = {value!r}; each map needs its own {key}."
            )
        seen.add(value)


def _prettify_stem(stem: str) -> str:
    words = re.sub(r"[_\-\s]+", " ", stem).strip().split(" ")
    pretty = " ".join(word[:1].upper() + word[1:] if word.islower() else word for word in words)
    return pretty or stem


def unique_names(names: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    unique = []
    for name in names:
        counts[name] = counts.get(name, 0) + 1
        unique.append(name if counts[name] == 1 else f"{name} ({counts[name]})")
    return unique
