"""The reference scenarios, run end to end with their acceptance numbers asserted."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from seqlab.scenarios import ScenarioResult, bit_counter, format_results, series_predictor, two_bit


def _assert_passed(result: ScenarioResult) -> None:
    assert result.passed, format_results([result])  # no check failed


def test_series_predictor_reloaded_in_a_new_process(tmp_path: Path) -> None:
    result = series_predictor.run(tmp_path)
    _assert_passed(result)
    errors = [v for k, v in result.numbers.items() if k.startswith("reloaded model")]
    assert len(errors) == 2
    assert max(errors) <= 0.15
    assert (result.artifacts["checkpoint"] / "model.safetensors").is_file()


def test_two_bit_classifier(tmp_path: Path) -> None:
    result = two_bit.run(tmp_path)
    _assert_passed(result)
    for k in range(4):
        assert result.numbers[f"held-out accuracy, class {k}"] >= 0.995
    assert result.numbers["held-out accuracy, first step of each chunk"] >= 0.995
    for pos, cls in two_bit.PATTERN_CHECKS.items():
        assert result.numbers[f"pattern position {pos}: P(class {cls})"] >= 0.95


@pytest.fixture(scope="module")
def bit_counter_result(tmp_path_factory: pytest.TempPathFactory) -> ScenarioResult:
    return bit_counter.run(tmp_path_factory.mktemp("bits"))


def test_bit_counter_accuracy_and_continuation(bit_counter_result: ScenarioResult) -> None:
    result = bit_counter_result
    _assert_passed(result)
    numbers = result.numbers
    assert numbers["many-to-one, lengths 1..40 (ours): held-out MSE at length 20"] <= 0.01
    assert numbers["per-step, lengths 1..40 (ours): held-out MSE at length 20"] <= 0.01
    assert numbers["continuation outputs, max abs error"] <= 0.1
    gaps = [v for k, v in numbers.items() if k.startswith("continued")]
    assert len(gaps) == 2
    assert max(gaps) <= 1e-5


def test_bit_counter_length_sweep_files(bit_counter_result: ScenarioResult) -> None:
    with open(bit_counter_result.artifacts["sweep_csv"], newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["length"]) for r in rows] == list(range(1, 61))
    ours = [float(r["per-step, lengths 1..40 (ours)"]) for r in rows]
    original = [float(r["per-step, length 20 (original setup)"]) for r in rows]
    assert max(ours[:40]) <= 0.05  # good over the training lengths
    assert ours[44] < original[44]  # generalizes further than training at 20 alone
    png = bit_counter_result.artifacts["sweep_png"].read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_example_script_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(__file__).parents[1] / "examples" / "two_bit_classifier.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Scenario 3" in done.stdout
    assert "1 of 1 scenarios passed" in done.stdout


def test_future_predictor_from_a_reloaded_checkpoint(tmp_path: Path) -> None:
    from seqlab.scenarios import future_predictor

    result = future_predictor.run(tmp_path)
    _assert_passed(result)
    assert result.numbers["held-out pairs: WAPE (sum|e| / sum|true|)"] <= 0.01
    assert result.numbers["held-out pairs: mean |e|/|true| (|true| >= 20)"] <= 0.01
    assert result.numbers["linear least-squares baseline: held-out WAPE"] < 1e-6
    cases = [k for k in result.numbers if k.endswith("worst |e| / max(|true|, 200)")]
    assert len(cases) == 3
    assert all(result.numbers[k] <= 0.01 for k in cases)
    assert (result.artifacts["checkpoint"] / "checkpoint.json").is_file()
