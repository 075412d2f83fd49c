"""Links between actors: co-participation edges, the explicit links table, aggregation and
network measures, on small hand-built layers with known answers."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from metacluster._errors import ManifestError
from metacluster.links import (
    actor_partners,
    bridging_actors,
    collapse_pairs,
    coparticipation_pairs,
    links,
    network_measures,
    pair_counts,
    pair_matrix,
    partner_regions,
    read_links,
    resolve_links,
    select_links,
    to_graph,
)
from metacluster.manifest import load_manifest

# id, name, cluster, NUTS-3, lon, lat, projects
ROWS = [
    ("a", "Université de Lille", "Nord-Pas de Calais", "FRE11", 3.06, 50.63, ["SC", "X"]),
    ("b", "Museo Galileo", "Toscana", "ITI14", 11.25, 43.77, ["SC"]),
    ("c", "Madrid Plataforma Audiovisual", "Comunidad de Madrid", "ES300", -3.7, 40.42, ["X","SC"]),
    ("d", "Aarhus University", "Midtjylland", "DK042", 10.2, 56.16, []),
    ("e", "Sofia Tech Park", "Yugozapaden", "BG411", 23.32, 42.7, ["Y"]),
    ("f", "MUSEO GALILEO", "Comunidad de Madrid", "ES300", -3.7, 40.42, []),
]  # fmt: skip


def make_actors(rows: list[tuple] = ROWS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "actor_id": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "regional_cluster": [[r[2]] for r in rows],
            "nuts3": [r[3] for r in rows],
            "projects": [r[6] for r in rows],
        },
        geometry=gpd.points_from_xy([r[4] for r in rows], [r[5] for r in rows]),
        crs="EPSG:4326",
    )


def test_one_project_in_three_clusters_makes_three_edges_and_shared_projects_collapse():
    edges = links(make_actors())
    assert list(zip(edges["source"], edges["target"], strict=True)) == [
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
    ]
    assert set(edges["kind"]) == {"project"}
    a_c = edges[(edges["source"] == "a") & (edges["target"] == "c")].iloc[0]
    assert a_c["projects"] == ["SC", "X"] and a_c["weight"] == 2.0
    assert edges.loc[edges["target"] == "b", "weight"].tolist() == [1.0]
    assert {edges.iloc[0]["source_cluster"], edges.iloc[0]["target_cluster"]} == {
        "Nord-Pas de Calais",
        "Toscana",
    }
    # geometry: a line from the source actor to the target actor
    line = edges.iloc[0].geometry
    assert line.geom_type == "LineString"
    assert list(line.coords) == [(3.06, 50.63), (11.25, 43.77)]
    assert edges.crs.to_epsg() == 4326


def test_projects_as_semicolon_text_and_empty_layers():
    actors = make_actors()
    actors["projects"] = ["SC; X", "SC", "X;SC", None, "Y", ""]
    assert len(links(actors)) == 3
    assert links(make_actors()[3:]).empty  # nobody shares a project
    no_projects = make_actors().drop(columns="projects")
    assert links(no_projects).empty and list(links(no_projects).columns)[-1] == "geometry"


def test_pairs_equal_the_naive_pairwise_loop_on_random_participations():
    rng = np.random.default_rng(7)
    actors = rng.integers(0, 60, 800)
    projects = rng.integers(0, 90, 800)
    left, right, project = coparticipation_pairs(actors, projects)
    naive: Counter[tuple[int, int, int]] = Counter()
    members: dict[int, set[int]] = {}
    for a, p in zip(actors.tolist(), projects.tolist(), strict=True):
        members.setdefault(p, set()).add(a)
    for p, group in members.items():
        for a, b in itertools.combinations(sorted(group), 2):
            naive[(a, b, p)] += 1
    ours = Counter(zip(left.tolist(), right.tolist(), project.tolist(), strict=True))
    assert ours == naive
    assert (left < right).all()


@pytest.mark.parametrize("with_order", [True, False])
def test_collapsed_pairs_equal_a_counter_of_the_pairs(with_order):
    rng = np.random.default_rng(11)
    n_actors = 37  # not a power of two: the key packs left above right
    left = rng.integers(0, n_actors - 1, 500).astype(np.int32)
    right = (left + 1 + rng.integers(0, n_actors - 1 - left)).astype(np.int32)
    values = np.arange(500)
    source, target, count, order = collapse_pairs(left, right, n_actors, with_order=with_order)
    expected = Counter(zip(left.tolist(), right.tolist(), strict=True))
    pairs = list(zip(source.tolist(), target.tolist(), strict=True))
    assert dict(zip(pairs, count.tolist(), strict=True)) == expected
    assert pairs == sorted(expected)
    assert source.dtype == np.int32
    if with_order:
        groups = np.split(values[order], np.cumsum(count)[:-1])
        for s, t, members in zip(source, target, groups, strict=True):
            assert ((left[members] == s) & (right[members] == t)).all()
    else:
        assert order is None


LINKS_CSV = """from,to,kind,label,year,weight
Université de Lille,d,mentoring,Mutual mentoring visit,2014,
UNIVERSITE DE LILLE,d,mentoring,Mutual mentoring visit,2014,
Nobody Known,a,MoU,,,
a,Museo Galileo,staff exchange,,,
c,c,MoU,,,
a,e,MoU,,,-1
a,e,MoU,,20x4,
,e,MoU,,,
b,e,,Joint workshop,2015,2.5
"""


def test_links_table_rows_accepted_or_rejected_with_reason(tmp_path: Path):
    path = tmp_path / "links.csv"
    path.write_text(LINKS_CSV, encoding="utf-8")
    result = read_links(path, make_actors())
    assert result.rows_in == 9 == len(result.links) + len(result.rejects)
    rejects = result.rejects.set_index("row")
    assert rejects["reason"].to_dict() == {
        3: "endpoint not found",
        4: "endpoint ambiguous",
        5: "self link",
        6: "bad weight",
        7: "bad year",
        8: "missing endpoint",
    }
    assert rejects.loc[3, "column"] == "from" and rejects.loc[3, "value"] == "Nobody Known"
    assert rejects.loc[4, "column"] == "to" and "names 2 actors" in rejects.loc[4, "detail"]
    assert (rejects["file"] == "links.csv").all()
    assert result.links["row"].tolist() == [1, 2, 9]
    assert result.links["kind"].tolist() == ["mentoring", "mentoring", "link"]
    edges = links(make_actors(), result)
    explicit = edges[edges["kind"] != "project"]
    # the duplicated mentoring row became one edge
    assert explicit[["source", "target", "kind", "weight"]].values.tolist() == [
        ["b", "e", "link", 2.5],
        ["a", "d", "mentoring", 1.0],
    ]
    assert explicit["year"].tolist() == [2015, 2014]
    assert explicit.iloc[1]["label"] == "Mutual mentoring visit"


def test_links_table_without_to_column_is_an_input_error():
    with pytest.raises(ValueError, match="has no 'to' column"):
        resolve_links(make_actors(), pd.DataFrame({"from": ["a"]}), file="l.csv")


def test_raw_table_as_extra_is_resolved():
    table = pd.DataFrame({"from": ["a", "zzz"], "to": ["e", "a"], "kind": ["MoU", "MoU"]})
    edges = links(make_actors(), table)
    assert len(edges) == 4 and edges.iloc[0]["kind"] == "MoU"


def test_pair_counts_by_cluster_and_region_and_matrix():
    edges = links(make_actors())
    clusters = pair_counts(edges, by="cluster")
    assert clusters[["a", "b", "links", "weight"]].values.tolist() == [
        ["Comunidad de Madrid", "Nord-Pas de Calais", 1, 2.0],
        ["Comunidad de Madrid", "Toscana", 1, 1.0],
        ["Nord-Pas de Calais", "Toscana", 1, 1.0],
    ]
    assert clusters.iloc[0]["projects"] == ["SC", "X"]
    regions = pair_counts(edges, by="region", level=0)
    assert set(zip(regions["a"], regions["b"], strict=True)) == {
        ("ES", "FR"),
        ("ES", "IT"),
        ("FR", "IT"),
    }
    matrix = pair_matrix(edges)
    assert (
        matrix.loc["Toscana", "Nord-Pas de Calais"]
        == 1
        == matrix.loc["Nord-Pas de Calais", "Toscana"]
    )
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()
    partners = partner_regions(edges, "FRE1")
    assert partners["region"].tolist() == ["ES30", "ITI1"]


def test_select_links_both_or_either_end_kinds_and_between_clusters():
    edges = links(make_actors(), pd.DataFrame({"from": ["c"], "to": ["f"], "kind": ["MoU"]}))
    assert len(select_links(edges, ["a", "b"], ends="both")) == 1
    assert len(select_links(edges, ["a", "b"], ends="either")) == 3
    assert select_links(edges, kinds=["MoU"])["source"].tolist() == ["c"]
    assert len(select_links(edges, between_clusters=True)) == 3  # c-f is inside Madrid
    with pytest.raises(ValueError, match="ends must be"):
        select_links(edges, ends="one")


def test_network_measures_agree_with_networkx_on_a_small_graph():
    actors = make_actors()
    edges = links(actors, pd.DataFrame({"from": ["a", "c"], "to": ["d", "f"]}))
    measures = network_measures(actors, edges)
    graph = nx.Graph()
    graph.add_nodes_from("abcdef")
    graph.add_edges_from([("a", "b"), ("a", "c"), ("b", "c"), ("a", "d"), ("c", "f")])
    assert measures["degree"].to_dict() == dict(graph.degree())
    expected = nx.betweenness_centrality(graph)
    assert measures["betweenness"].to_dict() == pytest.approx(expected)
    assert measures["betweenness"].idxmax() in ("a", "c")
    assert measures["component"].nunique() == nx.number_connected_components(graph) == 2
    assert measures.loc["e", "component"] == 1 and measures.loc["a", "component"] == 0
    # a reaches Toscana, Madrid and Midtjylland; c-f stays inside Madrid
    assert measures["clusters_reached"].to_dict() == {
        "a": 3,
        "b": 2,
        "c": 2,
        "d": 1,
        "e": 0,
        "f": 0,
    }
    assert measures["bridging"].to_dict() == {k: k in "abcd" for k in "abcdef"}
    bridges = bridging_actors(actors, edges)
    assert bridges.index.tolist() == ["a", "c", "b", "d"]
    assert bridges.iloc[0]["name"] == "Université de Lille"
    assert nx.is_isomorphic(to_graph(actors, edges), graph)


def test_actor_partners_lists_both_directions():
    edges = links(make_actors())
    partners = actor_partners(edges, "b")
    assert partners["name"].tolist() == ["Madrid Plataforma Audiovisual", "Université de Lille"]
    assert partners["projects"].tolist() == [["SC"], ["SC"]]


def test_links_checks_its_input():
    with pytest.raises(TypeError):
        links(pd.DataFrame({"actor_id": [], "name": []}))
    with pytest.raises(ValueError, match="actor_id"):
        links(gpd.GeoDataFrame({"name": []}, geometry=[], crs="EPSG:4326"))
    # an actor without a point still gets its edges (empty line coordinates are NaN)
    actors = make_actors()
    actors.loc[1, "geometry"] = shapely.Point()
    assert len(links(actors)) == 3


def test_manifest_names_its_links_table(tmp_path: Path):
    (tmp_path / "map.csv").write_text("name,lat,lon\nA,50.6,3.06\n", encoding="utf-8")
    (tmp_path / "links.csv").write_text("from,to\nA,A\n", encoding="utf-8")
    text = (
        'links = "links.csv"\n[partnership]\nname = "P"\n[[maps]]\nfile = "map.csv"\n'
        'cluster = "C"\npartner = "X"\nhome_nuts = "FRE1"\n'
    )
    (tmp_path / "m.toml").write_text(text, encoding="utf-8")
    assert load_manifest(tmp_path / "m.toml").links == tmp_path / "links.csv"
    (tmp_path / "m.toml").write_text(text.replace("links.csv", "nope.csv"), encoding="utf-8")
    with pytest.raises(ManifestError, match=r"m\.toml links: file .*nope\.csv.* not found"):
        load_manifest(tmp_path / "m.toml")


def test_participations_table_fills_projects_and_reports_rows(tmp_path: Path):
    from metacluster.links import read_participations, with_projects

    path = tmp_path / "cordis.csv"
    path.write_text(
        "projectID;projectAcronym;name;role\n"
        "1;NEW;Université de Lille;coordinator\n"
        "1;NEW;Aarhus University;participant\n"
        "2;;Aarhus University;participant\n"
        "3;GHOST;Not On Any Map;participant\n"
        "3;GHOST;Museo Galileo;participant\n"
        ";;Sofia Tech Park;participant\n",
        encoding="utf-8",
    )
    actors = make_actors()
    table = read_participations(path, actors)
    assert table.rows_in == 6 and table.participations == 3
    assert table.rejects[["row", "column", "reason"]].values.tolist() == [
        [4, "name", "organisation not on the maps"],
        [5, "name", "organisation ambiguous"],
        [6, "projectAcronym", "missing project"],
    ]
    projects = with_projects(actors, table)["projects"].tolist()
    assert projects[0] == ["NEW", "SC", "X"] and projects[3] == ["2", "NEW"]
    edges = links(with_projects(actors, table))
    assert edges[(edges["source"] == "a") & (edges["target"] == "d")]["projects"].tolist() == [
        ["NEW"]
    ]
