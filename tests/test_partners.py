"""Partner finder: a hand-checked ranking and its one-line reasons."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from metacluster.links import links
from metacluster.partners import partner_index, suggest_partners

# id, name, helix, cluster, NUTS-3, country, lon, lat, themes, projects
ROWS = [
    ("t1", "Università di Pisa", "academia", "Toscana", "ITI17", "IT", 10.40, 43.72,
     ["3d digitisation", "museums"], ["SC"]),
    ("t2", "Museo Galileo", "civil_society", "Toscana", "ITI14", "IT", 11.25, 43.77,
     ["museums", "heritage"], []),
    ("s1", "Regione Autonoma della Sardegna", "government", "Toscana", "ITG2F", "IT", 9.11,
     39.22, ["heritage"], []),
    ("g1", "Région Hauts-de-France", "government", "Nord-Pas de Calais", "FRE11", "FR", 3.06,
     50.63, ["museums", "open data"], ["SC"]),
    ("g2", "Comunidad de Madrid", "government", "Comunidad de Madrid", "ES300", "ES", -3.70,
     40.42, ["3d digitisation", "museums", "heritage"], []),
    ("g3", "Regione Lazio", "government", "Lazio", "ITI43", "IT", 12.48, 41.89, ["heritage"],
     []),
    ("g4", "Sofia Municipality", "government", "Yugozapaden", "BG411", "BG", 23.32, 42.70,
     ["heritage"], []),
    ("g5", "Aarhus Kommune", "government", "Midtjylland", "DK042", "DK", 10.20, 56.16, [], []),
    ("u1", "Universidad Complutense de Madrid", "academia", "Comunidad de Madrid", "ES300",
     "ES", -3.70, 40.42, ["3d digitisation", "museums", "heritage"], []),
]  # fmt: skip


@pytest.fixture
def actors() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "actor_id": [r[0] for r in ROWS],
            "name": [r[1] for r in ROWS],
            "helix": [r[2] for r in ROWS],
            "regional_cluster": [[r[3]] for r in ROWS],
            "nuts3": [r[4] for r in ROWS],
            "country": [r[5] for r in ROWS],
            "themes": [r[8] for r in ROWS],
            "projects": [r[9] for r in ROWS],
        },
        geometry=gpd.points_from_xy([r[6] for r in ROWS], [r[7] for r in ROWS]),
        crs="EPSG:4326",
    )


def test_ranking_and_why_match_the_hand_checked_order(actors):
    edges = links(actors, pd.DataFrame({"from": ["g1"], "to": ["g5"], "kind": ["mentoring"]}))
    ranked = suggest_partners(actors, region="ITI1", helix="government", links=edges)
    # g2: themes 3/3 -> 0.6; g1: 1/4 themes and a partner of Pisa -> 0.15 + 0.4;
    # g3, g4 (1/3 themes) and g5 (partner of a partner) all 0.2: Lazio speaks Italian,
    # then Sofia (~1,000 km) is nearer than Aarhus (~1,380 km). Sardinia is in the
    # Toscana cluster and Complutense is academia: neither is a candidate.
    assert ranked["actor_id"].tolist() == ["g2", "g1", "g3", "g4", "g5"]
    assert ranked["score"].tolist() == [0.6, 0.55, 0.2, 0.2, 0.2]
    assert ranked["proximity"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.5]
    why = dict(zip(ranked["actor_id"], ranked["why"], strict=True))
    assert why["g2"].startswith("shares 3d digitisation, heritage and museums; ")
    assert why["g1"].startswith("shares museums; partner of Università di Pisa in SC; ")
    assert why["g3"].startswith("shares heritage; same language; ")
    assert why["g5"].startswith("partner of a partner: Région Hauts-de-France; ")
    assert why["g4"].endswith(" km away") and "same language" not in why["g4"]
    assert ranked.loc[1, "shared_themes"] == ["museums"]
    assert 950 < ranked.loc[3, "distance_km"] < 1100 < 1300 < ranked.loc[4, "distance_km"]


def test_without_links_only_themes_language_and_distance_count(actors):
    ranked = suggest_partners(actors, region="Toscana", helix="government", top=3)
    assert ranked["actor_id"].tolist() == ["g2", "g3", "g4"]
    assert (ranked["proximity"] == 0).all() and ranked["via"].isna().all()


def test_region_by_code_or_cluster_and_bad_input(actors):
    one = suggest_partners(actors, region="ITI17", helix="civil_society")
    assert one.empty  # no civil-society actor outside Toscana's cluster
    with pytest.raises(ValueError, match="no actor is in 'XX9'"):
        suggest_partners(actors, region="XX9", helix="government")
    with pytest.raises(ValueError, match="helix must be one of"):
        suggest_partners(actors, region="ITI1", helix="state")


def test_the_index_is_kept_per_frame_and_gives_the_answers_of_a_fresh_one(actors):
    edges = links(actors, pd.DataFrame({"from": ["g1"], "to": ["g5"], "kind": ["mentoring"]}))
    assert partner_index(actors, edges) is partner_index(actors, edges)
    assert partner_index(actors.copy(), edges) is not partner_index(actors, edges)
    for region, helix in (("ITI1", "government"), ("Comunidad de Madrid", "academia")):
        again = suggest_partners(actors, region=region, helix=helix, links=edges)
        fresh = suggest_partners(actors.copy(), region=region, helix=helix, links=edges.copy())
        pd.testing.assert_frame_equal(again, fresh)
    madrid = suggest_partners(actors, region="Comunidad de Madrid", helix="academia", links=edges)
    assert madrid["actor_id"].tolist() == ["t1"]  # Pisa; Complutense is in Madrid's cluster
