"""Manifests: strict checks with messages naming the file and the key, ad-hoc manifests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from metacluster import ManifestError, load_manifest
from metacluster._errors import InputFileError
from metacluster.cli import main
from metacluster.helix import load_synonyms
from metacluster.manifest import Manifest, MapEntry, as_manifest

GOOD = """
[partnership]
name = "SmartCulture"
title = "SmartCulture European Meta-Cluster"
description = "Digital culture in eight regions"
nuts_year = 2021

[[maps]]
file = "maps/nord.csv"
cluster = "Nord-Pas de Calais"
partner = "EuraTechnologies"
home_nuts = "fre1"
country = "fr"

[[maps]]
file = "maps/lazio.xlsx"
cluster = "Lazio"
partner = "Lazio Innova"
home_nuts = "ITI4"
sheet = "Actors"
[maps.columns]
name = "Organisation"
helix = "Tipo"
"""


@pytest.fixture
def layers(tmp_path: Path) -> Path:
    (tmp_path / "maps").mkdir()
    for name in ("nord.csv", "lazio.xlsx", "attica.kml"):
        (tmp_path / "maps" / name).write_text("x")
    return tmp_path


def write(folder: Path, text: str, name: str = "meta.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_manifest_reads_every_field(layers: Path) -> None:
    manifest = load_manifest(write(layers, GOOD))
    assert manifest.name == "SmartCulture"
    assert manifest.title == "SmartCulture European Meta-Cluster"
    assert manifest.description == "Digital culture in eight regions"
    assert manifest.nuts_year == 2021
    assert manifest.path == (layers / "meta.toml").resolve()
    assert manifest.clusters == ("Nord-Pas de Calais", "Lazio")
    nord, lazio = manifest.maps
    assert nord == MapEntry(
        file=(layers / "maps" / "nord.csv").resolve(),
        cluster="Nord-Pas de Calais",
        partner="EuraTechnologies",
        home_nuts="FRE1",
        country="FR",
    )
    assert lazio.sheet == "Actors"
    assert lazio.columns == {"name": "Organisation", "helix": "Tipo"}
    assert lazio.country is None


def test_partner_and_home_nuts_are_optional_and_a_map_may_have_a_default_helix(
    layers: Path,
) -> None:
    text = GOOD.replace(
        'partner = "Lazio Innova"\nhome_nuts = "ITI4"\n', 'helix = "Civil society"\n'
    )
    (layers / "helix.toml").write_text('academia = ["Grand établissement"]\n', encoding="utf-8")
    text = text.replace("[[maps]]", 'helix_synonyms = "helix.toml"\n\n[[maps]]', 1)
    manifest = load_manifest(write(layers, text))
    lazio = manifest.maps[1]
    assert (lazio.partner, lazio.home_nuts, lazio.helix) == (None, None, "civil_society")
    assert manifest.helix_synonyms == (layers / "helix.toml").resolve()
    defaults = manifest.with_defaults(helix="business", columns={"name": "Nom"})
    assert [m.helix for m in defaults.maps] == ["business", "civil_society"]
    assert [m.columns for m in defaults.maps] == [
        {"name": "Nom"},
        {"name": "Organisation", "helix": "Tipo"},
    ]


def test_optional_partnership_keys_default(layers: Path) -> None:
    text = GOOD.replace('title = "SmartCulture European Meta-Cluster"\n', "")
    text = text.replace("nuts_year = 2021\n", "").replace(
        'description = "Digital culture in eight regions"\n', ""
    )
    manifest = load_manifest(write(layers, text))
    assert (manifest.title, manifest.description, manifest.nuts_year) == ("SmartCulture", "", None)


LAZIO = 'cluster = "Lazio"'


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (LAZIO, 'clustr = "Lazio"', r"#2: unknown key 'clustr'"),
        (
            'file = "maps/lazio.xlsx"\ncluster = "Lazio"\n',
            "",
            r"#2: missing required keys 'file', 'cluster'\.",
        ),
        ('sheet = "Actors"', 'helix = "museums"', r"#2: helix: 'museums' is not a helix"),
        ('name = "SmartCulture"', 'nam = "x"', r"\[partnership\]: unknown key 'nam'"),
        ("[partnership]", "[partners]", r"unknown key 'partners'"),
        ('"Lazio"', '"Nord-Pas de Calais"', r"two maps have cluster = 'Nord-Pas de Calais'"),
        ("maps/lazio.xlsx", "maps/nord.csv", r"two maps have file ="),
        ("maps/lazio.xlsx", "maps/gone.xlsx", r"#2 file: file .*gone\.xlsx.* not found"),
        ('home_nuts = "ITI4"', 'home_nuts = "IT-I4"', r"home_nuts = 'IT-I4' is not a NUTS code"),
        ('country = "fr"', 'country = "France"', r"country = 'France' is not a two-letter"),
        ("nuts_year = 2021", "nuts_year = 2016", r"nuts_year = 2016 is not a NUTS version"),
        (LAZIO, "cluster = 7", r"cluster must be non-empty text, not 7"),
        (LAZIO, 'cluster = "  "', r"cluster must be non-empty text"),
        ('name = "Organisation"', "name = 3", r"columns.name: must be the source"),
        ('name = "Organisation"', 'nmae = "Organisation"', r"columns.nmae: not a column"),
    ],
)
def test_manifest_errors_name_file_and_key(layers: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    path = write(layers, GOOD.replace(old, new))
    with pytest.raises(ManifestError, match=expected) as caught:
        load_manifest(path)
    assert "meta.toml" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD + "\n[extra]\na = 1\n", r"unknown key 'extra'"),
        (GOOD.split("[[maps]]")[0], r"no \[\[maps\]\] entries"),
        ("[[maps]]\nfile = 'x'\n", r"missing \[partnership\] table"),
    ],
)
def test_manifest_structure_errors(layers: Path, text: str, expected: str) -> None:
    with pytest.raises(ManifestError, match=expected):
        load_manifest(write(layers, text))


def test_toml_syntax_error_gives_the_line(layers: Path) -> None:
    line = GOOD.splitlines().index('cluster = "Lazio"') + 1
    path = write(layers, GOOD.replace('cluster = "Lazio"', "cluster = Lazio"))
    with pytest.raises(ManifestError, match=rf"meta\.toml: not valid TOML: .*line {line}\b"):
        load_manifest(path)


DEEP = 100_000


@pytest.mark.parametrize(
    "nested",
    [
        "a = " + "[" * DEEP + "]" * DEEP,
        "a = " + "{b = " * DEEP + "1" + "}" * DEEP,
        "a = " + "[{b = " * (DEEP // 2) + "1" + "}]" * (DEEP // 2),
    ],
    ids=["arrays", "inline tables", "both"],
)
def test_a_manifest_nested_100_000_deep_is_one_clear_error(layers: Path, nested: str) -> None:
    path = write(layers, nested + "\n" + GOOD)
    with pytest.raises(ManifestError, match=r"^meta\.toml: not a usable manifest: arrays or "):
        load_manifest(path)
    result = CliRunner().invoke(main, ["merge", str(path), "-o", "-"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(
        "Error: meta.toml: not a usable manifest: arrays or tables nested too deeply."
    )


def test_a_helix_synonyms_file_nested_deeply_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "helix.toml"
    path.write_text("academia = " + "[" * DEEP + "]" * DEEP + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"^helix\.toml: is not a usable synonyms file"):
        load_synonyms(path)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"nope\.toml: manifest not found"):
        load_manifest(tmp_path / "nope.toml")


def test_from_files_names_clusters_after_files(layers: Path) -> None:
    other = layers / "other"
    other.mkdir()
    (other / "nord.csv").write_text("x")
    manifest = Manifest.from_files(
        [layers / "maps" / "nord.csv", layers / "maps" / "attica.kml", other / "nord.csv"]
    )
    assert manifest.clusters == ("Nord", "Attica", "Nord (2)")
    assert manifest.path is None
    assert manifest.nuts_year is None
    assert all(entry.partner is None for entry in manifest.maps)


def test_from_files_keeps_capitals_and_splits_separators(tmp_path: Path) -> None:
    (tmp_path / "nord-pas-de_calais.csv").write_text("x")
    (tmp_path / "SmartCulture BG.csv").write_text("x")
    manifest = Manifest.from_files(
        [tmp_path / "nord-pas-de_calais.csv", tmp_path / "SmartCulture BG.csv"]
    )
    assert manifest.clusters == ("Nord Pas De Calais", "SmartCulture BG")


def test_from_files_rejects_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"ghost\.csv.* not found"):
        Manifest.from_files([tmp_path / "ghost.csv"])


def test_as_manifest_accepts_manifest_files_and_mixtures(layers: Path) -> None:
    path = write(layers, GOOD)
    loaded = load_manifest(path)
    assert as_manifest(loaded) is loaded
    assert as_manifest(str(path)) == loaded
    assert as_manifest([path]) == loaded
    mixed = as_manifest([path, layers / "maps" / "attica.kml"])
    assert mixed.clusters == ("Nord-Pas de Calais", "Lazio", "Attica")
    assert mixed.nuts_year == 2021
    assert mixed.name == "SmartCulture + ad-hoc"


def test_as_manifest_refuses_clashing_inputs(layers: Path) -> None:
    first = write(layers, GOOD, "a.toml")
    second = write(layers, GOOD.replace("nuts_year = 2021", "nuts_year = 2024"), "b.toml")
    with pytest.raises(ManifestError, match="different NUTS years"):
        as_manifest([first, second])
    third = write(layers, GOOD, "c.toml")
    with pytest.raises(ManifestError, match="two maps have cluster = 'Nord-Pas de Calais'"):
        as_manifest([first, third])
    with pytest.raises(ManifestError, match="No input given"):
        as_manifest([])


def test_every_missing_key_of_the_manifest_is_listed_at_once(layers: Path) -> None:
    text = GOOD.replace('name = "SmartCulture"\n', "", 1).replace(LAZIO + "\n", "")
    with pytest.raises(ManifestError) as caught:
        load_manifest(write(layers, text))
    assert str(caught.value) == (
        "meta.toml [partnership]: missing required key 'name'. "
        "meta.toml [[maps]] #2: missing required key 'cluster'."
    )
