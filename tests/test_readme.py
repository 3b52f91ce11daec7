"""Every snippet of README.md and of the documentation pages (docs/, in mkdocs.yml's order)
works as pasted into an empty folder (issue 16 item 6, issue 25 item 8): the Python blocks
run, in order, in one empty folder (a later block may read what an earlier one wrote); every
`seqlab` command of the shell blocks parses, and the data it names ships with the package or
exists. Commands are not run here (each is tested on its own elsewhere). The generated CLI
reference matches the parser, and every page is in the nav."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from seqlab.cli import build_parser
from seqlab.data.builtin import DATASETS

ROOT = Path(__file__).resolve().parents[1]
NAV = re.findall(r"^  - [^:]+: (\S+\.md)$", (ROOT / "mkdocs.yml").read_text(), re.M)
PAGES = [ROOT / "README.md", *(ROOT / "docs" / page for page in NAV)]
BLOCKS = [
    block
    for page in PAGES
    for block in re.findall(r"```(\w*)\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
]


def test_every_documentation_page_is_in_the_nav_and_the_readme_is_a_quick_start() -> None:
    assert sorted(NAV) == sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="argparse's help layout varies")
def test_the_cli_reference_is_generated_from_the_parser() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "cli_reference.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def _commands(body: str) -> list[list[str]]:
    """`seqlab ...` lines, comments cut, continuation lines joined; synopsis lines (with
    [optional] brackets) are usage, not commands."""
    out = []
    for line in body.splitlines():
        line = line.split("  #")[0].split(" # ")[0].strip()
        if line.startswith("seqlab ") and "[" not in line and "|" not in line:
            out.append(shlex.split(line)[1:])
    return out


def test_there_are_snippets_of_each_kind() -> None:
    kinds = [lang for lang, _ in BLOCKS]
    assert kinds.count("python") >= 4 and kinds.count("sh") >= 2


def test_every_seqlab_command_in_the_readme_parses_and_names_data_that_exists() -> None:
    parser = build_parser()
    commands = [c for lang, body in BLOCKS if lang == "sh" for c in _commands(body)]
    assert len(commands) >= 8
    for argv in commands:
        args = parser.parse_args(argv)  # SystemExit (a test failure) on an unknown flag
        data = getattr(args, "data", None)
        if data is not None and args.command == "forecast":
            assert data in DATASETS or Path(data).exists(), argv


def test_the_python_snippets_run_as_pasted(tmp_path: Path) -> None:
    """One process, one empty folder, the blocks in README order."""
    blocks = [body for lang, body in BLOCKS if lang == "python"]
    script = "\n\n".join(
        f"print('--- block {k}', flush=True)\n{body}" for k, body in enumerate(blocks)
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env,
        timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert f"--- block {len(blocks) - 1}" in done.stdout
    assert (tmp_path / "runs" / "counter" / "checkpoint.json").is_file()


@pytest.mark.parametrize("toml", [body for lang, body in BLOCKS if lang == "toml"])
def test_the_toml_example_is_a_valid_config(toml: str, tmp_path: Path) -> None:
    from seqlab.run_config import load_run_config

    (tmp_path / "run.toml").write_text(toml)
    config = load_run_config(tmp_path / "run.toml")
    assert config.model.hidden_size > 0


def test_the_command_synopsis_names_every_command_and_scenario() -> None:
    from seqlab.scenarios import SCENARIOS

    synopsis = next(body for lang, body in BLOCKS if lang == "sh" and "seqlab datasets\n" in body)
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for command in sub.choices:  # type: ignore[union-attr]
        assert f"seqlab {command} " in synopsis or f"seqlab {command}\n" in synopsis, command
    for name in SCENARIOS:
        assert name in synopsis, name
