"""Layer data served as files (``metacluster.ui.static``): content-hash names, written
once, the newest files of each kind kept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from metacluster.ui import static


def test_a_text_is_served_once_under_its_content_hash(tmp_path: Path) -> None:
    name = static.serve(tmp_path, '[{"id": "a"}]', stem="actors")
    assert name is not None and name.startswith("actors-") and name.endswith(".json")
    path = tmp_path / name
    assert path.read_text(encoding="utf-8") == '[{"id": "a"}]'
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # readable by the web server
    assert static.serve(tmp_path, '[{"id": "a"}]', stem="actors") == name
    assert static.serve(tmp_path, '[{"id": "b"}]', stem="actors") != name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [name, static.serve(tmp_path, '[{"id": "b"}]', stem="actors")]
    )


def test_only_the_newest_files_of_a_kind_are_kept(tmp_path: Path) -> None:
    basemap = static.serve(tmp_path, "{}", stem="basemap")
    names = []
    for index in range(static.KEEP_PER_STEM + 5):
        name = static.serve(tmp_path, f"[{index}]", stem="actors")
        assert name is not None
        os.utime(tmp_path / name, (1_000_000 + index, 1_000_000 + index))  # distinct ages
        names.append(name)
    static.serve(tmp_path, "[first again]", stem="actors")  # a write prunes
    kept = {p.name for p in tmp_path.glob("actors-*.json")}
    assert len(kept) == static.KEEP_PER_STEM
    assert set(names[-(static.KEEP_PER_STEM - 1) :]) <= kept  # the newest stay
    assert not set(names[:6]) & kept  # the oldest went
    assert (tmp_path / str(basemap)).exists()  # other kinds are left alone


def test_an_unwritable_folder_keeps_the_data_inline(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    assert static.serve(blocked / "static", "[1]", stem="actors") is None
