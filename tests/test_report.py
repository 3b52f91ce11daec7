"""report.html: self-contained, rebuilt from the run folder alone, and read in a real browser
(headless Chromium) whose DOM shows the numbers of metrics.json (issue 15 items 2, 3)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from cli_run import seqlab

ROOT = Path(__file__).resolve().parents[1]


def _csv(path: Path, n: int = 160, series: int = 1) -> Path:
    rng = np.random.default_rng(0)
    months = [f"{2000 + m // 12}-{m % 12 + 1:02d}-01" for m in range(n)]
    lines = ["id,month,sales"] if series > 1 else ["month,sales"]
    for s in range(series):
        values = 50 + 10 * s + 8 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 1, n)
        for month, v in zip(months, values, strict=True):
            lines.append(f"s{s},{month},{v:.3f}" if series > 1 else f"{month},{v:.3f}")
    path.write_text("\n".join(lines) + "\n")
    return path


TINY = ("--hidden-size", "4", "--num-layers", "1", "--epochs", "2", "--model", "seq2seq", "--quiet")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    out = root / "run"
    done = seqlab(
        "forecast", "--data", str(_csv(root / "sales.csv")), "--horizon", "6", "--lookback",
        "24", "--intervals", "0.8", *TINY, "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def test_the_report_is_self_contained_and_rebuilt_identically(run: Path) -> None:
    page = (run / "report.html").read_text()
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched
    assert len(page.encode()) < 1_000_000
    assert page.count("<svg") == 4  # forecast, error by step, loss, worst windows
    assert 'role="img" aria-label=' in page  # every figure has a text alternative
    assert (run / "gates.png").is_file()  # the encoder's GRU gates, drawn by the run
    assert page.count('<img src="data:image/png;base64,') == 1
    assert re.search(r'<img [^>]*alt="Heat maps of the recurrent network', page)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["run"]["command"].startswith("seqlab forecast --data")
    before = (run / "report.html").read_bytes()
    (run / "report.html").unlink()
    done = seqlab("report", str(run))
    assert done.returncode == 0, done.stderr
    assert (run / "report.html").read_bytes() == before  # from the saved files, deterministic


def test_multi_series_and_test_free_runs_get_a_report(tmp_path: Path) -> None:
    out = tmp_path / "many"
    data = _csv(tmp_path / "many.csv", n=120, series=8)
    done = seqlab(
        "forecast", "--data", str(data), "--id-col", "id", "--horizon", "6", "--lookback", "24",
        *TINY, "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = (out / "report.html").read_text()
    assert page.count("series &#x27;s") >= 6 and "2 more series in forecast.csv" in page
    free = tmp_path / "free"
    done = seqlab(
        "forecast", "--data", str(data), "--id-col", "id", "--horizon", "6", "--lookback", "24",
        "--test-rows", "0", *TINY, "--out", str(free),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "No test rows" in (free / "report.html").read_text()
    done = seqlab("report", str(tmp_path))
    assert done.returncode == 2 and "not a complete forecast run folder" in done.stderr


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="no Chromium here (apt-get install chromium)")
def test_the_report_in_a_real_browser(run: Path) -> None:
    sync = pytest.importorskip("playwright.sync_api")
    metrics = json.loads((run / "metrics.json").read_text())
    problems: list[str] = []
    with sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("console", lambda m: problems.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((run / "report.html").as_uri())
        for method, values in metrics["metrics"].items():
            for metric in ("rmse", "mae", "mase", "smape"):
                cell = page.locator(f'td[data-method="{method}"][data-metric="{metric}"]')
                assert cell.inner_text() == f"{values[metric]:.4g}", (method, metric)
        assert page.inner_text("#chosen") == metrics["selection"]["chosen"]
        assert page.inner_text("#verdict") == metrics["verdict"]
        coverage = metrics["intervals"]["test"]["80"]["coverage"]
        assert page.inner_text('td[data-interval="80"]') == f"{coverage:.1%}"
        assert page.locator("figure svg").count() == 4
        gates = page.locator("figure img")
        assert gates.count() == 1 and gates.evaluate("i => i.complete && i.naturalWidth > 0")
        widths = page.evaluate(
            "[...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width)"
        )
        assert all(0 < w <= 1280 for w in widths)  # fits a laptop screen
        shot = ROOT / "runs" / "test-report" / "report-screenshot.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)  # for a person to look at
        browser.close()
    assert problems == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
