"""The bundled sample data in layers/: manifests, file formats, and the documented outcome.

The expected numbers are the table of layers/README.md. They were counted from the
readable sources in layers/source/ (one TOML per map, helix and quirks written out by
hand), not copied from a run of the merge, so a reader, tagger, join or merge that gets a
row wrong makes these tests fail.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from metacluster import settings
from metacluster.links import merge_with_links, pair_matrix
from metacluster.manifest import load_manifest
from metacluster.merge import MergeResult, merge
from metacluster.read import read_layer
from metacluster.schema import HELICES, ImportResult

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LAYERS = Path(__file__).resolve().parent.parent / "layers"
MANIFESTS = ("metacluster.toml", "smartspace.toml")

# cluster: (file, rows in the file, accepted per helix (academia, business, government,
# civil_society), rows rejected) — layers/README.md, "Expected outcome".
EXPECTED_MAPS: dict[str, tuple[str, int, tuple[int, int, int, int], int]] = {
    "Nord-Pas de Calais": ("nord-pas-de-calais.kml", 24, (8, 5, 5, 6), 0),
    "Noord-Brabant": ("noord-brabant.csv", 25, (7, 6, 5, 7), 0),
    "Comunidad de Madrid": ("madrid.geojson", 26, (7, 7, 5, 7), 0),
    "País Vasco": ("pais-vasco.csv", 23, (5, 5, 6, 7), 0),
    "Toscana": ("toscana.xlsx", 25, (8, 5, 5, 7), 0),
    "Yugozapaden": ("yugozapaden.csv", 26, (8, 6, 5, 6), 1),
    "West Midlands": ("west-midlands.kml", 24, (6, 5, 6, 7), 0),
    "Midtjylland": ("midtjylland.kmz", 23, (6, 5, 5, 7), 0),
}
ROWS_IN = 196
REJECTED = 1
DUPLICATES_MERGED = 0
ACTORS_OUT = ROWS_IN - REJECTED - DUPLICATES_MERGED  # 195

# Organisations drawn on two maps with one website host but in other cities or countries:
# branches (separate actors linked by ``same_organisation``), never one actor. Each is
# named after its first row; the "cluster: file#row" of every branch.
EXPECTED_BRANCHES: dict[str, list[str]] = {
    "EIT Digital": [
        "Noord-Brabant: noord-brabant.csv#13",
        "Comunidad de Madrid: madrid.geojson#14",
    ],
    "Telefónica, S.A.": [
        "Comunidad de Madrid: madrid.geojson#9",
        "País Vasco: pais-vasco.csv#7",
    ],
    "Instituto Cervantes": [
        "Comunidad de Madrid: madrid.geojson#26",
        "Yugozapaden: yugozapaden.csv#25",
    ],
    # a company with branches: two studio names, one website host
    "Ubisoft Sofia": [
        "Yugozapaden: yugozapaden.csv#11",
        "West Midlands: west-midlands.kml#9",
    ],
}

# cluster: (file, rows, accepted per helix) for the SMART SPACE partnership.
EXPECTED_SMARTSPACE: dict[str, tuple[str, int, tuple[int, int, int, int]]] = {
    "Italia": ("smartspace-it.csv", 9, (1, 6, 2, 0)),
    "France": ("smartspace-fr.geojson", 7, (0, 3, 4, 0)),
    "Slovenija": ("smartspace-si.csv", 6, (3, 3, 0, 0)),
    "Deutschland": ("smartspace-de.csv", 6, (2, 3, 1, 0)),
    "Österreich": ("smartspace-at.csv", 7, (0, 3, 4, 0)),
}

EINDHOVEN = (5.47778, 51.44083)  # GeoNames lon/lat, what the swapped row must become
NUTS_2016_ROW = ("CRS4 – Centro di Ricerca, Sviluppo e Studi Superiori in Sardegna", "ITG27")


def _helix_tuple(result: ImportResult) -> tuple[int, ...]:
    counts = result.helix_counts()
    return tuple(counts.get(helix, 0) for helix in HELICES)


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    """layers/build.py, imported as a module."""
    spec = importlib.util.spec_from_file_location("layers_build", LAYERS / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def imports() -> dict[str, ImportResult]:
    """Each SmartCulture map read on its own, as its manifest entry says."""
    manifest = load_manifest(LAYERS / "metacluster.toml")
    return {
        entry.cluster: read_layer(
            entry.file, columns=entry.columns, sheet=entry.sheet, country=entry.country
        )
        for entry in manifest.maps
    }


@pytest.fixture(scope="module")
def merged(nuts_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MergeResult]:
    """The SmartCulture manifest merged once, with NUTS from the mirror (as nuts_from_mirror)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "nuts_source", str(nuts_mirror))
        patch.setattr(settings, "cache_folder", tmp_path_factory.mktemp("nuts-cache"))
        yield merge(load_manifest(LAYERS / "metacluster.toml"))


def _actor(result: MergeResult, name: str) -> pd.Series:
    rows = result.actors[result.actors["name"] == name]
    assert len(rows) == 1, f"{name!r}: {len(rows)} actors"
    return rows.iloc[0]


# --- manifests and files --------------------------------------------------------------------


@pytest.mark.parametrize("manifest", MANIFESTS)
def test_manifest_parses_and_lists_existing_files(manifest: str) -> None:
    data = tomllib.loads((LAYERS / manifest).read_text(encoding="utf-8"))
    files = [LAYERS / entry["file"] for entry in data["maps"]]
    assert files and all(f.is_file() for f in files), [f for f in files if not f.is_file()]
    assert data["partnership"]["nuts_year"] == 2021
    expected = EXPECTED_MAPS if manifest == "metacluster.toml" else EXPECTED_SMARTSPACE
    assert load_manifest(LAYERS / manifest).clusters == tuple(expected)


def test_build_script_writes_exactly_the_committed_files(
    build_script: ModuleType, tmp_path: Path
) -> None:
    written = {p.relative_to(tmp_path).as_posix() for p in build_script.build(tmp_path)}
    listed = {
        entry["file"]
        for manifest in MANIFESTS
        for entry in tomllib.loads((LAYERS / manifest).read_text(encoding="utf-8"))["maps"]
    }
    assert written == listed
    for name in sorted(written):
        assert (tmp_path / name).read_bytes() == (LAYERS / name).read_bytes(), name
        assert (LAYERS / name).stat().st_size < 100_000, name


def test_files_keep_the_quirks_partners_produce() -> None:
    basque = (LAYERS / "pais-vasco.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        basque.decode("utf-8")
    assert basque.startswith("Nombre;Tipo;Hélice;Ciudad;País;Latitud;Longitud".encode("cp1252"))
    assert b"\r\n" in basque and re.search(rb";43,\d{5};-2,\d{5};", basque)

    brabant = (LAYERS / "noord-brabant.csv").read_bytes()
    assert brabant.startswith(b"\xef\xbb\xbfname,type,helix,") and b"\r\n" in brabant

    with zipfile.ZipFile(LAYERS / "midtjylland.kmz") as kmz:
        assert kmz.namelist() == ["doc.kml"]
        kml_texts = [kmz.read("doc.kml").decode("utf-8")]
    kml_texts += [
        (LAYERS / f).read_text(encoding="utf-8")
        for f in ("nord-pas-de-calais.kml", "west-midlands.kml")
    ]
    for text in kml_texts:
        assert re.findall(r"<Folder>\s*<name>([^<]*)</name>", text) == [
            "Academic/Scientific",
            "Business",
            "Political",
            "Societal Participation",
        ]
        assert "<ExtendedData>" in text and "<b>Type:</b>" in text

    sheet = openpyxl.load_workbook(io.BytesIO((LAYERS / "toscana.xlsx").read_bytes()))["Attori"]
    rows = list(sheet.iter_rows(max_row=2, values_only=True))
    assert rows[0][0].startswith("SmartCulture") and rows[1][:3] == (
        "Denominazione",
        "Tipologia",
        "Elica",
    )

    madrid = json.loads((LAYERS / "madrid.geojson").read_text(encoding="utf-8"))
    assert madrid["type"] == "FeatureCollection" and "crs" not in madrid
    assert {f["geometry"]["type"] for f in madrid["features"]} == {"Point"}

    sofia_header = (LAYERS / "yugozapaden.csv").read_text(encoding="utf-8").splitlines()[0]
    assert sofia_header.split(",") == [
        "name",
        "helix",
        "type",
        "city",
        "country",
        "nuts_code",
        "themes",
        "website",
        "description",
    ]


def test_nuts_codes_in_the_sources_agree_with_the_positions(
    build_script: ModuleType, nuts_mirror: Path
) -> None:
    """Every NUTS code a map gives contains the actor's city (NUTS 2021, 1:10M), except the
    one NUTS 2016 code, which no NUTS version the app uses knows."""
    actors = [
        (a.name, a.nuts, a.lon, a.lat)
        for path in sorted(build_script.SOURCES.glob("*.toml"))
        for a in build_script.load_source(path).actors
        if a.nuts and a.lat is not None
    ]
    regions = gpd.read_file(nuts_mirror / "NUTS_RG_10M_2021_4326_LEVL_3.geojson")
    points = shapely.points([a[2] for a in actors], [a[3] for a in actors])
    point_index, region_index = regions.sindex.query(points, predicate="within")
    containing = dict(
        zip(point_index.tolist(), regions["NUTS_ID"].to_numpy()[region_index], strict=True)
    )
    wrong = {
        a[0]: (a[1], containing.get(i)) for i, a in enumerate(actors) if containing.get(i) != a[1]
    }
    assert wrong == {NUTS_2016_ROW[0]: (NUTS_2016_ROW[1], "ITG2F")}
    for year in (2021, 2024):
        codes = gpd.read_file(nuts_mirror / f"NUTS_RG_20M_{year}_4326_LEVL_3.geojson")
        assert NUTS_2016_ROW[1] not in set(codes["NUTS_ID"])


# --- each map read on its own ---------------------------------------------------------------


def test_each_map_has_at_least_20_rows_and_3_actors_per_helix(
    imports: dict[str, ImportResult],
) -> None:
    for cluster, result in imports.items():
        assert result.rows_in >= 20, cluster
        assert min(_helix_tuple(result)) >= 3, (cluster, result.helix_counts())


@pytest.mark.parametrize("cluster", list(EXPECTED_MAPS))
def test_map_reads_to_the_documented_counts(imports: dict[str, ImportResult], cluster: str) -> None:
    file, rows, helix, rejected = EXPECTED_MAPS[cluster]
    result = imports[cluster]
    assert Path(result.file).name == file
    assert (result.rows_in, _helix_tuple(result), result.rejected) == (rows, helix, rejected)


def test_smartspace_maps_read_completely() -> None:
    manifest = load_manifest(LAYERS / "smartspace.toml")
    for entry in manifest.maps:
        result = read_layer(entry.file, columns=entry.columns, country=entry.country)
        file, rows, helix = EXPECTED_SMARTSPACE[entry.cluster]
        assert entry.file.name == file
        assert (result.rows_in, result.accepted, _helix_tuple(result)) == (rows, rows, helix)


# --- the merged European layer --------------------------------------------------------------


def test_merge_totals(merged: MergeResult) -> None:
    report = merged.report
    assert (report.rows_in, len(report.rejects), report.duplicates_merged, report.actors_out) == (
        ROWS_IN,
        REJECTED,
        DUPLICATES_MERGED,
        ACTORS_OUT,
    )
    assert len(merged.actors) == ACTORS_OUT


def test_merge_counts_per_cluster_and_helix(merged: MergeResult) -> None:
    per_cluster = merged.actors.explode("regional_cluster")
    table = pd.crosstab(per_cluster["regional_cluster"], per_cluster["helix"])
    counts = {
        cluster: tuple(int(table.loc[cluster].get(helix, 0)) for helix in HELICES)
        for cluster in table.index
    }
    assert counts == {cluster: helix for cluster, (_, _, helix, _) in EXPECTED_MAPS.items()}
    assert set(per_cluster["helix"]) <= set(HELICES)


def test_branches_are_separate_actors_linked_as_one_organisation(merged: MergeResult) -> None:
    actors = merged.actors
    assert not (actors["source_maps"].map(len) > 1).any()
    assert merged.report.duplicates.empty
    for sources in EXPECTED_BRANCHES.values():
        rows = [actors[actors["source_maps"].map(lambda s, x=source: list(s) == [x])]
                for source in sources]  # fmt: skip
        assert all(len(row) == 1 for row in rows)
        ids = [row["actor_id"].iloc[0] for row in rows]
        for row, actor_id in zip(rows, ids, strict=True):
            assert sorted(row["same_organisation"].iloc[0]) == sorted(set(ids) - {actor_id})


def test_a_branch_stays_on_its_own_map(merged: MergeResult) -> None:
    """Ubisoft's Sofia and Leamington studios share ubisoft.com: two actors, each in its
    own country, so the UK studio stays on the West Midlands map."""
    leamington = _actor(merged, "Ubisoft Leamington")
    sofia = _actor(merged, "Ubisoft Sofia")
    assert list(leamington["regional_cluster"]) == ["West Midlands"]
    assert leamington["nuts0"] == "UK" and sofia["nuts0"] == "BG"
    assert list(leamington["same_organisation"]) == [sofia["actor_id"]]


def test_row_without_location_is_rejected(merged: MergeResult) -> None:
    rejects = merged.report.rejects
    assert len(rejects) == 1
    reject = rejects.iloc[0]
    assert (reject["file"], int(reject["row"]), reject["reason"], reject["cluster"]) == (
        "yugozapaden.csv",
        26,
        "no usable location",
        "Yugozapaden",
    )
    assert "Sofia Design Week" not in set(merged.actors["name"])


def test_swapped_coordinates_are_fixed_with_a_warning(merged: MergeResult) -> None:
    warnings = merged.report.warnings
    swapped = warnings[warnings["message"].str.contains("swapped", na=False)]
    assert list(zip(swapped["cluster"], swapped["row"], strict=True)) == [("Noord-Brabant", 19)]
    museum = _actor(merged, "Van Abbemuseum")
    assert (museum.geometry.x, museum.geometry.y) == pytest.approx(EINDHOVEN)
    assert "swapped" in museum["position_note"]
    assert museum["nuts3"] == "NL414"


def test_nuts_2016_code_is_kept_and_flagged(merged: MergeResult) -> None:
    name, code = NUTS_2016_ROW
    row = _actor(merged, name)
    assert (row["nuts_code"], row["nuts3"], row["nuts2"], row["nuts_match"]) == (
        code,
        "ITG2F",
        "ITG2",
        "code_conflict",
    )
    assert code in row["nuts_note"]
    assert list(row["regional_cluster"]) == ["Toscana"]


def test_every_actor_gets_a_region(merged: MergeResult) -> None:
    """City points all lie inside a NUTS-3 polygon; two Sofia rows only give a code."""
    matches = merged.actors["nuts_match"].value_counts().to_dict()
    assert matches == {"within": ACTORS_OUT - 3, "from_code": 2, "code_conflict": 1}
    from_code = merged.actors[merged.actors["nuts_match"] == "from_code"]
    assert sorted(zip(from_code["name"], from_code["nuts3"], strict=True)) == [
        ("Pernik Municipality", "BG414"),
        ('South-West University "Neofit Rilski"', "BG413"),
    ]


# layers/README.md, "Links": counted from links.csv and cordis-participations.csv.
# Participations: SmartCulture 8 partners (28 pairs), HERITAGE3D 10 (45), MUSEXR 8 (28),
# OPENCULTDATA 9 of 10 on the maps (36), GAMES4HERITAGE 6 (15), AVARCHIVES 6 of 7 (15).
EXPECTED_PROJECT_LINKS = 28 + 45 + 28 + 36 + 15 + 15
# links.csv: 16 rows; the Policy and Ecosystems workshops both link Aarhus University and
# EuraTechnologies (one "event" link of weight 2).
EXPECTED_TABLE_LINKS = {"event": 9, "mentoring": 3, "staff exchange": 1, "publication": 1, "MoU": 1}
# inside one cluster: Toscana 3 (Firenze, ISTI, Uffizi in HERITAGE3D), Madrid 2 (UPM-Factum
# Arte, Prado-BNE), Noord-Brabant 1 (TU/e-MU), Nord-Pas de Calais 1 (Lille-EuraTechnologies
# event), Yugozapaden 1 (TU Sofia-Muzeiko)
EXPECTED_INSIDE_CLUSTERS = 3 + 2 + 1 + 1 + 1


def test_sample_links_and_participations(nuts_mirror: Path, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "nuts_source", str(nuts_mirror))
        patch.setattr(settings, "cache_folder", tmp_path)
        layer = merge_with_links(LAYERS / "metacluster.toml")
    kinds = layer.edges["kind"].value_counts().to_dict()
    assert kinds == {"project": EXPECTED_PROJECT_LINKS, **EXPECTED_TABLE_LINKS}
    assert layer.table is not None and layer.table.summary()["rejected"] == 0
    assert layer.participations is not None and layer.participations.rows_in == 49
    assert layer.participations.rejects["value"].tolist() == [
        "Europeana Foundation",
        "Netherlands Institute for Sound and Vision",
    ]
    inside = layer.edges["source_cluster"] == layer.edges["target_cluster"]
    assert int(inside.sum()) == EXPECTED_INSIDE_CLUSTERS
    matrix = pair_matrix(layer.edges)
    assert len(matrix) == 8 and (matrix.to_numpy().sum(axis=1) > 0).all()
    workshops = layer.edges[layer.edges["kind"] == "event"]
    assert workshops["weight"].max() == 2.0
