"""``metacluster links`` and ``metacluster partners`` on a three-region fixture: formats,
round trips, filters, rejects and exit codes.

tests/data/links: Lille (3 actors), Pisa (2), Madrid (2). SmartCulture joins Université
de Lille, EuraTechnologies, Università di Pisa and MAC (6 pairs); EuroHeritage joins
Université de Lille and Museo Galileo (1); links.csv adds a mentoring link and an MoU and
names one actor (Museo del Prado) that is on no map: 9 links, 1 rejected row.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import jsonschema
import networkx as nx
import pandas as pd
import pytest
from click.testing import CliRunner

from metacluster.cli import main

DATA = Path(__file__).parent / "data" / "links"
MANIFEST = DATA / "partnership.toml"
FIXED = "2024-05-01T12:00:00Z"
SCHEMA = json.loads((Path(__file__).parent / "geojson.schema.json").read_text())


@pytest.fixture
def runner(mirror: None) -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: object):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_links_geojson_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "links.geojson"
    result = invoke(runner, "links", MANIFEST, "-o", out, "--generated-at", FIXED)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Wrote {out} (9 of 9 links, geojson)."
    document = json.loads(out.read_bytes())
    jsonschema.validate(document, SCHEMA)
    metadata = document["metadata"]
    assert metadata["what"] == "links" and metadata["links_total"] == 9
    assert metadata["generated_at"] == FIXED and "EuroGeographics" in metadata["attribution"]
    assert {f["geometry"]["type"] for f in document["features"]} == {"LineString"}
    back = gpd.read_file(out)
    assert len(back) == 9
    kinds = back["kind"].value_counts().to_dict()
    assert kinds == {"project": 7, "mentoring": 1, "MoU": 1}
    mentoring = back[back["kind"] == "mentoring"].iloc[0]
    assert {mentoring["source_name"], mentoring["target_name"]} == {
        "Université de Lille",
        "Università di Pisa",
    }
    assert mentoring["year"] == 2014
    assert list(mentoring.geometry.coords) in (
        [(3.145, 50.6233), (10.4, 43.7167)],
        [(10.4, 43.7167), (3.145, 50.6233)],
    )
    again = tmp_path / "again.geojson"
    invoke(runner, "links", MANIFEST, "-o", again, "--generated-at", FIXED)
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--between-clusters",), 8),  # Université de Lille - EuraTechnologies is inside Lille
        (("--kind", "mentoring", "--kind", "MoU"), 2),
        (("--cluster", "Toscana"), 0),  # both ends in Toscana: its two actors are not linked
        (("--cluster", "Toscana", "--ends", "either"), 5),
        (("--helix", "government"), 1),  # the MoU between two regional governments
    ],
)
def test_links_filters(runner: CliRunner, options: tuple[str, ...], expected: int) -> None:
    result = invoke(runner, "links", MANIFEST, *options, "--format", "csv", "-o", "-")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout.lstrip("\ufeff")))
    assert len(table) == expected
    assert {"source_lon", "source_lat", "target_lon", "target_lat"} <= set(table.columns)


def test_links_graphml_gexf_and_rejects(runner: CliRunner, tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    graphml, gexf = tmp_path / "l.graphml", tmp_path / "l.gexf"
    result = invoke(runner, "links", MANIFEST, "-o", graphml, "--rejects", rejects)
    assert result.exit_code == 0, result.output
    assert "links.csv: 1 of 3 rows not used (endpoint not found: 1)" in result.stderr
    graph = nx.read_graphml(graphml)
    assert graph.number_of_nodes() == 7 and graph.number_of_edges() == 9
    names = nx.get_node_attributes(graph, "name")
    assert sorted(names.values())[0] == "Comunidad de Madrid"
    table = pd.read_csv(rejects, encoding="utf-8-sig")
    assert table[["row", "column", "value", "reason"]].values.tolist() == [
        [3, "from", "Museo del Prado", "endpoint not found"]
    ]
    invoke(runner, "links", MANIFEST, "-o", gexf, "--generated-at", FIXED)
    assert b'lastmodifieddate="2024-05-01"' in gexf.read_bytes()
    assert nx.read_gexf(gexf).number_of_edges() == 9


def test_links_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    assert invoke(runner, "links", MANIFEST, "-o", tmp_path / "x.txt").exit_code == 2
    clash = invoke(runner, "links", MANIFEST, "--format", "csv", "-o", tmp_path / "x.gexf")
    assert clash.exit_code == 2 and "clashes" in clash.output
    assert invoke(runner, "links", MANIFEST, "--format", "kml", "-o", "-").exit_code == 2
    assert invoke(runner, "links", MANIFEST, "--ends", "one", "-o", "-").exit_code == 2
    # a links table without a 'to' column: a data error naming the file and column
    folder = tmp_path / "bad"
    folder.mkdir()
    for name in ("lille.csv", "pisa.csv", "madrid.csv"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    (folder / "links.csv").write_text("from,target\nA,B\n", encoding="utf-8")
    (folder / "m.toml").write_text(MANIFEST.read_text(encoding="utf-8"), encoding="utf-8")
    bad = invoke(runner, "links", folder / "m.toml", "-o", "-")
    assert bad.exit_code == 1
    assert "links.csv, column 'to': has no 'to' column" in bad.output
    (folder / "links.csv").unlink()
    missing = invoke(runner, "links", folder / "m.toml", "-o", "-")
    assert missing.exit_code == 1 and "m.toml links: file" in missing.output


def test_partners_cli(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "partners", MANIFEST, "--region", "ITI1", "--helix", "government")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == " 1. Comunidad de Madrid (Comunidad de Madrid, ES) 0.24"
    assert lines[1] == "    shares heritage and museums; 1,253 km away"
    assert lines[2].startswith(" 2. Région Hauts-de-France")
    out = tmp_path / "partners.csv"
    result = invoke(
        runner, "partners", MANIFEST, "--region", "Toscana", "--helix", "business", "-o", out
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    # both businesses already work with Università di Pisa in SmartCulture
    assert table["name"].tolist() == ["EuraTechnologies", "Madrid Plataforma Audiovisual"]
    assert table["why"].str.contains("partner of Università di Pisa in SmartCulture").all()
    unknown = invoke(runner, "partners", MANIFEST, "--region", "XX9", "--helix", "government")
    assert unknown.exit_code == 2 and "no actor is in 'XX9'" in unknown.output
    bad_helix = invoke(runner, "partners", MANIFEST, "--region", "ITI1", "--helix", "state")
    assert bad_helix.exit_code == 2
    assert invoke(runner, "partners", MANIFEST, "--helix", "business").exit_code == 2
