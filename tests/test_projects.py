"""The ``projects`` column: any map's projects list; CORDIS participations folded."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from metacluster import read_layer
from metacluster.cli import main
from metacluster.schema import ACTOR_COLUMNS

DATA = Path(__file__).parent / "data"


def test_participations_fold_into_one_actor_per_organisation() -> None:
    result = read_layer(DATA / "cordis_participations.json")
    assert (result.rows_in, result.accepted, result.rejected, result.folded) == (10, 6, 0, 4)
    assert result.rows_in == result.accepted + result.rejected + result.folded
    actors = result.actors.set_index("name")
    fraunhofer = actors.loc["FRAUNHOFER GESELLSCHAFT ZUR FOERDERUNG DER ANGEWANDTEN FORSCHUNG EV"]
    # the project without an acronym is listed by its id
    assert fraunhofer["projects"] == ["CULTURE-LAB", "HERIT-AI", "101061234"]
    assert fraunhofer["project_ids"] == ["101094428", "101132475", "101061234"]
    assert fraunhofer["project_roles"] == ["participant", "coordinator"]
    assert fraunhofer["ec_contribution"] == 300000 + 700000 + 120000
    milano = actors.loc["COMUNE DI MILANO"]
    assert milano["projects"] == ["HERIT-AI", "101061234"]
    assert milano["ec_contribution"] == 0  # one 0, one blank
    assert actors.loc["KULTURNETZ EV", "projects"] == ["CULTURE-LAB"]
    assert result.participation_counts() == {
        "participations": 10,
        "organisations": 6,
        "projects": 3,
    }
    assert "10 participations of 6 organisations in 3 projects" in " ".join(
        result.warnings["message"]
    )


def test_participations_without_organisation_ids_fold_by_name_and_position(
    tmp_path: Path,
) -> None:
    path = tmp_path / "participations.csv"
    path.write_text(
        "name;city;country;projectAcronym;role\n"
        "Université de Lille;Lille;FR;CULTURE-LAB;coordinator\n"
        "UNIVERSITE DE LILLE;Lille;FR;HERIT-AI;participant\n"
        "Comune di Milano;Milano;IT;HERIT-AI;participant\n",
        encoding="utf-8",
    )
    result = read_layer(path)
    assert (result.accepted, result.rejected, result.folded) == (2, 0, 1)
    assert result.actors["projects"].tolist() == [["CULTURE-LAB", "HERIT-AI"], ["HERIT-AI"]]


def test_any_map_projects_column_becomes_a_list_and_no_column_an_empty_list(
    tmp_path: Path,
) -> None:
    path = tmp_path / "map.csv"
    path.write_text(
        "name,lat,lon,projects\nA,50.63,3.06,Interreg NWE; CULTURE-LAB ;\nB,50.64,3.07,\n",
        encoding="utf-8",
    )
    actors = read_layer(path).actors
    assert list(actors.columns[: len(ACTOR_COLUMNS) - 1]) == list(ACTOR_COLUMNS[:-1])
    assert actors["projects"].tolist() == [["Interreg NWE", "CULTURE-LAB"], []]
    assert "project_ids" not in actors.columns  # details only for CORDIS-like files
    plain = tmp_path / "plain.csv"
    plain.write_text("name,lat,lon\nA,50.63,3.06\n", encoding="utf-8")
    assert read_layer(plain).actors["projects"].tolist() == [[]]


def test_same_name_and_position_without_projects_is_still_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text("name,lat,lon\nA,50.63,3.06\nA,50.63,3.06\n", encoding="utf-8")
    result = read_layer(path)
    assert (result.accepted, result.folded) == (1, 0)
    assert result.rejects["reason"].tolist() == ["duplicate row"]


def test_validate_reports_participations_and_exits_0() -> None:
    runner = CliRunner()
    path = str(DATA / "cordis_participations.json")
    text = runner.invoke(main, ["validate", path])
    assert text.exit_code == 0, text.output
    assert "rows in 10   accepted 6   rejected 0   folded 4" in text.output
    assert "10 participations of 6 organisations in 3 projects" in text.output
    summary = json.loads(runner.invoke(main, ["validate", "--json", path]).output)[0]
    assert summary["participations"] == {"participations": 10, "organisations": 6, "projects": 3}


def test_merge_unions_the_projects_of_duplicates(tmp_path: Path, nuts_from_mirror: Path) -> None:
    from metacluster import merge

    (tmp_path / "a.csv").write_text(
        "name,lat,lon,projects\nUniversité de Lille,50.6313,3.0715,CULTURE-LAB\n",
        encoding="utf-8",
    )
    (tmp_path / "b.csv").write_text(
        "name,lat,lon,projects\nUniversite de Lille,50.6314,3.0716,HERIT-AI\n",
        encoding="utf-8",
    )
    (tmp_path / "m.toml").write_text(
        '[partnership]\nname = "t"\n'
        '[[maps]]\ncluster = "A"\nfile = "a.csv"\npartner = "P"\nhome_nuts = "FRE1"\n'
        '[[maps]]\ncluster = "B"\nfile = "b.csv"\npartner = "Q"\nhome_nuts = "FRE1"\n',
        encoding="utf-8",
    )
    result = merge(tmp_path / "m.toml")
    assert len(result.actors) == 1
    assert result.actors["projects"].iloc[0] == ["CULTURE-LAB", "HERIT-AI"]
    assert isinstance(result.actors, pd.DataFrame)
