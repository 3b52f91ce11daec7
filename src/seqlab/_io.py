"""Atomic file and directory writes: a crash never leaves a half-written file."""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; runs are not guarded there
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "atomic_write_bytes",
    "atomic_write_dir",
    "crash_point",
    "dir_candidates",
    "recover_dir",
    "run_folder_lock",
]


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem allows it
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a file gets the user's umask
        _write_synced(Path(tmp), data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def crash_point(name: str) -> None:
    """Fault injection for tests: end the process at once (exit 86, no cleanup, like a kill)
    when ``SEQLAB_CRASH_AT`` names this point. ``NAME@N`` crashes at its N-th arrival."""
    if _CRASH_AT is None:
        return
    point, _, nth = _CRASH_AT.partition("@")
    if point != name:
        return
    _ARRIVALS[name] = _ARRIVALS.get(name, 0) + 1
    if _ARRIVALS[name] >= int(nth or 1):
        os._exit(86)


_ARRIVALS: dict[str, int] = {}
_CRASH_AT = os.environ.get("SEQLAB_CRASH_AT")  # read once: crash_point sits in hot loops


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where
    the system or file system cannot."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def atomic_write_dir(path: str | Path, files: Mapping[str, bytes]) -> None:
    """Write a directory of files so that a complete ``path`` exists at every instant.

    The files go into ``.NAME.*.tmp`` beside ``path`` and are fsynced; the folder is then
    renamed ``.NAME.*.new`` (complete from here on). Where the system can, the new folder and
    ``path`` are exchanged in one atomic step; elsewhere ``path`` is renamed ``.NAME.*.old``
    and the new one renamed into place. Only then is the old copy removed. A crash at any
    point leaves either ``path`` complete, or complete ``.new``/``.old`` siblings that
    :func:`dir_candidates` lists and :func:`recover_dir` puts back.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{path.name}:"
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; a folder gets the user's umask
        for name, data in files.items():
            _write_synced(tmp / name, data)
        _fsync_dir(tmp)
        crash_point(tag + "written")
        new = tmp.with_name(tmp.name[: -len(".tmp")] + ".new")
        os.rename(tmp, new)
        tmp = new
        _fsync_dir(path.parent)
        crash_point(tag + "complete")
        if not path.exists():
            os.rename(tmp, path)
        elif _exchange(tmp, path):  # tmp now holds the old copy
            _fsync_dir(path.parent)
            crash_point(tag + "replaced")
        else:
            old = tmp.with_name(tmp.name[: -len(".new")] + ".old")
            os.rename(path, old)
            crash_point(tag + "moved-old")
            os.rename(tmp, path)
            _fsync_dir(path.parent)
            crash_point(tag + "replaced")
            tmp = old
        shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        if tmp.exists() and tmp != path:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(path.parent)


SIBLING_KINDS = (".new", ".old", ".tmp")


def dir_candidates(path: str | Path) -> list[Path]:
    """``path`` (if present) and the siblings an interrupted :func:`atomic_write_dir` left
    (``.NAME.*.new``, ``.old``, ``.tmp``), in that order."""
    path = Path(path)
    found = [path] if path.is_dir() else []
    if path.parent.is_dir():
        for suffix in SIBLING_KINDS:
            found += sorted(path.parent.glob(f".{glob.escape(path.name)}.*{suffix}"))
    return [p for p in found if p.is_dir()]


def recover_dir(path: str | Path, newness: Callable[[Path], Any | None]) -> Path | None:
    """Make ``path`` the newest complete copy among :func:`dir_candidates` and remove the
    copies it supersedes.

    ``newness(candidate)`` returns a sortable key (larger is newer) for a complete,
    verified copy, or None for a corrupt one; ties go to ``path``, then ``.new``, then
    ``.old``. A ``.tmp`` folder is partial by construction (never renamed ``.new``). The other
    complete copies (older, or as new) and the ``.tmp`` folders are removed; an unverifiable
    ``path``, ``.new`` or ``.old`` is left alone.
    Returns ``path``, or None when no complete copy exists.
    """
    path = Path(path)
    candidates = dir_candidates(path)
    keys = [None if c.name.endswith(".tmp") else newness(c) for c in candidates]
    valid = [
        (k, -i, c) for i, (c, k) in enumerate(zip(candidates, keys, strict=True)) if k is not None
    ]
    if not valid:
        for c in candidates:
            if c.name.endswith(".tmp"):
                shutil.rmtree(c, ignore_errors=True)
        return None
    best = max(valid, key=lambda t: (t[0], t[1]))[2]
    superseded = [  # every other complete copy is older (or as new); .tmp ones are partial
        c
        for c, k in zip(candidates, keys, strict=True)
        if c != best and (k is not None or c.name.endswith(".tmp"))
    ]
    if best != path:
        if path.exists():  # older or unverifiable: moved aside before the newest moves in
            aside = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
            os.rename(path, aside)
            superseded = [aside if c == path else c for c in superseded]
        os.rename(best, path)
        _fsync_dir(path.parent)
    for c in superseded:
        shutil.rmtree(c, ignore_errors=True)
    return path


LOCK_FILE = ".seqlab.lock"


class RunFolderBusy(OSError):
    """Another process is writing the same run folder."""


@contextlib.contextmanager
def run_folder_lock(folder: str | Path) -> Iterator[Path]:
    """Hold an exclusive lock on a run folder while a run writes it.

    Creates ``folder`` (so an unwritable ``--out`` fails now, not after training) and locks
    ``folder/.seqlab.lock`` (``flock``: released by the system however the process ends, so
    a crashed run leaves no stale lock). A second writer fails at once with
    :class:`RunFolderBusy` naming the holder's pid.
    """
    folder = Path(folder)
    if os.environ.get("RANK", "0") != "0":  # under torchrun rank 0 holds the lock and writes
        yield folder
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OSError(f"cannot write the run folder {folder}: {exc.strerror or exc}") from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                raise RunFolderBusy(
                    f"{folder} is being written by another seqlab run (pid {holder}); wait for "
                    "it to finish or choose another output folder"
                ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield folder
    finally:
        os.close(fd)  # releases the lock
