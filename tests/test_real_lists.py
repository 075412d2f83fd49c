"""Official open-data lists without any mapping: headers found by words, helices by name.

The fixtures are shaped like the registers analysts download: the French museum register
(Musées de France), the French list of higher-education establishments, a German register
extract of associations and cooperatives.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from metacluster import helix as helix_module
from metacluster import osm, read_layer
from metacluster.cli import main
from metacluster.columns import map_columns
from metacluster.read._raw import RawLayer
from metacluster.schema import UNKNOWN_HELIX

DATA = Path(__file__).parent / "data"

MAX_UNKNOWN_SHARE = 0.05


@pytest.mark.parametrize(
    ("file", "main_helix"),
    [("musees_de_france.csv", "civil_society"), ("esr_etablissements.csv", "academia")],
)
def test_registers_without_mapping_are_at_most_5_percent_unknown(
    file: str, main_helix: str
) -> None:
    result = read_layer(DATA / file)
    assert result.rejected == 0
    shares = result.actors["helix"].value_counts(normalize=True)
    assert shares.get(UNKNOWN_HELIX, 0.0) <= MAX_UNKNOWN_SHARE, shares
    assert shares[main_helix] >= 0.9
    assert set(result.actors["helix_source"].dropna()) <= set(helix_module.HELIX_SOURCES)


def test_the_name_is_a_last_lower_confidence_source() -> None:
    actors = read_layer(DATA / "esr_etablissements.csv").actors.set_index("name")
    # the type column decides first ("Université"); names only where it says nothing
    assert actors.loc["Université de Lille", "helix_source"] == "type"
    assert actors.loc["Observatoire de Paris", "organisation_type"] == "Grand établissement"
    assert actors.loc["Observatoire de Paris", ["helix", "helix_source"]].tolist() == [
        "academia",
        "name",
    ]


def test_german_legal_forms_and_short_names() -> None:
    actors = read_layer(DATA / "vereine_genossenschaften.csv").actors.set_index("name")
    assert actors["helix"].to_dict() == {
        "Kulturnetz Göttingen e.V.": "civil_society",
        "Förderverein Deutsches Theater Göttingen": "civil_society",
        "Bürgerenergie Göttingen eG": "business",
        "Literaturhaus Hamburg e.V.": "civil_society",
        "Jugendkunstschule Hamburg gGmbH": "civil_society",
        "Bürgerstiftung Hamburg": "civil_society",
        "Wohnungsgenossenschaft Kiel eG": "business",
        "Chorgemeinschaft Kiel-Gaarden": "civil_society",
        "Soziokulturelles Zentrum KuBa": "civil_society",
        "Stadtwerke Göttingen AG": "business",
        "Uni Göttingen": "academia",
        "Stadt Göttingen": "government",
        "Kunstverein Hannover": "civil_society",
        "Dorfladen Ebergötzen eG": "business",
        "Freundeskreis des Städtischen Museums Göttingen": "civil_society",
        "Stiftung Niedersachsen": "civil_society",
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Kulturnetz e.V.", "civil_society"),
        ("Wohnbau eG", "business"),
        ("Stadtwerke Göttingen GmbH", "business"),  # a legal form beats "Stadt"
        ("Fondazione Museo Civico onlus", "civil_society"),
        ("Association Les Amis du Musée (loi 1901)", "civil_society"),
        ("Cultuurhuis vzw", "civil_society"),
        ("Fundación Cultural Valencia", "civil_society"),
        ("Musée de la Région", "civil_society"),  # the first word names the kind
        ("Ville de Lyon", "government"),
        ("Acme Widgets", UNKNOWN_HELIX),
        # compounds whose last part names the kind (German, Dutch, Nordic)
        ("Stadtmuseum Jena", "civil_society"),
        ("Volkshochschule Kassel", "academia"),
        ("Basisschool De Regenboog", "academia"),
        ("Dorpskerk Zeist", "civil_society"),
        ("Stripwinkel Het Labyrint", "business"),
        ("MAU Kattencafé", "business"),
        ("Museum", "civil_society"),  # a head alone is a plain keyword
        ("Samtweberei Krefeld", UNKNOWN_HELIX),  # a head inside a word is not an end
        # places of worship, town halls, shops and trades
        ("Cathédrale Notre-Dame de Paris", "civil_society"),
        ("Sainte-Chapelle", "civil_society"),
        ("Hôtel de Ville de Paris", "government"),
        ("Rathaus Schöneberg", "government"),
        ("Boulangerie Dupont", "business"),
        ("Barbershop Cesar", "business"),
        # a compound's last part names the kind; else the first word naming one decides
        ("Museumscafé", "business"),
        ("Café du Musée", "business"),
        ("Musée et café", "civil_society"),
    ],
)
def test_names_and_legal_forms(name: str, expected: str) -> None:
    assert helix_module.helix_of(name, names=True) == expected


def test_default_helix_only_fills_what_nothing_else_tags(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text(
        "name,lat,lon,type\nAcme Widgets,50.6,3.1,\nAtelier Nord,50.6,3.2,Business\n",
        encoding="utf-8",
    )
    actors = read_layer(path, helix_default="civil_society").actors
    assert actors[["helix", "helix_source"]].values.tolist() == [
        ["civil_society", "default"],
        ["business", "column"],
    ]
    runner = CliRunner()
    out = runner.invoke(main, ["validate", str(path), "--helix-default", "government"])
    assert out.exit_code == 0, out.output
    assert "government 1" in out.output
    bad = runner.invoke(main, ["validate", str(path), "--helix-default", "museums"])
    assert bad.exit_code == 2


def test_synonyms_file_and_appending_after_first_use(tmp_path: Path) -> None:
    values = pd.Series(["Tiers-lieu"])
    assert helix_module.tag_helix(values)[0].tolist() == [UNKNOWN_HELIX]  # index now cached
    words = tmp_path / "helix.toml"
    words.write_text('civil_society = ["Tiers-lieu"]\n', encoding="utf-8")
    synonyms = helix_module.load_synonyms(words)
    assert helix_module.tag_helix(values, synonyms=synonyms)[0].tolist() == ["civil_society"]
    original = helix_module.SYNONYMS["business"]
    try:
        helix_module.SYNONYMS["business"] = (*original, "Tiers-lieu")
        assert helix_module.tag_helix(values)[0].tolist() == ["business"]
    finally:
        helix_module.SYNONYMS["business"] = original
    words.write_text('culture = ["Tiers-lieu"]\n', encoding="utf-8")
    with pytest.raises(Exception, match="'culture', which is not a helix"):
        helix_module.load_synonyms(words)


def test_unknown_helix_warning_speaks_to_users() -> None:
    result = read_layer(DATA / "musees_de_france.csv")
    message = " ".join(result.warnings["message"])
    assert "metacluster.helix" not in message and "SYNONYMS" not in message
    assert "--helix-default" in message


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Nom de l'organisme", "name"),
        ("Denominazione sociale", "name"),
        ("Name of organisation", "name"),
        ("organisation_name_legal", "name"),
        ("Nom officiel du musée", "name"),
        ("Site internet de l'établissement", "website"),
    ],
)
def test_headers_are_matched_by_their_words(header: str, target: str) -> None:
    raw = RawLayer(
        file=Path("x.csv"),
        frame=pd.DataFrame({header: ["A"], "Adresse": ["1 rue"]}),
        source_row=[1],
    )
    assert map_columns(raw) == {target: header}


def test_whole_name_aliases_beat_words_and_validate_reports_the_mapping() -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["validate", str(DATA / "musees_de_france.csv")])
    assert out.exit_code == 0, out.output
    assert "name ← 'Nom officiel du musée'" in out.output
    assert "city ← 'Commune'" in out.output
    result = read_layer(DATA / "esr_etablissements.csv")
    assert result.columns["name"] == "Libellé"
    assert result.columns["organisation_type"] == "Type d'établissement"
    assert result.columns["latlon"] == "Géolocalisation"


def test_an_overpass_turbo_export_takes_each_place_kind_from_its_osm_tags() -> None:
    """Shaped like Overpass Turbo's GeoJSON export (``@id``, tags as properties; the ids
    are illustrative): no type column, yet every place with a telling tag gets a helix,
    and its tag is kept as the organisation type."""
    result = read_layer(DATA / "overpass_valencia.geojson")
    actors = result.actors.set_index("name")
    assert result.rejected == 0
    assert actors["helix"].to_dict() == {
        "Universitat de València": "academia",
        "Universitat Politècnica de València": "academia",
        "Institut Valencià d'Art Modern": "civil_society",
        "Ajuntament de València": "government",
        "Conselleria d'Innovació, Universitats, Ciència i Societat Digital": "government",
        "Lanzadera": "business",
        "Llibreria Railowsky": "business",
        "Las Naves": "civil_society",
        "Edifici Veles e Vents": UNKNOWN_HELIX,  # building=yes says nothing: reported
    }
    # office= is the most telling key: the ministry's government=ministry comes second
    assert actors.loc["Llibreria Railowsky", "organisation_type"] == "shop=books"
    assert actors.loc[actors.index[4], "organisation_type"] == "office=government"
    assert set(actors["helix_source"].dropna()) == {"type"}
    assert actors.loc["Universitat de València", "city"] == "València"


def test_osm_tags_are_types_only_in_an_osm_export() -> None:
    """A register with a column that happens to be called "shop" is no OSM export."""
    register = pd.DataFrame({"name": ["Museo del Prado"], "shop": ["yes"]})
    assert osm.kinds(register) is None
    assert osm.kinds(register.assign(osm_id=[1])).tolist() == ["shop=yes"]
