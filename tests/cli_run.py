"""Run the real ``seqlab`` command in a new process, as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# A model small enough for CLI tests of `seqlab forecast` to take seconds.
TINY_FORECAST = ("--hidden-size", "8", "--num-layers", "1", "--epochs", "3", "--quiet")


def seqlab(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seqlab", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
