"""Helix tagging: synonym table, keywords in several languages, fallbacks, unknowns."""

from __future__ import annotations

import pandas as pd
import pytest

from metacluster import helix as helix_module
from metacluster.helix import helix_of, tag_helix
from metacluster.schema import HELIX_LABELS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # SmartCulture My Maps layer names
        ("Academic/Scientific", "academia"),
        ("Business", "business"),
        ("Political", "government"),
        ("Societal Participation", "civil_society"),
        # CORDIS activity types
        ("HES", "academia"),
        ("REC", "academia"),
        ("PRC", "business"),
        ("PUB", "government"),
        ("OTH", "civil_society"),
        ("PRC;PRC", "business"),
        ("HES; HES", "academia"),
        # ROR organisation types
        ("Education", "academia"),
        ("Facility", "academia"),
        ("Company", "business"),
        ("Government", "government"),
        ("Nonprofit", "civil_society"),
        ("Archive", "civil_society"),
        ("Healthcare", "civil_society"),
        ("Other", "civil_society"),
        # Words in EN/FR/ES/IT/DE/NL/DA/BG, any case and accents
        ("University of Sofia", "academia"),
        ("Université de Lille", "academia"),
        ("UNIVERSITE DE LILLE", "academia"),
        ("Universidad de Sevilla", "academia"),
        ("Università di Bologna", "academia"),
        ("Universität Wien", "academia"),
        ("Universiteit Gent", "academia"),
        ("Aarhus Universitet", "academia"),
        ("Софийски университет", "academia"),
        ("СОФИЙСКИ УНИВЕРСИТЕТ", "academia"),
        ("Research centre", "academia"),
        ("Laboratoire CRIStAL", "academia"),
        ("Hogeschool Gent", "academia"),
        ("Software company", "business"),
        ("Entreprise", "business"),
        ("Empresa", "business"),
        ("Azienda agricola", "business"),
        ("Unternehmen", "business"),
        ("Bedrijf", "business"),
        ("Virksomhed", "business"),
        ("Startup", "business"),
        ("Creative cluster", "business"),
        ("Ministry of Culture", "government"),
        ("Ministère de la Culture", "government"),
        ("Ayuntamiento de Valencia", "government"),
        ("Comune di Milano", "government"),
        ("Regione Lazio", "government"),
        ("Aarhus Kommune", "government"),
        ("Région Hauts-de-France", "government"),
        ("Gemeente Gent", "government"),
        ("Municipality", "government"),
        ("Столична община", "government"),
        ("Museum", "civil_society"),
        ("Musée du Louvre", "civil_society"),
        ("Museo del Prado", "civil_society"),
        ("Associazione culturale", "civil_society"),
        ("Association", "civil_society"),
        ("Asociación vecinal", "civil_society"),
        ("Kunstverein", "unknown"),  # compound word: not a whole-word match
        ("Verein", "civil_society"),
        ("Vereniging", "civil_society"),
        ("Forening", "civil_society"),
        ("Foundation", "civil_society"),
        ("Fondation", "civil_society"),
        ("Fundación", "civil_society"),
        ("Public library", "civil_society"),
        ("Bibliothèque", "civil_society"),
        ("NGO", "civil_society"),
        # The quadruple helix itself, in partners' languages
        ("Sociedad civil", "civil_society"),
        ("Società civile", "civil_society"),
        ("Société civile", "civil_society"),
        ("Гражданско общество", "civil_society"),
        ("Administración pública", "government"),
        ("Pubblica amministrazione", "government"),
        ("Impresa", "business"),
        ("Academia e investigación", "academia"),
        ("Università e ricerca", "academia"),
        # The schema's own values and labels
        *((h, h) for h in ("academia", "business", "government", "civil_society")),
        *((label, h) for h, label in HELIX_LABELS.items() if h != "unknown"),
    ],
)
def test_helix_of(value: str, expected: str) -> None:
    assert helix_of(value) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("OTH;REC", "multi-valued cell whose parts disagree"),
        ("Stops", "no helix word"),
        ("Library and company", "two helices, equally long words"),
        ("", "empty"),
    ],
)
def test_unresolved_values_are_unknown(value: str, why: str) -> None:
    assert helix_of(value) == "unknown", why


def test_longest_keyword_decides() -> None:
    assert helix_of("Community council") == "government"  # beats "community"
    assert helix_of("University business incubator") == "academia"


def test_tag_helix_falls_back_in_order_and_keeps_raw() -> None:
    explicit = pd.Series(["Business", None, "  ", "Stops", None, None])
    organisation_type = pd.Series(["Museum", "Museum", "Universität", None, None, "Museum"])
    layer = pd.Series(["Political", "Route", "Route", "Political", "Route", "Political"])
    helix, raw = tag_helix(explicit, organisation_type, layer)
    assert list(helix) == [
        "business",
        "civil_society",
        "academia",
        "government",
        "unknown",
        "government",
    ]
    assert list(raw) == ["Business", "Museum", "Universität", "Political", "Route", "Political"]


def test_an_explicit_helix_name_beats_a_keyword_in_another_column() -> None:
    """INCUBA is a "Science park" the partner filed in the "Business" layer."""
    helix, raw = tag_helix(pd.Series(["Science park"]), pd.Series(["Business"]))
    assert (helix[0], raw[0]) == ("business", "Business")


def test_unknown_keeps_first_raw_value() -> None:
    helix, raw = tag_helix(pd.Series(["Kunstverein", None]), pd.Series(["x", None]))
    assert list(helix) == ["unknown", "unknown"]
    assert list(raw) == ["Kunstverein", None]


def test_tagging_looks_at_each_distinct_value_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = helix_module.helix_of

    def counting(value: str, keywords: bool = True, **options: object) -> str:
        calls.append(value)
        return original(value, keywords, **options)

    monkeypatch.setattr(helix_module, "helix_of", counting)
    values = pd.Series(["PRC", "HES", "Museum"] * 1000)
    helix, _ = tag_helix(values)
    # once per pass (synonyms, then keywords) for the value the first pass left open
    assert sorted(calls) == ["HES", "Museum", "Museum", "PRC"]
    assert helix.value_counts().to_dict() == {
        "business": 1000,
        "academia": 1000,
        "civil_society": 1000,
    }
