"""metacluster: map regional innovation ecosystems along the quadruple helix.

The pipeline, one module per stage: ``read`` → ``normalise`` → ``locate`` (NUTS join) →
``merge`` → ``filter`` → ``aggregate`` → ``export``; ``links`` (who works with whom) and
``partners`` (whom to work with next) build on the merged layer. ``nuts`` serves NUTS
geometries from GISCO with a disk cache; ``settings`` holds the defaults every stage reads.
"""

from importlib.metadata import PackageNotFoundError, version

from metacluster import settings
from metacluster._errors import (
    InputFileError,
    InputLimitError,
    ManifestError,
    MetaclusterError,
    NutsCodeError,
    NutsUnavailableError,
)
from metacluster.engine import aggregate_regions, join_nuts
from metacluster.export import render, to_csv, to_geojson, to_kml
from metacluster.filter import Filters, apply_filters
from metacluster.helix import tag_helix
from metacluster.links import links, read_links
from metacluster.manifest import Manifest, load_manifest
from metacluster.merge import MergeResult, merge
from metacluster.nuts import load_nuts, lookup
from metacluster.read import read_layer
from metacluster.schema import HELICES, HELIX_LABELS, ImportResult

try:
    __version__ = version("metacluster")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "HELICES",
    "HELIX_LABELS",
    "Filters",
    "ImportResult",
    "InputFileError",
    "InputLimitError",
    "Manifest",
    "ManifestError",
    "MergeResult",
    "MetaclusterError",
    "NutsCodeError",
    "NutsUnavailableError",
    "__version__",
    "aggregate_regions",
    "apply_filters",
    "join_nuts",
    "links",
    "load_manifest",
    "load_nuts",
    "lookup",
    "merge",
    "read_layer",
    "read_links",
    "render",
    "settings",
    "tag_helix",
    "to_csv",
    "to_geojson",
    "to_kml",
]
