"""Names that used to end in a traceback (issue 12): an upload name over 255 bytes."""

from __future__ import annotations

from pathlib import Path

from metacluster.ui.data import safe_name


def test_an_upload_name_over_255_bytes_becomes_a_name_the_file_system_takes(
    tmp_path: Path,
) -> None:
    name = safe_name("é" * 300 + ".csv", set())
    assert name.endswith(".csv") and len(name.encode()) <= 255
    (tmp_path / name).write_text("name,latitude,longitude\nA,50.6,3.0\n")  # no OSError
