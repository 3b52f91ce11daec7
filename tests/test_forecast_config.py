"""One configuration for TOML, the command line and Python (issue 25 item 5): every
ForecastConfig field has a section, a help text and a flag whose default is the field's own;
`seqlab forecast --print-config` writes the complete settings, and `--config` with that file
reproduces the run; flags given override the file; a wrong key names the closest."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from cli_run import seqlab
from seqlab.cli import build_parser
from seqlab.forecasting import ForecastConfig
from seqlab.forecasting.options import check_fields_are_described, read_toml

RUN = ("--data", "airline", "--horizon", "6", "--lookback", "12", "--hidden-size", "4",
       "--num-layers", "1", "--epochs", "2", "--classical", "--quiet")  # fmt: skip


def test_every_field_has_a_section_help_and_a_flag() -> None:
    assert check_fields_are_described() == []
    forecast = build_parser()._subparsers._group_actions[0].choices["forecast"]  # type: ignore[union-attr]
    flags = {o for a in forecast._actions for o in a.option_strings}
    for f in fields(ForecastConfig):
        if f.name not in ("lookbacks", "progress"):  # --lookback L ...; --quiet
            assert "--" + f.name.replace("_", "-") in flags, f.name
    assert {"--dropout", "--weight-decay", "--val-fraction", "--period", "--nonnegative",
            "--observed-floor", "--lookback-trial-epochs", "--test-fraction"} <= flags  # fmt: skip


def test_print_config_then_config_reproduces_the_run(tmp_path: Path) -> None:
    printed = seqlab("forecast", *RUN, "--dropout", "0.0", "--patience", "none", "--print-config")
    assert printed.returncode == 0, printed.stderr
    (tmp_path / "run.toml").write_text(printed.stdout)
    values, data = read_toml(tmp_path / "run.toml")
    assert data == {"data": "airline"} and values["patience"] is None
    assert ForecastConfig(**values) == ForecastConfig(
        horizon=6, lookback=12, hidden_size=4, num_layers=1, epochs=2, classical=(),
        dropout=0.0, patience=None, progress=False,
    )  # fmt: skip
    first = seqlab("forecast", *RUN, "--dropout", "0.0", "--patience", "none",
                   "--out", str(tmp_path / "a"))  # fmt: skip
    again = seqlab("forecast", "--config", str(tmp_path / "run.toml"), "--out", str(tmp_path / "b"))
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    a, b = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in "ab")
    a.pop("run"), b.pop("run")  # the command line and the folder differ, nothing else
    assert a == b
    assert (tmp_path / "a" / "forecast.csv").read_text() == (
        tmp_path / "b" / "forecast.csv"
    ).read_text()


def test_flags_given_override_the_file_and_wrong_keys_name_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('[data]\ndata = "airline"\n[network]\nhidden_size = 4\n[split]\nhorizon = 3\n')
    done = seqlab("forecast", "--config", str(path), "--horizon", "5", "--print-config")
    values, data = read_toml(_write(tmp_path / "out.toml", done.stdout))
    assert (values["horizon"], values["hidden_size"], data["data"]) == (5, 4, "airline")
    for text, message in [
        ("[network]\nhiden_size = 4\n", "unknown key `hiden_size` in [network]"),
        ("[network]\nepochs = 4\n", "it belongs in [training]"),
        ("[netwrok]\n", "did you mean [network]?"),
    ]:
        path.write_text(text)
        done = seqlab("forecast", "--config", str(path))
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    done = seqlab("forecast", "--deseasonalize", "maybe", "--print-config")
    assert done.returncode == 2 and "expected auto, on or off" in done.stderr


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(("value", "parsed"), [("on", True), ("no", False), ("auto", "auto")])
def test_tri_state_flags_take_on_off_yes_no_auto(
    value: str, parsed: object, tmp_path: Path
) -> None:
    done = seqlab("forecast", "--observed-floor", value, "--print-config")
    values, _ = read_toml(_write(tmp_path / "c.toml", done.stdout))
    assert values["observed_floor"] == parsed
