"""Which file column feeds which actor column: aliases in the supported languages.

The headers files use for each schema column, the keys a column mapping may name, and the
matching of headers to them (ignoring case, accents, spaces and punctuation). Readers use
``is_known_column`` to find the header row; ``normalise`` uses ``map_columns``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from metacluster._errors import InputFileError
from metacluster._text import fold

if TYPE_CHECKING:
    from metacluster.read._raw import RawLayer

COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "name": (
        "name",
        "organisation",
        "organization",
        "organisation name",
        "organization name",
        "org name",
        "actor",
        "actor name",
        "nom",
        "nom de l'organisation",
        "nombre",
        "nome",
        "denominazione",
        "libelle",
        "intitule",
        "raison sociale",
        "denomination",
        "vereinsname",
        "firmenname",
        "ragione sociale",
        "naam",
        "navn",
        "bezeichnung",
        "име",
        "наименование",
        "title",
        "titre",
        "titel",
        "itemLabel",  # a Wikidata query's label of ?item
    ),
    "helix": (
        "helix",
        "helix type",
        "quadruple helix",
        "helice",
        "elica",
        "activityType",
        "sector",
        "secteur",
        "sektor",
        "category",
        "categorie",
        "categoria",
        "kategorie",
        "type",
        "typ",
        "tipo",
    ),
    "organisation_type": (
        "organisation_type",
        "organization_type",
        "org type",
        "type of organisation",
        "type of organization",
        "type of institution",
        "type d'etablissement",
        "type de structure",
        "einrichtungsart",
        "rechtsform",
        "type d'organisation",
        "tipo de organizacion",
        "tipo di organizzazione",
        "organisationstyp",
        "organisatietype",
        "organisationstype",
        "legal form",
        "forme juridique",
        "types",
    ),
    "city": (
        "city",
        "town",
        "ville",
        "ciudad",
        "citta",
        "stadt",
        "ort",
        "plaats",
        "by",
        "municipality",
        "commune",
        "municipio",
        "comune",
        "gemeinde",
        "gemeente",
        "kommune",
        "locality",
        "град",
    ),
    "country": (
        "country",
        "country code",
        "CNTR_CODE",
        "pays",
        "pais",
        "paese",
        "land",
        "staat",
        "държава",
    ),
    "nuts_code": (
        "nuts_code",
        "nuts",
        "nuts_id",
        "nuts3",
        "nuts2",
        "nuts region",
    ),
    "region": (
        "region",
        "region name",
        "nuts name",
        "nuts region name",
        "regione",
        "regio",
        "bundesland",
        "comunidad autonoma",
        "provincia",
        "province",
        "provincie",
        "departement",
        "county",
    ),
    "postcode": (
        "postcode",
        "postal code",
        "zip",
        "zip code",
        "code postal",
        "cp",
        "codigo postal",
        "cap",
        "plz",
        "postleitzahl",
        "postcode_uai",
    ),
    "website": (
        "website",
        "url",
        "web",
        "site",
        "homepage",
        "organizationURL",
        "site web",
        "site internet",
        "sitio web",
        "pagina web",
        "sito web",
        "sito",
        "webseite",
        "internet",
        "link",
    ),
    "description": (
        "description",
        "desc",
        "beschreibung",
        "descripcion",
        "descrizione",
        "beschrijving",
        "beskrivelse",
        "описание",
        "notes",
        "comment",
        "comments",
    ),
    "themes": (
        "themes",
        "theme",
        "topics",
        "topic",
        "tags",
        "keywords",
        "thematiques",
        "temas",
        "temi",
        "themen",
        "thema s",
        "emner",
        "теми",
    ),
    "projects": (
        "projects",
        "project",
        "projectAcronym",
        "project acronyms",
        "projets",
        "projet",
        "proyectos",
        "proyecto",
        "progetti",
        "progetto",
        "projekte",
        "projekt",
        "projecten",
    ),
    "project_id": ("projectID", "grant agreement", "grant agreement number"),
    "project_role": ("role", "project role", "participant role"),
    "ec_contribution": ("ecContribution", "eu contribution"),
    "organisation_id": (
        "organisationID",
        "organizationID",
        "pic",
    ),
    "lat": (
        "lat",
        "latitude",
        "y",
        "breitengrad",
        "latitud",
        "latitudine",
        "breedtegraad",
        "breddegrad",
        "ширина",
    ),
    "lon": (
        "lon",
        "lng",
        "long",
        "longitude",
        "x",
        "langengrad",
        "longitud",
        "longitudine",
        "lengtegraad",
        "laengdegrad",
        "længdegrad",
        "дължина",
    ),
    "latlon": (
        "latlon",
        "latlng",
        "geolocation",
        "geolocalisation",
        "coordinates",
        "coordonnees",
        "coordenadas",
        "coordinate",
        "koordinaten",
        "geo_point_2d",
        "geo point",
        "coords",
        "coord",
        "wkt",
        "geom",
        "the_geom",
    ),
}
"""Schema column (plus ``lat``, ``lon`` and a combined ``latlon``) → the names files use
for it, in order of preference; matched ignoring case, accents, spaces and punctuation
("lat,lon", "lat_lon" and "LatLon" are one alias)."""

MAPPING_KEYS: Final = tuple(COLUMN_ALIASES)


def column_key(name: str) -> str:
    return fold(str(name)).replace(" ", "")


def _alias_index() -> dict[str, tuple[str, int]]:
    return {
        column_key(alias): (target, rank)
        for target, aliases in COLUMN_ALIASES.items()
        for rank, alias in enumerate(aliases)
    }


_ALIASES: Final = _alias_index()


def is_known_column(name: str) -> bool:
    """Whether a header cell names a column metacluster recognises (for header detection)."""
    return column_key(name) in _ALIASES


_TOKEN_RANK: Final = 1_000_000
"""Whole-name aliases always beat words found inside a header."""

_MIN_TOKEN_ALIAS: Final = 3
"""Aliases shorter than this (x, y, by) are matched as whole names only."""


def _words(name: str) -> tuple[str, ...]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name))  # organisationName
    return tuple(fold(spaced).split())


@functools.cache
def _token_aliases() -> tuple[tuple[tuple[str, ...], str, int], ...]:
    """(alias words, target, rank), longest aliases first."""
    entries = {
        (_words(alias), target, rank)
        for target, aliases in COLUMN_ALIASES.items()
        for rank, alias in enumerate(aliases)
        if len(column_key(alias)) >= _MIN_TOKEN_ALIAS
    }
    return tuple(sorted(entries, key=lambda e: (-len(" ".join(e[0])), e[2])))


def _token_match(column: str) -> tuple[str, int]:
    """The schema column whose alias occurs as whole words in a header ("Nom officiel du
    musée" → name, "organisation_name_legal" → name); the longest alias wins."""
    words = _words(column)
    for alias, target, rank in _token_aliases():
        size = len(alias)
        if any(words[i : i + size] == alias for i in range(len(words) - size + 1)):
            return target, rank
    return "", 0


def map_columns(raw: RawLayer, explicit: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """Which file column feeds each schema column: the explicit mapping, then aliases.

    A schema column mapped to None is fed by no column (a user turning off a wrong guess).
    Raises InputFileError for a mapping key that is not a schema column, or a mapped
    column the file does not have (listing the columns it has).
    """
    available = [str(c) for c in raw.frame.columns]
    mapping: dict[str, str] = {}
    unused: set[str] = set()
    for target, source in (explicit or {}).items():
        if target not in MAPPING_KEYS:
            raise InputFileError(
                raw.file,
                f"the column mapping names {target!r}, which is not a column metacluster fills",
                f"Use keys among: {', '.join(MAPPING_KEYS)}",
            )
        if source is None:
            unused.add(target)
            continue
        matches = [c for c in available if c == source] or [
            c for c in available if column_key(c) == column_key(source)
        ]
        if not matches:
            raise InputFileError(
                raw.file,
                f"the column mapping asks for {target}={source!r}, but the file has no such column",
                f"The file's columns are: {', '.join(available) or '(none)'}",
                column=source,
            )
        mapping[target] = matches[0]
    used = set(mapping.values())
    candidates: dict[str, list[tuple[int, str]]] = {}
    for position, column in enumerate(available):
        target, rank = _ALIASES.get(column_key(column), ("", 0))
        if not target:  # no whole-name alias: try the header's words
            target, rank = _token_match(column)
            rank = _TOKEN_RANK + rank * len(available) + position
        if target and target not in mapping and target not in unused and column not in used:
            candidates.setdefault(target, []).append((rank, column))
    for target, found in candidates.items():
        found.sort()
        mapping[target] = found[0][1]
        if target == "helix" and len(found) > 1:
            others = ", ".join(repr(c) for _, c in found[1:])
            raw.warn(
                f"several columns could hold the helix: using {found[0][1]!r}, not "
                f"{others}; choose with columns={{'helix': ...}}"
            )
    if ("lat" in mapping) != ("lon" in mapping):
        alone = mapping.pop("lat", None) or mapping.pop("lon")
        raw.warn(
            f"column {alone!r} looks like a coordinate but its partner is missing: "
            "ignored; map both with columns={'lat': ..., 'lon': ...}"
        )
    if "lat" in mapping:
        mapping.pop("latlon", None)
    return mapping
