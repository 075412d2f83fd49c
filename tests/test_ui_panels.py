"""Summary counts, charts, tables and the details card, on a hand-built layer."""

from __future__ import annotations

import pandas as pd
import pytest

from metacluster.aggregate import cluster_helix_counts
from metacluster.merge import MergeReport
from metacluster.schema import (
    HELICES,
    HELIX_LABELS,
    REJECT_COLUMNS,
    WARNING_COLUMNS,
    ImportResult,
    actors_per_helix,
)
from metacluster.ui import charts, panels
from metacluster.ui.mapview import Selected, selected
from tests.ui_sample import XSS_NAME, bar_counts, sample_actors, table_rows


def test_cluster_helix_counts_count_shared_actors_in_each_cluster() -> None:
    counts = cluster_helix_counts(sample_actors(), ["Nord-Pas de Calais", "Toscana"])
    table = counts.pivot(index="cluster", columns="helix", values="actors")
    assert list(dict.fromkeys(counts["cluster"])) == ["Nord-Pas de Calais", "Toscana"]
    assert table.loc["Toscana"].to_dict() == {
        "academia": 1, "business": 1, "government": 1, "civil_society": 1, "unknown": 0,
    }  # fmt: skip
    assert table.loc["Nord-Pas de Calais"].to_dict() == {
        "academia": 1, "business": 1, "government": 0, "civil_society": 0, "unknown": 1,
    }  # fmt: skip


def test_cluster_order_follows_the_manifest_then_the_alphabet() -> None:
    counts = cluster_helix_counts(sample_actors(), ["Toscana"])
    assert list(dict.fromkeys(counts["cluster"])) == ["Toscana", "Nord-Pas de Calais"]


def test_cluster_bars_stack_each_clusters_helices_in_the_palette() -> None:
    counts = cluster_helix_counts(sample_actors(), ["Toscana", "Nord-Pas de Calais"])
    body = charts.cluster_bars_html(counts)
    bars, widths = bar_counts(body)
    assert list(bars) == ["Toscana", "Nord-Pas de Calais"]  # manifest order
    assert bars["Toscana"] == {"academia": 1, "business": 1, "government": 1, "civil_society": 1}
    assert bars["Nord-Pas de Calais"] == {"academia": 1, "business": 1, "unknown": 1}
    assert sum(sum(b.values()) for b in bars.values()) == 7  # 6 actors, one on two maps
    assert widths == {"Toscana": 100.0, "Nord-Pas de Calais": 75.0}  # 4 and 3 actors
    academia = 'data-helix="academia" data-actors="1" title="Academia &amp; research: 1" '
    assert academia + 'style="flex:1;background:rgb(0,114,178)"' in body
    assert "Unknown helix" in body  # in the legend, as some actors are unknown


def test_bars_escape_labels_and_leave_out_unknown_when_there_is_none() -> None:
    body = charts.helix_bars_html([(XSS_NAME, {"academia": 2, "unknown": 0})])
    assert "<img" not in body and bar_counts(body)[0] == {XSS_NAME: {"academia": 2}}
    assert "Unknown helix" not in body


def test_helix_counts_show_one_bar_per_helix_and_unknown_only_when_present() -> None:
    bars, widths = bar_counts(charts.helix_counts_html({"academia": 2, "business": 1}))
    assert list(bars) == [HELIX_LABELS[h] for h in HELICES]
    assert bars[HELIX_LABELS["academia"]] == {"academia": 2}
    assert bars[HELIX_LABELS["government"]] == {}  # a bar of no length, "0" at its end
    assert widths[HELIX_LABELS["business"]] == 50.0
    bars, _ = bar_counts(charts.helix_counts_html({"unknown": 1}))
    assert len(bars) == 5 and bars[HELIX_LABELS["unknown"]] == {"unknown": 1}
    assert bar_counts(charts.helix_counts_html({}))[1][HELIX_LABELS["academia"]] == 0.0


def test_missing_helices_table_lists_incomplete_regions_biggest_first() -> None:
    regions = pd.DataFrame(
        {
            "NUTS_ID": ["FRE1", "ITI1", "NL41"],
            "NAME_LATN": ["Nord-Pas de Calais", "Toscana", "Noord-Brabant"],
            "n_total": [3, 4, 9],
            "missing_helices": [["government", "civil_society"], [], ["business"]],
        }
    )
    table = panels.missing_helices_table(regions)
    assert table.to_dict("records") == [
        {"Region": "Noord-Brabant (NL41)", "Actors": 9, "Missing helices": "Business & industry"},
        {
            "Region": "Nord-Pas de Calais (FRE1)",
            "Actors": 3,
            "Missing helices": "Government & public bodies, Civil society & culture",
        },
    ]


def test_short_tables_are_html_with_escaped_cells_and_right_aligned_numbers() -> None:
    table = pd.DataFrame(
        {
            "Region": [XSS_NAME, None, "Toscana (ITI1)"],
            "Actors": [12345, 9, 0],
            "Share": [0.5, float("nan"), 1.0],
        }
    )
    body = charts.table_html(table)
    assert "<img" not in body
    assert table_rows(body) == [
        ["Region", "Actors", "Share"],
        [XSS_NAME, "12,345", "0.5"],
        ["", "9", ""],  # missing cells are empty, not "None" or "nan"
        ["Toscana (ITI1)", "0", "1.0"],
    ]
    assert body.count('<td class="mc-number">') == 6 and "<td>" in body
    assert charts.table_html(table.iloc[:0]) == ""


def test_actors_table_spells_out_helices_and_joins_lists() -> None:
    table = panels.actors_table(sample_actors())
    assert list(table.columns) == list(panels.TABLE_COLUMNS.values())
    assert table.loc[4, "Regional clusters"] == "Nord-Pas de Calais; Toscana"
    assert table.loc[0, "Themes"] == "heritage; digital"
    assert table.loc[0, "Helix"] == "Academia & research"
    assert table.loc[1, "Name"] == XSS_NAME  # a dataframe cell shows text, never HTML


def test_actor_fields_show_the_nuts_chain_and_sources() -> None:
    fields = panels.actor_fields(sample_actors().iloc[4])
    card = dict(zip(fields["Field"], fields["Value"], strict=True))
    assert card["NUTS regions"] == (
        "France (FR) › Hauts-de-France (FRE) › Nord-Pas de Calais (FRE1) › Nord (FRE11)"
    )
    assert card["Regional clusters"] == "Nord-Pas de Calais; Toscana"
    assert card["Sources"] == "Nord-Pas de Calais: nord-pas de calais.csv#1; Toscana: toscana.csv#1"
    assert card["Helix"] == "Business & industry"
    assert "Description" not in card  # empty fields are left out


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("[click](javascript:alert(1))", r"\[click\]\(javascript\:alert\(1\)\)"),
        ("<b>bold</b>", r"\<b\>bold\</b\>"),
        ("C&A *sale*", r"C\&A \*sale\*"),
    ],
)
def test_escape_markdown(text: str, shown: str) -> None:
    assert panels.escape_markdown(text) == shown


def test_actors_per_helix_fold_odd_values_into_unknown() -> None:
    actors = sample_actors()
    actors.loc[0, "helix"] = "artists"
    assert actors_per_helix(actors["helix"]) == {
        "academia": 1, "business": 1, "government": 1, "civil_society": 1, "unknown": 2,
    }  # fmt: skip


def test_selected_reads_actors_and_regions_from_a_selection_event() -> None:
    actor = {"selection": {"indices": {"actors": [3]}, "objects": {"actors": [{"id": "mc-a4"}]}}}
    region = {
        "selection": {
            "indices": {"regions": [0]},
            "objects": {"regions": [{"type": "Feature", "properties": {"id": "ITI1"}}]},
        }
    }
    assert selected(actor) == Selected("actors", "mc-a4")
    assert selected(region) == Selected("regions", "ITI1")
    assert selected({"selection": {"indices": {}, "objects": {}}}) is None
    assert selected(None) is None


def test_import_table_has_one_row_per_map() -> None:
    rejects = pd.DataFrame(
        [["a.csv", None, 3, "lat", "x", "no usable location", "fix it"]] * 2,
        columns=list(REJECT_COLUMNS),
    )
    result = ImportResult(file="/tmp/x/a.csv", rows_in=5, actors=sample_actors().iloc[:3])
    result.rejects = rejects
    report = MergeReport(
        name="t", imports=[result], clusters=["A"], rejects=rejects,
        warnings=pd.DataFrame(columns=list(WARNING_COLUMNS)), duplicates=pd.DataFrame(),
        conflicts=pd.DataFrame(), rows_in=5, actors_out=3, duplicates_merged=0,
    )  # fmt: skip
    assert panels.import_table(report).to_dict("records") == [
        {
            "Map": "A",
            "File": "a.csv",
            "Rows": 5,
            "Accepted": 3,
            "Rejected": 2,
            "Reasons": "no usable location (2)",
        }
    ]


def test_the_summary_claims_complete_regions_only_with_regions_and_known_helices() -> None:
    complete = pd.DataFrame({"n_total": [4, 0], "missing_helices": [[], list(HELICES)]})
    known = pd.Series(["academia", "business", "government", "civil_society"])
    assert panels.coverage_verdict(complete, known) == (
        "success",
        "Every region with actors has all four helices.",
    )
    mostly_unknown = pd.Series(["academia", "unknown", None, "odd"])
    kind, text = panels.coverage_verdict(complete, mostly_unknown)
    assert kind == "warning" and text.startswith("75% of the actors have an unknown helix")
    no_regions = complete.iloc[1:]
    assert panels.coverage_verdict(no_regions, known)[0] == "info"
    assert panels.coverage_verdict(complete.iloc[:0], known)[0] == "info"
    incomplete = pd.DataFrame({"n_total": [4], "missing_helices": [["business"]]})
    assert panels.coverage_verdict(incomplete, known) is None  # the table says it


def test_the_card_shows_the_consistency_flags() -> None:
    actor = sample_actors().iloc[4].copy()
    actor["code_suspect"] = "nuts_code ES4 is Centro (ES) (NUTS-1), not the row's region"
    actor["country_conflict"] = None
    fields = panels.actor_fields(actor)
    card = dict(zip(fields["Field"], fields["Value"], strict=True))
    assert card["Code suspect"].startswith("nuts_code ES4 is Centro (ES)")
    assert "Country conflict" not in card


def test_flagged_actors_lists_the_rows_with_a_consistency_flag() -> None:
    actors = pd.DataFrame(
        {
            "name": ["A", "B", "C"],
            "city": ["Mérida", "Lille", "Riyadh"],
            "country": ["ES", "FR", "SA"],
            "nuts_match": ["within", "within", "unmatched"],
            "country_conflict": [None, None, None],
            "position_suspect": [None, None, "at the centre of SA"],
            "code_suspect": ["nuts_code ES4 is Centro (ES)", None, None],
        }
    )
    table = panels.flagged_actors(actors)
    assert table["name"].tolist() == ["A", "C"]
    assert table["code_suspect"].tolist() == ["nuts_code ES4 is Centro (ES)", ""]
    assert panels.flagged_actors(actors.drop(columns=list(panels.FLAG_COLUMNS))).empty
