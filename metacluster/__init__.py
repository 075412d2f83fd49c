"""metacluster: map regional innovation ecosystems along the quadruple helix.

The pipeline, one module per stage: ``read`` → ``normalise`` → ``locate`` (NUTS join) →
``merge`` → ``filter`` → ``aggregate`` → ``export``. ``nuts`` serves NUTS geometries from
GISCO with a disk cache; ``settings`` holds the defaults every stage reads.
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
from metacluster.schema import HELICES, HELIX_LABELS, ImportResult

try:
    __version__ = version("metacluster")
except PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "HELICES",
    "HELIX_LABELS",
    "ImportResult",
    "InputFileError",
    "InputLimitError",
    "ManifestError",
    "MetaclusterError",
    "NutsCodeError",
    "NutsUnavailableError",
    "__version__",
    "settings",
]
