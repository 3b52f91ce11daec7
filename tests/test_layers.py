"""The package's shape: layers that only point down, no import circle, a CLI that starts
without PyTorch."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_imports", ROOT / "tools" / "check_imports.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_source_tree_has_no_import_circle_and_no_upward_import(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _checker().main() == 0, capsys.readouterr().out


def test_the_checker_finds_circles_and_upward_imports() -> None:
    check = _checker()
    assert check.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert check.cycles({"a": {"b"}, "b": set()}) == []
    tree = ast.parse(
        "from seqlab.training import Trainer\n"
        "if TYPE_CHECKING:\n    from seqlab.cli import main\n"
        "def f():\n    from seqlab.forecasting import Forecaster\n"
    )
    found = list(check.imports(tree, "seqlab.models.x", False))
    assert ("seqlab.training", True, 1) in found
    assert ("seqlab.forecasting", False, 5) in found  # deferred, but still counted for layers
    assert not any(name.startswith("seqlab.cli") for name, _, _ in found)
    assert check.layer("seqlab.models.x") < check.layer("seqlab.training")


def test_help_and_datasets_do_not_import_torch() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from seqlab.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['datasets']) == 0\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
        "import seqlab\n"
        "assert seqlab.__version__\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'pandas')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_scenario_module_is_registered_under_its_own_name() -> None:
    from seqlab.scenarios import SCENARIOS, scenario

    for name, module in SCENARIOS.items():
        assert name == importlib.import_module(module).NAME
        assert callable(scenario(name))


def test_the_checker_refuses_a_layer_entry_that_names_no_module(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check = _checker()
    check.LAYERS["seqlab._gone"] = 4  # as `_state_table` stood there after its module went
    assert check.main() == 1
    assert "LAYERS names seqlab._gone, which is no module" in capsys.readouterr().out
