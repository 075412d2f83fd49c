"""Merge: provenance, duplicate detection, conflicts, stable ids and row accounting.

The unit tests build ImportResults by hand (already located: NUTS columns given) and call
``merge_results``; the end-to-end tests read the small maps in tests/data/merge/ with the
project's readers and join them to the NUTS mirror.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point

from metacluster import merge
from metacluster.dedupe import _pairs_by_key, haversine_km, normalise_name, website_host
from metacluster.manifest import MapEntry, load_manifest
from metacluster.merge import NO_LOCATION, MergeResult, merge_results
from metacluster.schema import (
    ACTOR_COLUMNS,
    MERGE_COLUMNS,
    NUTS_COLUMNS,
    REJECT_COLUMNS,
    ImportResult,
)

MERGE_DATA = Path(__file__).parent / "data" / "merge"
ROME, LILLE, ATHENS = (12.4964, 41.9028), (3.0573, 50.6292), (23.7275, 37.9838)


def located(file: str, rows: list[dict]) -> ImportResult:
    """An ImportResult whose actors already carry the NUTS columns (as after join_nuts).

    Each row gives name and lon/lat (None for no position) and optionally helix, website,
    country, nuts3, organisation_type or any extra column.
    """
    records = []
    for number, row in enumerate(rows, start=1):
        nuts3 = row.get("nuts3")
        position = None if row.get("lon") is None else Point(row["lon"], row["lat"])
        record = {column: None for column in ACTOR_COLUMNS}
        record.update(
            actor_id=f"{file}-{number}",
            helix=row.get("helix", "business"),
            themes=row.get("themes", []),
            source_file=file,
            source_row=number,
            position_source="given",
            geometry=position,
            **{f"nuts{level}": nuts3[: level + 2] if nuts3 else None for level in range(4)},
            **{f"nuts{level}_name": None for level in range(4)},
            nuts_match="within" if nuts3 else "unmatched",
            nuts_note=row.get("nuts_note"),
            country_conflict=None,
            position_suspect=None,
            code_suspect=None,
        )
        record.update({k: v for k, v in row.items() if k not in ("lon", "lat", "nuts3")})
        records.append(record)
    actors = gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")
    return ImportResult(file=f"/data/{file}", rows_in=len(rows), actors=actors)


def entry(cluster: str, file: str) -> MapEntry:
    return MapEntry(file=Path("/data") / file, cluster=cluster)


def run(*maps: tuple[str, str, list[dict]], **kwargs) -> MergeResult:
    return merge_results(
        [(entry(cluster, file), located(file, rows)) for cluster, file, rows in maps], **kwargs
    )


def at(place: tuple[float, float], east_km: float = 0.0) -> dict:
    """lon/lat of a point ``east_km`` east of a place (1° of longitude ≈ 111.32 km × cos φ)."""
    lon, lat = place
    return {"lon": lon + east_km / (111.32 * np.cos(np.radians(lat))), "lat": lat}


# --- keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (["Musée d'Orsay S.A.", "MUSEE D ORSAY", "musée d’orsay"], "musee d orsay"),
        (["Acme GmbH", "ACME Gmbh.", "Acme GmbH & Co. KG", "acme"], "acme"),
        (["Bitmap S.r.l.", "BITMAP SRL", "Bitmap s.p.a.", "Bitmap SpA"], "bitmap"),
        (["Danfoss A/S", "Danfoss ApS", "Danfoss AS"], "danfoss"),
        (["Софтуер ЕООД", "софтуер"], "софтуер"),
        (["Sofia Tech EOOD", "Sofia Tech OOD", "Sofia Tech AD"], "sofia tech"),
        (
            ["Codex B.V.", "Codex BV", "Codex plc", "Codex Ltd.", "Codex S.L.", "Codex SARL"],
            "codex",
        ),
        (["Ubisoft SAS", "Ubisoft S.A.S."], "ubisoft"),
    ],
)
def test_normalise_name_merges_variants(names: list[str], key: str) -> None:
    assert normalise_name(pd.Series(names)).tolist() == [key] * len(names)


def test_normalise_name_keeps_a_name_that_is_only_a_legal_form() -> None:
    assert normalise_name(pd.Series(["AD", "S.A.", None, "Adlab"])).tolist() == [
        "ad",
        "s a",
        "",
        "adlab",
    ]


@pytest.mark.parametrize(
    ("website", "host"),
    [
        ("https://www.Acme.eu/about?x=1", "acme.eu"),
        ("acme.eu", "acme.eu"),
        ("http://www2.acme.eu:8080/", "acme.eu"),
        ("info@lab.uniroma1.it", "lab.uniroma1.it"),
        ("https://museo.wordpress.com/", "museo.wordpress.com"),
        ("https://www.facebook.com/museo", None),
        ("m.facebook.com/museo", None),
        ("https://sites.google.com/view/museo", None),
        ("https://fr.linkedin.com/company/x", None),
        ("https://x.com/museo", None),
        ("https://wordpress.com/museo", None),
        ("not a website", None),
        (None, None),
        ("", None),
    ],
)
def test_website_host(website: str | None, host: str | None) -> None:
    result = website_host(pd.Series([website], dtype=object)).iloc[0]
    assert (None if pd.isna(result) else result) == host


def test_haversine_known_distance() -> None:
    paris, london = (2.3522, 48.8566), (-0.1276, 51.5072)  # a textbook 343.5 km apart
    (distance,) = haversine_km(*([v] for v in (*paris, *london)))
    assert distance == pytest.approx(343.5, abs=1.0)


def test_pairs_come_only_from_shared_keys_and_other_maps() -> None:
    keys = pd.Series(["a", "b", "a", "c", "a", None, None])
    maps = np.array([0, 0, 1, 1, 0, 0, 1])
    left, right = _pairs_by_key(keys, maps)
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 2), (2, 4)]
    many = pd.Series([f"name {i}" for i in range(5000)])
    left, _ = _pairs_by_key(many, np.arange(5000) % 8)
    assert len(left) == 0


# --- duplicates ---------------------------------------------------------------------------


def test_accent_and_suffix_variants_merge_into_first_map_actor() -> None:
    result = run(
        (
            "Nord",
            "nord.csv",
            [{"name": "Musée d'Orsay S.A.", **at(LILLE), "helix": "civil_society"}],
        ),
        (
            "Lazio",
            "lazio.csv",
            [{"name": "Roma Lab", **at(ROME)}, {"name": "MUSEE D ORSAY", **at(LILLE, 3)}],
        ),
    )
    actors = result.actors
    assert actors["name"].tolist() == ["Musée d'Orsay S.A.", "Roma Lab"]
    merged = actors.iloc[0]
    assert merged["regional_cluster"] == ["Nord", "Lazio"]
    assert merged["source_maps"] == ["Nord: nord.csv#1", "Lazio: lazio.csv#2"]
    assert merged["helix"] == "civil_society"
    assert merged.geometry.equals(Point(*LILLE))
    assert result.report.duplicates_merged == 1
    assert result.report.duplicates.to_dict("records") == [
        {
            "actor_id": merged["actor_id"],
            "name": "Musée d'Orsay S.A.",
            "sources": ["Nord: nord.csv#1", "Lazio: lazio.csv#2"],
        }
    ]


def test_same_host_merges_nearby_rows_of_one_country() -> None:
    result = run(
        (
            "Lazio",
            "a.csv",
            [{"name": "Acme Labs", "website": "https://www.acme.eu/x", "country": "IT",
              **at(ROME)}],
        ),
        ("Roma", "l.csv", [{"name": "ACME Laboratories", "website": "acme.eu", "country": "it",
                            **at(ROME, 30)}]),
    )  # fmt: skip
    assert len(result.actors) == 1
    assert result.actors.iloc[0]["regional_cluster"] == ["Lazio", "Roma"]
    assert result.actors.iloc[0]["same_organisation"] == []


def test_same_host_far_apart_or_abroad_are_branches_not_one_actor() -> None:
    sofia, leamington = (23.3219, 42.6977), (-1.5353, 52.2852)
    result = run(
        ("Yugozapaden", "y.csv", [{"name": "Ubisoft Sofia", "website": "ubisoft.com",
                                   "country": "BG", "city": "Sofia", "lon": sofia[0],
                                   "lat": sofia[1]}]),
        ("West Midlands", "w.csv", [{"name": "Ubisoft Leamington", "website": "www.ubisoft.com",
                                     "country": "GB", "city": "Leamington Spa",
                                     "lon": leamington[0], "lat": leamington[1]}]),
        ("Toscana", "t.csv", [{"name": "Ubisoft Milan", "website": "ubisoft.com/it",
                               "country": "IT", "city": "Milano", **at(ROME, 400)}]),
        ("Lazio", "l.csv", [{"name": "Ubisoft Roma", "website": "ubisoft.com", "country": "IT",
                             "city": "Roma", **at(ROME)}]),
    )  # fmt: skip
    assert result.actors["name"].tolist() == [
        "Ubisoft Sofia", "Ubisoft Leamington", "Ubisoft Milan", "Ubisoft Roma"
    ]  # fmt: skip
    assert result.report.duplicates_merged == 0
    ids = result.actors["actor_id"].tolist()
    for actor_id, others in zip(ids, result.actors["same_organisation"], strict=True):
        assert sorted(others) == sorted(i for i in ids if i != actor_id)
    assert result.actors.iloc[1]["regional_cluster"] == ["West Midlands"]  # still on the UK map


def test_same_host_in_the_same_city_is_one_actor_even_when_far_by_coordinates() -> None:
    result = run(
        ("A", "a.csv", [{"name": "Museo X", "website": "museox.it", "city": "Roma",
                         **at(ROME)}]),
        ("B", "b.csv", [{"name": "Museum X", "website": "museox.it", "city": "ROMA",
                         **at(ROME, 80)}]),
    )  # fmt: skip
    assert len(result.actors) == 1


def test_same_name_far_apart_is_not_merged() -> None:
    result = run(
        ("Nord", "n.csv", [{"name": "Digital Hub", **at(LILLE)}]),
        ("Lazio", "l.csv", [{"name": "Digital Hub", **at(ROME)}]),
    )
    assert len(result.actors) == 2
    assert result.report.duplicates_merged == 0
    assert result.actors["regional_cluster"].tolist() == [["Nord"], ["Lazio"]]


@pytest.mark.parametrize(("east_km", "merged"), [(24.0, True), (26.0, False)])
def test_name_match_distance_threshold(east_km: float, merged: bool) -> None:
    result = run(
        ("Nord", "n.csv", [{"name": "Digital Hub", **at(LILLE)}]),
        ("Lazio", "l.csv", [{"name": "Digital Hub", **at(LILLE, east_km)}]),
    )
    assert len(result.actors) == (1 if merged else 2)


def test_distance_is_configurable() -> None:
    maps = (
        ("Nord", "n.csv", [{"name": "Digital Hub", **at(LILLE)}]),
        ("Lazio", "l.csv", [{"name": "Digital Hub", **at(LILLE, 40)}]),
    )
    assert len(run(*maps).actors) == 2
    assert len(run(*maps, distance_km=50).actors) == 1
    with pytest.raises(ValueError, match="distance_km"):
        run(*maps, distance_km=-1)


def test_generic_host_is_not_evidence() -> None:
    result = run(
        ("Nord", "n.csv", [{"name": "Museum A", "website": "https://facebook.com/a", **at(LILLE)}]),
        (
            "Lazio",
            "l.csv",
            [{"name": "Museum B", "website": "https://www.facebook.com/b", **at(LILLE)}],
        ),
    )
    assert len(result.actors) == 2


def test_same_map_rows_are_not_merged_and_get_distinct_ids() -> None:
    result = run(("Nord", "n.csv", [{"name": "Digital Hub", **at(LILLE)}] * 2))
    assert len(result.actors) == 2
    first, second = result.actors["actor_id"].tolist()
    assert second == first + "-2"


def test_host_shared_inside_one_map_is_not_used_and_warned() -> None:
    result = run(
        (
            "Lazio",
            "l.csv",
            [
                {"name": "Faculty of Arts", "website": "https://uni.it/arts", **at(ROME)},
                {"name": "Faculty of Law", "website": "https://uni.it/law", **at(ROME, 1)},
            ],
        ),
        ("Nord", "n.csv", [{"name": "University", "website": "uni.it", **at(LILLE)}]),
    )
    assert len(result.actors) == 3
    warnings = result.report.warnings
    assert warnings["message"].tolist() == [
        "website host uni.it is shared by 2 actors of this map, "
        "so it is not used to find duplicates"
    ]
    assert warnings["cluster"].tolist() == ["Lazio"]


def test_matches_join_transitively() -> None:
    result = run(
        ("A", "a.csv", [{"name": "Creative Lab", **at(ROME)}]),
        ("B", "b.csv", [{"name": "Creative Lab SRL", "website": "creativelab.it", **at(ROME, 5)}]),
        ("C", "c.csv", [{"name": "CL Studio", "website": "https://creativelab.it",
                         **at(ROME, 40)}]),
    )  # fmt: skip
    assert len(result.actors) == 1
    assert result.actors.iloc[0]["source_maps"] == ["A: a.csv#1", "B: b.csv#1", "C: c.csv#1"]
    assert result.report.duplicates_merged == 2


# --- conflicts ----------------------------------------------------------------------------


def test_conflicting_attributes_are_reported_not_resolved() -> None:
    result = run(
        (
            "Nord",
            "n.csv",
            [
                {
                    "name": "Euratech",
                    "helix": "business",
                    "country": "FR",
                    "organisation_type": "Incubator",
                    "nuts3": "FRE11",
                    **at(LILLE),
                }
            ],
        ),
        (
            "Lazio",
            "l.csv",
            [
                {
                    "name": "EURATECH",
                    "helix": "academia",
                    "country": "fr",
                    "organisation_type": "incubator",
                    "nuts3": "FRE12",
                    **at(LILLE, 2),
                }
            ],
        ),
        ("Attica", "a.csv", [{"name": "Euratech", "helix": None, "country": None, **at(LILLE, 1)}]),
    )
    actor = result.actors.iloc[0]
    assert actor["helix"] == "business"  # first map in manifest order wins…
    assert actor["merge_conflicts"] == ["helix: business / academia", "nuts3: FRE11 / FRE12"]
    conflicts = result.report.conflicts
    assert conflicts.columns.tolist() == ["actor_id", "name", "attribute", "values"]
    assert conflicts.to_dict("records") == [
        {
            "actor_id": actor["actor_id"],
            "name": "Euratech",
            "attribute": "helix",
            "values": ["Nord: n.csv#1 = business", "Lazio: l.csv#1 = academia"],
        },
        {
            "actor_id": actor["actor_id"],
            "name": "Euratech",
            "attribute": "nuts3",
            "values": ["Nord: n.csv#1 = FRE11", "Lazio: l.csv#1 = FRE12"],
        },
    ]
    assert result.report.conflict_count == 2


def test_actors_without_conflicts_have_empty_lists() -> None:
    result = run(("Nord", "n.csv", [{"name": "A", **at(LILLE)}, {"name": "B", **at(ROME)}]))
    assert result.actors["merge_conflicts"].tolist() == [[], []]
    assert result.report.conflicts.empty


# --- ids, columns, accounting -------------------------------------------------------------


def test_actor_ids_are_stable_known_and_unique() -> None:
    maps = (
        ("Nord", "n.csv", [{"name": "Musée d'Orsay S.A.", "lon": 2.32655, "lat": 48.86}]),
        ("Lazio", "l.csv", [{"name": f"Actor {i}", **at(ROME, i)} for i in range(50)]),
    )
    first, second = run(*maps), run(*maps)
    assert first.actors["actor_id"].tolist() == second.actors["actor_id"].tolist()
    expected = "mc-" + hashlib.sha1(b"musee d orsay|2.3266|48.8600").hexdigest()[:12]
    assert first.actors["actor_id"].iloc[0] == expected
    assert first.actors["actor_id"].is_unique
    assert all(re.fullmatch(r"mc-[0-9a-f]{12}", i) for i in first.actors["actor_id"])


def test_columns_order_extras_and_attrs() -> None:
    result = run(
        ("Nord", "n.csv", [{"name": "A", "phone": "+33 1", **at(LILLE)}]), name="SmartCulture"
    )
    columns = result.actors.columns.tolist()
    expected = [
        *ACTOR_COLUMNS[:-1], *NUTS_COLUMNS, *MERGE_COLUMNS, "merge_conflicts", "same_organisation"
    ]  # fmt: skip
    assert columns == [*expected, "phone", "geometry"]
    assert result.actors.crs == "EPSG:4326"
    assert result.actors.attrs["name"] == "SmartCulture"
    assert result.report.name == "SmartCulture"


def test_unplaced_rows_are_rejected_and_every_row_is_accounted_for() -> None:
    nord = located(
        "n.csv",
        [
            {"name": "Placed", **at(LILLE), "nuts3": "FRE11"},
            {
                "name": "Nowhere",
                "nuts_code": "FRZ99",
                "nuts_note": "unknown NUTS code FRZ99 in 2021",
            },
            {"name": "Digital Hub", **at(LILLE)},
        ],
    )
    nord.rows_in = 5  # and two rows the reader rejected:
    nord.rejects = pd.DataFrame(
        {
            "file": "n.csv",
            "layer": None,
            "row": [4, 5],
            "column": "name",
            "value": None,
            "reason": "no name",
            "detail": "the name cell is empty",
        }
    )
    lazio = located("l.csv", [{"name": "Digital Hub S.r.l.", **at(LILLE, 5)}, {"name": "Gone"}])
    result = merge_results([(entry("Nord", "n.csv"), nord), (entry("Lazio", "l.csv"), lazio)])
    report = result.report
    assert report.rows_in == 7
    assert len(report.rejects) == 4
    assert report.actors_out == 2 and report.duplicates_merged == 1
    assert report.rows_in == report.actors_out + report.duplicates_merged + len(report.rejects)
    assert report.rejects.columns.tolist() == [*REJECT_COLUMNS, "cluster"]
    unplaced = report.rejects[report.rejects["reason"] == NO_LOCATION]
    assert unplaced[["file", "row", "cluster"]].to_dict("records") == [
        {"file": "n.csv", "row": 2, "cluster": "Nord"},
        {"file": "l.csv", "row": 2, "cluster": "Lazio"},
    ]
    assert unplaced["value"].iloc[0] == "FRZ99" and pd.isna(unplaced["value"].iloc[1])
    assert unplaced["detail"].iloc[0] == "unknown NUTS code FRZ99 in 2021"
    assert "no known NUTS code" in unplaced["detail"].iloc[1]


def test_locate_is_called_once_on_all_maps_and_must_keep_rows() -> None:
    calls = []

    def fake_locate(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        calls.append(len(frame))
        out = frame.drop(columns=list(NUTS_COLUMNS))
        for column in NUTS_COLUMNS:
            out[column] = "XX" if column == "nuts0" else None
        out.attrs.update(nuts_year=2024, nuts_scale="01M")
        return out

    maps = [
        (entry("A", "a.csv"), located("a.csv", [{"name": "x", **at(ROME)}])),
        (entry("B", "b.csv"), located("b.csv", [{"name": "y", **at(LILLE)}])),
    ]
    result = merge_results(maps, locate=fake_locate)
    assert calls == [2]
    assert result.actors["nuts0"].tolist() == ["XX", "XX"]
    assert (result.report.nuts_year, result.report.nuts_scale) == (2024, "01M")
    assert result.actors.attrs["nuts_year"] == 2024
    with pytest.raises(ValueError, match="must keep every row"):
        merge_results(maps, locate=lambda frame: frame.iloc[:1])


def test_summary_is_json_ready() -> None:
    result = run(
        ("Nord", "n.csv", [{"name": "Euratech", "helix": "business", **at(LILLE)}]),
        ("Lazio", "l.csv", [{"name": "Euratech", "helix": "academia", **at(LILLE)}]),
    )
    summary = json.loads(json.dumps(result.report.summary()))
    assert summary["rows_in"] == 2 and summary["actors_out"] == 1
    assert summary["duplicates_merged"] == 1 and summary["conflict_count"] == 1
    assert [m["cluster"] for m in summary["maps"]] == ["Nord", "Lazio"]
    assert summary["conflicts"][0]["values"] == [
        "Nord: n.csv#1 = business",
        "Lazio: l.csv#1 = academia",
    ]


# --- end to end: the project's readers and the NUTS mirror ---------------------------------


def test_merge_manifest_end_to_end(nuts_from_mirror: Path) -> None:
    manifest = load_manifest(MERGE_DATA / "partnership.toml")
    result = merge(manifest)
    report = result.report
    assert report.rows_in == sum(r.rows_in for r in report.imports)
    assert report.rows_in == report.actors_out + report.duplicates_merged + len(report.rejects)
    assert report.nuts_year == 2021
    actors = result.actors.set_index("name")
    orsay = actors.loc["Musée d'Orsay"]
    assert orsay["regional_cluster"] == ["Île-de-France", "Lazio"]
    assert orsay["nuts2"] == "FR10"
    assert actors.loc["Sapienza Università di Roma", "nuts3"] == "ITI43"
    assert actors.loc["Regione Lazio", "position_source"] == "nuts"  # placed from its NUTS code
    assert NO_LOCATION in report.rejects["reason"].tolist()
    assert result.actors["actor_id"].tolist() == merge(manifest).actors["actor_id"].tolist()


def test_merge_accepts_plain_files(nuts_from_mirror: Path) -> None:
    files = [MERGE_DATA / "ile-de-france.csv", MERGE_DATA / "lazio.geojson"]
    result = merge(files, year=2024)
    assert result.report.clusters == ["Ile De France", "Lazio"]
    assert result.report.nuts_year == 2024
    assert result.actors["actor_id"].is_unique


def test_a_map_without_home_nuts_gets_the_nuts2_region_of_most_of_its_actors(
    nuts_from_mirror: Path, tmp_path: Path
) -> None:
    from metacluster.merge import merge

    (tmp_path / "lille.csv").write_text(
        "name,lat,lon\n"
        "A,50.63,3.06\nB,50.64,3.07\nC,50.29,2.78\n"  # Lille, Lille (FRE1), Arras (FRE2)
        "Partner far away,41.39,2.17\n",  # Barcelona
        encoding="utf-8",
    )
    (tmp_path / "given.csv").write_bytes((tmp_path / "lille.csv").read_bytes())
    (tmp_path / "nowhere.csv").write_text("name,lat,lon\nAt sea,40.0,-40.0\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(
        '[partnership]\nname = "T"\n'
        '[[maps]]\nfile = "lille.csv"\ncluster = "Lille"\n'
        '[[maps]]\nfile = "nowhere.csv"\ncluster = "Sea"\n'
        '[[maps]]\nfile = "given.csv"\ncluster = "Given"\nhome_nuts = "ES51"\n',
        encoding="utf-8",
    )
    report = merge(tmp_path / "m.toml").report
    assert report.homes == {"Lille": "FRE1", "Given": "ES51"}
    assert report.derived_homes == ("Lille",)
    maps = report.summary()["maps"]
    assert [(m["home_nuts"], m["home_nuts_derived"]) for m in maps] == [
        ("FRE1", True),
        (None, False),
        ("ES51", False),
    ]


def _kml(path: Path, title: str | None) -> Path:
    name = f"<name>{title}</name>" if title is not None else ""
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{name}<Folder><name>Academia</name><Placemark><name>Università di Pisa"
        "</name><Point><coordinates>10.4017,43.7167</coordinates></Point></Placemark>"
        "</Folder></Document></kml>",
        encoding="utf-8",
    )
    return path


def test_maps_named_after_files_take_the_title_their_kml_gives_them(tmp_path: Path) -> None:
    files = [
        _kml(tmp_path / "export.kml", "\n  Toscana meta-cluster "),
        _kml(tmp_path / "export (1).kml", "Toscana meta-cluster"),
        _kml(tmp_path / "no-title.kml", None),
    ]
    result = merge(files, year=2021)
    assert result.report.clusters == [
        "Toscana meta-cluster",
        "Toscana meta-cluster (2)",
        "No Title",
    ]
    assert set(result.actors["regional_cluster"].explode()) == set(result.report.clusters)


def test_a_manifest_cluster_is_never_replaced_by_the_file_title(tmp_path: Path) -> None:
    _kml(tmp_path / "toscana.kml", "Some other title")
    (tmp_path / "m.toml").write_text(
        '[partnership]\nname = "t"\ntitle = "T"\n\n[[maps]]\nfile = "toscana.kml"\n'
        'cluster = "Toscana"\npartner = "Regione Toscana"\nhome_nuts = "ITI1"\n',
        encoding="utf-8",
    )
    assert merge(tmp_path / "m.toml", year=2021).report.clusters == ["Toscana"]
