"""Atomic writes create files and folders with the process umask (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from seqlab._io import atomic_write_bytes, atomic_write_dir


@pytest.mark.parametrize(
    ("umask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)]
)
def test_written_files_follow_the_umask(
    tmp_path: Path, umask: int, file_mode: int, dir_mode: int
) -> None:
    old = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "a.json", b"{}")
        atomic_write_dir(tmp_path / "ckpt", {"x.bin": b"1", "y.json": b"2"})
        atomic_write_dir(tmp_path / "ckpt", {"x.bin": b"3"})  # replacing keeps the rule
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == file_mode
    assert stat.S_IMODE((tmp_path / "ckpt").stat().st_mode) == dir_mode
    assert stat.S_IMODE((tmp_path / "ckpt" / "x.bin").stat().st_mode) == file_mode
    assert (tmp_path / "ckpt" / "x.bin").read_bytes() == b"3"
    assert not (tmp_path / "ckpt" / "y.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "ckpt"]  # no leftovers
