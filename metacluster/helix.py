"""Quadruple-helix tagging: map whatever a map calls its actors' kind to four values.

Regional maps name the helix in many ways: My Maps layer names ("Academic/Scientific"),
CORDIS activity types ("HES", "PRC;PRC"), ROR organisation types ("Education"), or just
an organisation type in the partner's language ("Universität", "община", "musée"). The
tables below are plain data, easy to extend: ``SYNONYMS`` are whole values matched
exactly, ``KEYWORDS`` are words or phrases found anywhere in a value as whole words. Both
are matched after folding (accents, case and punctuation ignored; Cyrillic kept).

A value that matches nothing, or keywords of two helices equally well, stays ``unknown``
and its raw text is kept in ``helix_raw`` so that nothing is lost.

When no column says it, the organisation's *name* is a last, lower-confidence source:
``KEYWORDS`` plus ``NAME_KEYWORDS`` (legal forms such as e.V., eG, gGmbH, asbl, onlus,
and words such as "Musée" that mark a kind of organisation). A map can also have a default
helix (manifest ``helix = "civil_society"``, ``--helix-default``) for rows nothing tags.
``helix_source`` says which source decided: column, type, layer, name or default.

Users add words without touching the code with a synonyms TOML file (``load_synonyms``):
one key per helix, each a list of whole values, and an optional ``[keywords]`` table.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Final

import pandas as pd

from metacluster._errors import InputFileError
from metacluster._text import fold, map_unique
from metacluster.schema import HELICES, HELIX_LABELS, UNKNOWN_HELIX

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Words = Mapping[str, Sequence[str]]
"""Helix -> words (synonyms or keywords)."""

HELIX_SOURCES: Final = ("column", "type", "layer", "name", "default")
"""Values of ``helix_source``: the helix column, the organisation type, the layer (folder)
name, the organisation's name, or the map's default helix."""

SYNONYMS: dict[str, tuple[str, ...]] = {
    "academia": (
        "academia",
        "academic",
        "Academic/Scientific",
        "scientific",
        "science",
        "research",
        "research and education",
        "higher education",
        "education",
        "university",
        "knowledge institution",
        # CORDIS activity types: higher or secondary education, research organisation
        "HES",
        "REC",
        # ROR organisation types
        "Facility",
    ),
    "business": (
        "business",
        "industry",
        "private sector",
        "enterprise",
        "company",
        "companies",
        "SME",
        "private company",
        "for-profit",
        # CORDIS: private for-profit entity; ROR
        "PRC",
        "Company",
    ),
    "government": (
        "government",
        "Political",
        "politics",
        "policy",
        "policy makers",
        "public sector",
        "public authority",
        "public authorities",
        "public administration",
        "public body",
        # CORDIS: public body; ROR
        "PUB",
        "Government",
    ),
    "civil_society": (
        "civil society",
        "civil_society",
        "civil-society",
        "Societal Participation",
        "society",
        "societal",
        "citizens",
        "citizen",
        "community",
        "users",
        "end users",
        "third sector",
        "non-profit",
        "nonprofit",
        # CORDIS: other; ROR
        "OTH",
        "Nonprofit",
        "Archive",
        "Healthcare",
        "Other",
    ),
}
"""Whole values (after folding) that name a helix, including the schema's labels."""

KEYWORDS: dict[str, tuple[str, ...]] = {
    "academia": (
        "university",
        "universite",
        "universidad",
        "universita",
        "universitat",
        "universiteit",
        "universitet",
        "universidade",
        "uniwersytet",
        "университет",
        "college",
        "hogeschool",
        "hochschule",
        "fachhochschule",
        "haute ecole",
        "ecole",
        "grande ecole",
        "escuela",
        "scuola",
        "schule",
        "school",
        "academy",
        "akademie",
        "akademi",
        "академия",
        "politecnico",
        "polytechnic",
        "polytechnique",
        "research",
        "research centre",
        "research center",
        "research institute",
        "laboratory",
        "laboratoire",
        "laboratorio",
        "labor",
        "lab",
        "institute",
        "institut",
        "instituto",
        "istituto",
        "instituut",
        "институт",
        "forschung",
        "forschungszentrum",
        "onderzoek",
        "forskning",
        "investigacion",
        "ricerca",
        "recherche",
        "cnrs",
        "inria",
        "fraunhofer",
        "faculty",
        "faculte",
        "facultad",
        "scientific",
        "science park",
        "educational institution",
        "колеж",
        "училище",
        "изследователски",
        "наука",
        "wissenschaft",
        "wetenschap",
        "ciencia",
        "scienza",
        "videnskab",
    ),
    "business": (
        "company",
        "entreprise",
        "empresa",
        "azienda",
        "unternehmen",
        "firma",
        "firm",
        "bedrijf",
        "virksomhed",
        "selskab",
        "startup",
        "start up",
        "scale up",
        "sme",
        "pme",
        "pyme",
        "cluster",
        "pole de competitivite",
        "incubator",
        "incubateur",
        "accelerator",
        "industry",
        "industrie",
        "industria",
        "business",
        "commerce",
        "chamber of commerce",
        "chambre de commerce",
        "camara de comercio",
        "camera di commercio",
        "handelskammer",
        "kamer van koophandel",
        "manufacturer",
        "consultancy",
        "consulting",
        "bank",
        "banque",
        "investor",
        "venture",
        "gmbh",
        "ltd",
        "plc",
        "sarl",
        "sas",
        "srl",
        "aps",
        "фирма",
        "компания",
        "предприятие",
        "бизнес",
        "клъстер",
        "еоод",
        "оод",
        "impresa",
        "imprese",
        "empresas",
        "entreprises",
        "wirtschaft",
        "bedrijfsleven",
        "erhvervsliv",
        "private sector",
        "secteur prive",
        "sector privado",
        "shop",
        "craft",
        "coworking",
        "estate agent",
    ),
    "government": (
        "ministry",
        "ministere",
        "ministerio",
        "ministero",
        "ministerium",
        "ministerie",
        "ministeriet",
        "министерство",
        "government",
        "gouvernement",
        "gobierno",
        "governo",
        "regierung",
        "regering",
        "правителство",
        "ayuntamiento",
        "comune",
        "regione",
        "kommune",
        "region",
        "regional council",
        "conseil regional",
        "gemeente",
        "provincie",
        "provincia",
        "province",
        "municipality",
        "municipalite",
        "municipio",
        "municipal",
        "city council",
        "city hall",
        "town hall",
        "mairie",
        "metropole",
        "prefecture",
        "county council",
        "diputacion",
        "generalitat",
        "junta",
        "landkreis",
        "gemeinde",
        "stadtverwaltung",
        "verwaltung",
        "behorde",
        "amt",
        "authority",
        "public agency",
        "development agency",
        "agence de developpement",
        "community council",
        "european commission",
        "overheid",
        "община",
        "общината",
        "областна администрация",
        "агенция",
        "public administration",
        "administration publique",
        "administracion publica",
        "pubblica amministrazione",
        "offentliche verwaltung",
        "offentlig forvaltning",
        "public sector",
        "secteur public",
        "sector publico",
        "settore pubblico",
        "offentlig sektor",
        "държавна администрация",
        "local authority",
        "combined authority",
        "public body",
        "townhall",
        "courthouse",
        "embassy",
        "diplomatic",
        "police",
    ),
    "civil_society": (
        "museum",
        "musee",
        "museo",
        "muzeum",
        "музей",
        "association",
        "asociacion",
        "associazione",
        "associacao",
        "verein",
        "vereniging",
        "forening",
        "сдружение",
        "foundation",
        "fondation",
        "fundacion",
        "fondazione",
        "stiftung",
        "stichting",
        "фондация",
        "library",
        "bibliotheque",
        "biblioteca",
        "bibliothek",
        "bibliotheek",
        "bibliotek",
        "библиотека",
        "ngo",
        "ong",
        "non profit",
        "nonprofit",
        "charity",
        "civil society",
        "citizens",
        "community",
        "cooperative",
        "cooperativa",
        "theatre",
        "theater",
        "teatro",
        "театър",
        "festival",
        "gallery",
        "galerie",
        "galleria",
        "archive",
        "archives",
        "archivo",
        "archivio",
        "archiv",
        "archief",
        "arkiv",
        "архив",
        "heritage",
        "patrimoine",
        "patrimonio",
        "erfgoed",
        "culture",
        "cultural",
        "kultur",
        "cultuur",
        "orchestra",
        "opera",
        "hospital",
        "читалище",
        "volunteers",
        "trade union",
        "syndicat",
        "societe civile",
        "sociedad civil",
        "societa civile",
        "zivilgesellschaft",
        "maatschappelijk middenveld",
        "civilsamfund",
        "гражданско общество",
        "citoyens",
        "ciudadania",
        "cittadini",
        "burgers",
        "borgere",
        "arts centre",
        "place of worship",
        "social facility",
    ),
}
"""Words and phrases that mark a helix wherever they occur in a value as whole words."""


LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "business": (
        "gmbh",
        "ag",
        "kg",
        "eg",
        "sa",
        "sas",
        "sarl",
        "sasu",
        "eurl",
        "scop",
        "spa",
        "s p a",
        "srl",
        "s r l",
        "sl",
        "s l",
        "bv",
        "b v",
        "nv",
        "ltd",
        "limited",
        "plc",
        "llc",
        "inc",
        "oy",
        "oyj",
        "sp z o o",
        "kft",
        "d o o",
        "ead",
        "ood",
    ),
    "civil_society": (
        "e v",
        "ev",
        "ggmbh",
        "asbl",
        "vzw",
        "onlus",
        "aps",
        "odv",
        "ets",
        "loi 1901",
    ),
}
"""Legal forms in an organisation's name: a company's (GmbH, SA, Srl, Ltd…, and eG, a
cooperative) or a non-profit's (e.V., gGmbH, asbl, vzw, onlus, APS…). They decide first."""

NAME_KEYWORDS: dict[str, tuple[str, ...]] = {
    "academia": (
        "uni",
        "institut",
        "institute",
        "instituto",
        "istituto",
        "insa",
        "polytech",
        "ecole normale superieure",
        "ecole nationale superieure",
        "hautes etudes",
        "sciences po",
        "college de france",
        "conservatoire national des arts et metiers",
        "observatoire",
        "enseignement superieur",
        "communaute d universites",
        "comue",
        "lycee",
        "gymnasium",
    ),
    "business": (
        "genossenschaft",
        "cooperative",
        "cooperativa",
        "cooperatief",
        # shops, cafés and trades: what a map of a town's places is full of
        "shop",
        "store",
        "boutique",
        "magasin",
        "winkel",
        "tienda",
        "negozio",
        "cafe",
        "coffee shop",
        "restaurant",
        "brasserie",
        "bistro",
        "pizzeria",
        "bakery",
        "boulangerie",
        "bakkerij",
        "backerei",
        "brewery",
        "brouwerij",
        "brauerei",
        "barber",
        "barbershop",
        "kapsalon",
        "coiffeur",
        "friseur",
        "pharmacy",
        "pharmacie",
        "apotheek",
        "apotheke",
    ),
    "government": (
        "ministere",
        "ministerium",
        "ministry",
        "ministero",
        "ministerio",
        "prefecture",
        "landkreis",
        "stadt",
        "gemeinde",
        "commune",
        "ville de",
        "mairie",
        "comune",
        "ayuntamiento",
        "gemeente",
        "provincia",
        "provincie",
        "region",
        "regione",
        "conseil departemental",
        "conseil regional",
        "agence nationale",
        "bundesamt",
        "landesamt",
        "hotel de ville",
        "stadhuis",
        "gemeentehuis",
        "rathaus",
        "police",
        "politie",
        "polizei",
        "gendarmerie",
    ),
    "civil_society": (
        "verein",
        "stiftung",
        "foundation",
        "fondation",
        "fundacion",
        "fondazione",
        "stichting",
        "fundacao",
        "association",
        "associazione",
        "asociacion",
        "associacao",
        "vereniging",
        "museum",
        "musee",
        "museo",
        "musees",
        "muzeum",
        "museu",
        "музей",
        "ecomusee",
        "beaux arts",
        "palais",
        "chateau",
        "schloss",
        "castello",
        "castillo",
        "abbaye",
        "abtei",
        "maison de",
        "maison natale",
        "historial",
        "memorial",
        "cite de la",
        "centre culturel",
        "kulturzentrum",
        "tresor",
        "patrimoine",
        "heritage",
        "galerie",
        "gallery",
        "bibliotheque",
        "library",
        "theatre",
        "theater",
        "teatro",
        "orchestre",
        "festival",
        "centre d art",
        "kunsthalle",
        "kunstverein",
        "collectif",
        # places of worship: religious communities are civil society
        "church",
        "eglise",
        "iglesia",
        "chiesa",
        "kirche",
        "kerk",
        "cathedral",
        "cathedrale",
        "kathedrale",
        "catedral",
        "cattedrale",
        "basilica",
        "basilique",
        "chapel",
        "chapelle",
        "kapel",
        "kapelle",
        "capilla",
        "cappella",
        "abbey",
        "monastery",
        "monastere",
        "kloster",
        "klooster",
        "monasterio",
        "synagogue",
        "synagoge",
        "mosque",
        "mosquee",
        "moschee",
        "mezquita",
        "moskee",
        "parish",
        "paroisse",
        "pfarrei",
        "parochie",
    ),
}
"""Words in an organisation's *name* that mark its helix (beside ``KEYWORDS``): schools,
public bodies and town halls, cooperatives, shops and trades, associations, cultural
institutions and places of worship. For rows that no column tagged: a legal form decides,
else the first such word in the name."""

COMPOUND_HEADS: dict[str, tuple[str, ...]] = {
    "academia": ("schule", "school", "akademie", "institut", "instituut"),
    "business": ("winkel", "cafe", "bedrijf", "fabriek", "fabrik", "bakkerij", "brouwerij"),
    "government": ("ministerium", "verwaltung", "stadhuis", "gemeentehuis", "rathaus"),
    "civil_society": (
        "museum",
        "bibliothek",
        "bibliotheek",
        "bibliotek",
        "theater",
        "archiv",
        "archief",
        "verein",
        "vereniging",
        "stiftung",
        "stichting",
        "kirche",
        "kerk",
        "kapelle",
        "kapel",
    ),
}
"""Words that also mark the helix at the end of a longer word: German, Dutch and the
Nordic languages write compounds whose last part is the kind of place ("Stadtmuseum",
"Grundschule", "Stripwinkel", "Kattencafé", "Dorpskerk")."""


def load_synonyms(path: str | Path) -> dict[str, dict[str, tuple[str, ...]]]:
    """Read a user synonyms file: ``{"synonyms": {helix: words}, "keywords": {helix: words}}``.

    The TOML has one key per helix listing whole values, and an optional ``[keywords]``
    table listing words found inside values (and names)::

        civil_society = ["Grand établissement culturel", "Tiers-lieu"]
        academia = ["Grand établissement", "Autre établissement"]

        [keywords]
        business = ["Handelsbolag"]
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputFileError(
            path, f"is not a readable TOML synonyms file ({error})", "Fix the file's syntax"
        ) from error
    except RecursionError as error:
        raise InputFileError(
            path,
            "is not a usable synonyms file: arrays or tables nested too deeply",
            'Write one list of words per helix, e.g. academia = ["Hochschule"]',
        ) from error
    keywords = data.pop("keywords", {})
    result = {"synonyms": _words(path, data), "keywords": _words(path, keywords)}
    return result


def _words(path: Path, table: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        raise InputFileError(
            path, "[keywords] must be a table", "Write [keywords] then helix = [...]"
        )
    words: dict[str, tuple[str, ...]] = {}
    for helix, values in table.items():
        if helix not in HELICES:
            raise InputFileError(
                path,
                f"names {helix!r}, which is not a helix",
                f"Use keys among: {', '.join(HELICES)}",
            )
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InputFileError(path, f"{helix} must be a list of texts", f'{helix} = ["…"]')
        words[helix] = tuple(values)
    return words


def _snapshot(*tables: Words | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The words of several tables, as a hashable key (the cache follows every change)."""
    return tuple(
        (helix, tuple(word for table in tables if table for word in table.get(helix, ())))
        for helix in HELICES
    )


def _synonym_index(extra: Words | None = None) -> dict[str, str]:
    return _build_synonym_index(_snapshot(SYNONYMS, extra))


@lru_cache(maxsize=8)
def _build_synonym_index(snapshot: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, str]:
    return {
        fold(word): helix
        for helix, words in snapshot
        for word in (helix, HELIX_LABELS[helix], *words)
    }


def _keyword_pattern(*tables: Words | None) -> tuple[re.Pattern[str], dict[str, str]]:
    return _build_keyword_pattern(_snapshot(*tables))


@lru_cache(maxsize=8)
def _build_keyword_pattern(
    snapshot: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[re.Pattern[str], dict[str, str]]:
    helix_of = {fold(word): helix for helix, words in snapshot for word in words}
    helix_of.pop("", None)
    # Longest first, so that at each position the longest phrase wins.
    words = sorted(helix_of, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
    return pattern, helix_of


def _helix_of_part(
    folded: str, keywords: bool, synonyms: Words | None, extra_keywords: Words | None
) -> str:
    exact = _synonym_index(synonyms).get(folded)
    if exact or not keywords:
        return exact or UNKNOWN_HELIX
    pattern, helix_of = _keyword_pattern(KEYWORDS, extra_keywords, LEGAL_FORMS)
    found = {m.group(0) for m in pattern.finditer(folded)}
    if not found:
        return UNKNOWN_HELIX
    longest = max(len(word) for word in found)
    helices = {helix_of[word] for word in found if len(word) == longest}
    return helices.pop() if len(helices) == 1 else UNKNOWN_HELIX


def _helix_of_name(folded: str, extra_keywords: Words | None) -> str:
    """A legal form decides; else the first helix word in the name (names put the kind
    of organisation first: "Musée de la Région", "Universität Wien")."""
    pattern, helix_of = _keyword_pattern(LEGAL_FORMS)
    legal = {helix_of[m.group(0)] for m in pattern.finditer(folded)}
    if len(legal) == 1:
        return legal.pop()
    pattern, helix_of = _keyword_pattern(KEYWORDS, extra_keywords, NAME_KEYWORDS)
    found = [(m.start(), helix_of[m.group(0)]) for m in [pattern.search(folded)] if m]
    compound, head_of = _compound_pattern()
    found += [(m.start(), head_of[m.group(1)]) for m in [compound.search(folded)] if m]
    return min(found)[1] if found else UNKNOWN_HELIX


@lru_cache(maxsize=1)
def _compound_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """A word that ends in one of ``COMPOUND_HEADS`` (longer than the head itself)."""
    head_of = {fold(w): helix for helix, words in COMPOUND_HEADS.items() for w in words}
    heads = sorted(head_of, key=len, reverse=True)
    return re.compile(r"\b\w+?(" + "|".join(map(re.escape, heads)) + r")\b"), head_of


def helix_of(
    value: str,
    keywords: bool = True,
    *,
    synonyms: Words | None = None,
    extra_keywords: Words | None = None,
    names: bool = False,
) -> str:
    """The helix one raw value names, or ``unknown``.

    With ``keywords=False`` only whole-value synonyms count ("Business", "PRC"), not
    words inside a value ("Science park"). A multi-valued cell ("PRC;PRC", as CORDIS
    writes them) names a helix only if all its distinct parts agree. ``synonyms`` and
    ``extra_keywords`` add words (``load_synonyms``); ``names=True`` reads the value as an
    organisation's name: ``LEGAL_FORMS``, then keywords and ``NAME_KEYWORDS``.
    """
    if names:
        return _helix_of_name(fold(str(value)), extra_keywords)
    folded = {fold(part) for part in str(value).split(";")} - {""}
    helices = {_helix_of_part(part, keywords, synonyms, extra_keywords) for part in folded}
    return helices.pop() if len(helices) == 1 else UNKNOWN_HELIX


def _strip(value: object) -> str | None:
    return str(value).strip() or None


def tag_helix(
    values: pd.Series,
    *fallbacks: pd.Series,
    names: pd.Series | None = None,
    default: str | None = None,
    synonyms: Mapping[str, Words] | None = None,
    sources: Sequence[str] = ("column", "type", "layer"),
) -> tuple[pd.Series, pd.Series]:
    """Tag each row with its helix from a raw column, then from fallback columns.

    Two passes: first every source is tried for an exact synonym, then for keywords, so
    that a folder explicitly named "Business" beats the word "science" in an
    organisation type ("Science park"). Then, for rows still unknown, the organisation's
    name (``names``; keywords and legal forms), then the ``default`` helix.

    Parameters
    ----------
    values
        The most explicit source (a helix/category column).
    *fallbacks
        Sources tried, in order, for rows the previous ones left unknown (organisation
        type, then layer name). Same index as ``values``.
    names
        The organisations' names, a last, lower-confidence source.
    default
        Helix of the rows that nothing else tagged (a map of museums: civil_society).
    synonyms
        Extra words, as ``load_synonyms`` returns them.
    sources
        The ``helix_source`` label of ``values`` and each fallback, in order.

    Returns
    -------
    helix, helix_raw
        ``helix`` is one of the four canonical values or ``unknown``; ``helix_raw`` is
        the raw text that gave it (for unknown rows: the first non-empty raw value), or
        None when every source was empty. ``helix.attrs["helix_source"]`` holds which
        source decided each row (``HELIX_SOURCES``; None for unknown rows).

    Examples
    --------
    >>> helix, raw = tag_helix(pd.Series(["Université", "PRC;PRC", "Political", "?"]))
    >>> list(helix)
    ['academia', 'business', 'government', 'unknown']
    >>> helix, raw = tag_helix(pd.Series([None]), names=pd.Series(["Kulturnetz e.V."]))
    >>> list(helix), helix.attrs["helix_source"]
    (['civil_society'], ['name'])
    """
    extra = synonyms or {}
    helix = pd.Series(UNKNOWN_HELIX, index=values.index, dtype="object")
    helix_raw = pd.Series(None, index=values.index, dtype="object")
    source = pd.Series(None, index=values.index, dtype="object")
    raws = [map_unique(raw, _strip) for raw in (values, *fallbacks)]
    labels = list(sources)[: len(raws)]
    passes = [
        (k, raw, label, False)
        for k in (False, True)
        for raw, label in zip(raws, labels, strict=True)
    ]
    if names is not None:
        passes.append((True, map_unique(names, _strip), "name", True))
    for keywords, raw, label, by_name in passes:
        open_rows = helix.eq(UNKNOWN_HELIX)
        tagger = partial(
            helix_of,
            keywords=keywords,
            synonyms=extra.get("synonyms"),
            extra_keywords=extra.get("keywords"),
            names=by_name,
        )
        tagged = map_unique(raw.where(open_rows, None), tagger)
        resolved = open_rows & tagged.notna() & tagged.ne(UNKNOWN_HELIX)
        helix[resolved] = tagged[resolved]
        source[resolved] = label
        if not by_name:
            take_raw = resolved | (open_rows & helix_raw.isna() & raw.notna())
            helix_raw[take_raw] = raw[take_raw]
    if default is not None:
        fill = helix.eq(UNKNOWN_HELIX)
        helix[fill] = default
        source[fill] = "default"
    helix.attrs["helix_source"] = source.where(source.notna(), None).tolist()
    return helix, helix_raw.astype("object").where(helix_raw.notna(), None)


def check_helix(value: str | None, where: str) -> str | None:
    """A default helix as given by a user, checked (None stays None)."""
    if value is None:
        return None
    helix = helix_of(value, keywords=False)
    if helix == UNKNOWN_HELIX:
        raise ValueError(f"{where}: {value!r} is not a helix; use one of {', '.join(HELICES)}")
    return helix
