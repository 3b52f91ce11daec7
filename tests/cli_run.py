"""Run the ``seqlab`` command: in this process (``seqlab``, as fast as a function call: the
same parser, the same error handling, stdout and stderr captured), or in a new process
(``seqlab_process``, as a user would, for the few tests that need a real process: entry
point, pipes, signals, exit codes of an interpreter)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

from seqlab.cli import main

# A model small enough for CLI tests of `seqlab forecast` to take seconds.
TINY_FORECAST = ("--hidden-size", "8", "--num-layers", "1", "--epochs", "3", "--quiet")


def seqlab(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``seqlab ARGS`` in this process; what it printed and its exit status."""
    if stdin is not None:
        return seqlab_process(*args, cwd=cwd, stdin=stdin)
    out, err = io.StringIO(), io.StringIO()
    here = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["seqlab", *args], code, out.getvalue(), err.getvalue())


def seqlab_process(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m seqlab ARGS`` in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "seqlab", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
