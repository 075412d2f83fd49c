"""Quadruple-helix tagging: map whatever a map calls its actors' kind to four values.

Regional maps name the helix in many ways: My Maps layer names ("Academic/Scientific"),
CORDIS activity types ("HES", "PRC;PRC"), ROR organisation types ("Education"), or just
an organisation type in the partner's language ("Universität", "община", "musée"). The
tables below are plain data, easy to extend: ``SYNONYMS`` are whole values matched
exactly, ``KEYWORDS`` are words or phrases found anywhere in a value as whole words. Both
are matched after folding (accents, case and punctuation ignored; Cyrillic kept).

A value that matches nothing, or keywords of two helices equally well, stays ``unknown``
and its raw text is kept in ``helix_raw`` so that nothing is lost.
"""

from __future__ import annotations

import re
from functools import lru_cache, partial

import pandas as pd

from metacluster._text import fold, map_unique
from metacluster.schema import HELICES, HELIX_LABELS, UNKNOWN_HELIX

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
    ),
}
"""Words and phrases that mark a helix wherever they occur in a value as whole words."""


@lru_cache(maxsize=1)
def _synonym_index() -> dict[str, str]:
    return {
        fold(word): helix
        for helix in HELICES
        for word in (helix, HELIX_LABELS[helix], *SYNONYMS[helix])
    }


@lru_cache(maxsize=1)
def _keyword_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    helix_of = {fold(word): helix for helix in HELICES for word in KEYWORDS[helix]}
    helix_of.pop("", None)
    # Longest first, so that at each position the longest phrase wins.
    words = sorted(helix_of, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
    return pattern, helix_of


def _helix_of_part(folded: str, keywords: bool) -> str:
    exact = _synonym_index().get(folded)
    if exact or not keywords:
        return exact or UNKNOWN_HELIX
    pattern, helix_of = _keyword_pattern()
    found = {m.group(0) for m in pattern.finditer(folded)}
    if not found:
        return UNKNOWN_HELIX
    longest = max(len(word) for word in found)
    helices = {helix_of[word] for word in found if len(word) == longest}
    return helices.pop() if len(helices) == 1 else UNKNOWN_HELIX


def helix_of(value: str, keywords: bool = True) -> str:
    """The helix one raw value names, or ``unknown``.

    With ``keywords=False`` only whole-value synonyms count ("Business", "PRC"), not
    words inside a value ("Science park"). A multi-valued cell ("PRC;PRC", as CORDIS
    writes them) names a helix only if all its distinct parts agree.
    """
    parts = {fold(part) for part in str(value).split(";")} - {""}
    helices = {_helix_of_part(part, keywords) for part in parts}
    return helices.pop() if len(helices) == 1 else UNKNOWN_HELIX


def _strip(value: object) -> str | None:
    return str(value).strip() or None


def tag_helix(values: pd.Series, *fallbacks: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Tag each row with its helix from a raw column, then from fallback columns.

    Two passes: first every source is tried for an exact synonym, then for keywords, so
    that a folder explicitly named "Business" beats the word "science" in an
    organisation type ("Science park").

    Parameters
    ----------
    values
        The most explicit source (a helix/category column).
    *fallbacks
        Sources tried, in order, for rows the previous ones left unknown (organisation
        type, then layer name). Same index as ``values``.

    Returns
    -------
    helix, helix_raw
        ``helix`` is one of the four canonical values or ``unknown``; ``helix_raw`` is
        the raw text that gave it (for unknown rows: the first non-empty raw value), or
        None when every source was empty.

    Examples
    --------
    >>> helix, raw = tag_helix(pd.Series(["Université", "PRC;PRC", "Political", "?"]))
    >>> list(helix)
    ['academia', 'business', 'government', 'unknown']
    """
    helix = pd.Series(UNKNOWN_HELIX, index=values.index, dtype="object")
    helix_raw = pd.Series(None, index=values.index, dtype="object")
    sources = [map_unique(source, _strip) for source in (values, *fallbacks)]
    for keywords, raw in [(k, raw) for k in (False, True) for raw in sources]:
        open_rows = helix.eq(UNKNOWN_HELIX)
        tagged = map_unique(raw.where(open_rows, None), partial(helix_of, keywords=keywords))
        resolved = open_rows & tagged.notna() & tagged.ne(UNKNOWN_HELIX)
        helix[resolved] = tagged[resolved]
        take_raw = resolved | (open_rows & helix_raw.isna() & raw.notna())
        helix_raw[take_raw] = raw[take_raw]
    return helix, helix_raw.astype("object").where(helix_raw.notna(), None)
