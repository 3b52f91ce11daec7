"""``report.html``: one self-contained page per forecast run folder, built only from the files
the run saved (``metrics.json``, ``forecast.csv``, ``test_windows.csv``, ``model/``): what
was run, the metrics against every baseline with the verdict, what the selection chose, the
intervals, the forecast with its bands, error by horizon step, the training curves and the
worst test windows. Figures are inline SVG (text kept as text), nothing is loaded from the
network and there is no script. ``seqlab report RUN_DIR`` rebuilds it; it never re-trains.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from seqlab._io import atomic_write_bytes
from seqlab.errors import DataError
from seqlab.forecasting.config import flat_settings
from seqlab.forecasting.results import skill_against
from seqlab.plots import date_axis

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["REPORT_FILE", "build_report", "write_report"]

REPORT_FILE = "report.html"
MAX_SERIES = 6  # forecast panels drawn for a multi-series run
WORST = 3  # worst test windows drawn

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;color:#1a1a1a;background:#fff;max-width:1100px;
margin:1.5em auto;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .7em;text-align:right;
border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}
tr.chosen{font-weight:600;background:#eef4ff}.verdict{font-size:1.05em;padding:.6em;
background:#f6f6f6;border-left:4px solid #333}figure{margin:1em 0}figcaption{color:#333;
font-size:.9em}svg{max-width:100%;height:auto}dl{display:grid;grid-template-columns:max-content
auto;gap:.2em 1em}dt{font-weight:600}
"""


def _svg(fig: Figure) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "seqlab"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(fig: Figure, caption: str) -> str:
    label = html.escape(caption)
    return (
        f'<figure><div role="img" aria-label="{label}">{_svg(fig)}</div>'
        f"<figcaption>{label}</figcaption></figure>"
    )


GATES_PNG = "gates.png"
GATES_ALT = (
    "Heat maps of the recurrent network's gates over the last input window of the first "
    "series: one row per hidden unit, one column per recurrent step; sigmoid gates from 0 "
    "(closed) to 1 (open), the tanh candidate from -1 to 1. Above them, what each step read."
)


def _png(path: Path, alt: str) -> str:
    """A PNG file inline (base64), with its text alternative as alt and caption."""
    import base64

    data = base64.b64encode(path.read_bytes()).decode("ascii")
    label = html.escape(alt)
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{label}" style="max-width:100%">'
        f"<figcaption>{label}</figcaption></figure>"
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _times(values: Sequence[str]) -> Any:
    """Timestamps as datetime64 when every value parses, else step numbers."""
    try:
        return np.array(values, dtype="datetime64[s]")
    except ValueError:
        return np.array([float(v) for v in values])


def _forecast_figures(
    forecast: list[dict[str, str]], windows: list[dict[str, str]], chosen: str
) -> list[str]:
    """Per series (the first few): the test part's truth, the forecast past the end and its
    interval bands, one panel per column."""
    from matplotlib.figure import Figure

    by_series: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in forecast:
        by_series[row["series"]].append(row)
    truth: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for row in windows:
        if row["step"] == "1":
            truth[(row["series"], row["column"])].append((row["time"], float(row["truth"])))
    out = []
    for name in list(by_series)[:MAX_SERIES]:
        rows = by_series[name]
        skip = {"series", "time"}
        columns = [c for c in rows[0] if c not in skip and "_lo" not in c and "_hi" not in c]
        columns = [c for c in columns if "_q" not in c]
        fig = Figure(figsize=(9, 2.3 * len(columns) + 0.5), layout="constrained")
        axes = fig.subplots(len(columns), 1, squeeze=False, sharex=True)[:, 0]
        xs = _times([r["time"] for r in rows])
        for ax, col in zip(axes, columns, strict=True):
            seen = truth.get((name, col), [])
            if seen:
                tx = _times([t for t, _ in seen])
                ax.plot(tx, [v for _, v in seen], color="0.2", lw=1.1, label="test part (truth)")
            ax.plot(xs, [float(r[col]) for r in rows], color="#c0392b", lw=1.8, marker=".",
                    label=f"forecast ({chosen})")  # fmt: skip
            levels = sorted({c.split("_lo")[1] for c in rows[0] if c.startswith(f"{col}_lo")},
                            key=float, reverse=True)  # fmt: skip
            for k, level in enumerate(levels):
                lo = [float(r[f"{col}_lo{level}"]) for r in rows]
                hi = [float(r[f"{col}_hi{level}"]) for r in rows]
                ax.fill_between(xs, lo, hi, color="#c0392b", alpha=0.15 + 0.15 * k,
                                label=f"{level}% interval")  # fmt: skip
            ax.set_ylabel(col)
            ax.grid(True, alpha=0.3)
            date_axis(ax, xs)
        axes[0].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        axes[-1].set_xlabel("time")
        title = f"series {name!r}: " if name else ""
        out.append(_figure(fig, f"{title}forecast past the end of the data, with the test part"))
    if len(by_series) > MAX_SERIES:
        out.append(f"<p>{len(by_series) - MAX_SERIES} more series in forecast.csv.</p>")
    return out


def _worst_windows(windows: list[dict[str, str]], chosen: str) -> list[str]:
    """The test windows where the chosen method's mean absolute error was largest."""
    from matplotlib.figure import Figure

    if not windows or chosen not in windows[0]:
        return []
    grouped: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in windows:
        grouped[(row["series"], row["origin"], row["column"])].append(row)
    error = {
        key: float(np.mean([abs(float(r[chosen]) - float(r["truth"])) for r in rows]))
        for key, rows in grouped.items()
    }
    worst = sorted(error, key=lambda k: -error[k])[:WORST]
    fig = Figure(figsize=(9, 2.4 * len(worst)), layout="constrained")
    axes = fig.subplots(len(worst), 1, squeeze=False)[:, 0]
    for ax, key in zip(axes, worst, strict=True):
        rows = grouped[key]
        xs = _times([r["time"] for r in rows])
        ax.plot(xs, [float(r["truth"]) for r in rows], color="0.2", marker=".", label="truth")
        ax.plot(xs, [float(r[chosen]) for r in rows], color="#c0392b", marker=".", label=chosen)
        series, origin, column = key
        where = f"series {series!r}, " if series else ""
        ax.set_title(f"{where}{column}, origin row {origin}: MAE {error[key]:.4g}",
                     fontsize="medium")  # fmt: skip
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        date_axis(ax, xs)
    return [_figure(fig, f"the {len(worst)} test windows with the largest error of {chosen}")]


def _metrics_table(metrics: Mapping[str, Any], chosen: str) -> str:
    table = metrics.get("metrics", {})
    if not table:
        return "<p>No test rows (test_rows=0): nothing to score.</p>"
    order = sorted(table, key=lambda m: table[m]["rmse"])
    best = metrics.get("best_baseline")
    rows = ["<tr><th>method</th><th>RMSE</th><th>MAE</th><th>MASE</th><th>sMAPE %</th>"
            "<th>skill vs best baseline</th></tr>"]  # fmt: skip
    for m in order:
        v = table[m]
        skill = skill_against(v["rmse"], table[best]["rmse"]) if best in table else float("nan")
        name = f"{m} (ours)" if m == "model" else m
        mark = ' class="chosen"' if m == chosen else ""
        label = html.escape(name + (" [chosen]" if m == chosen else ""))
        cells = "".join(
            f'<td data-method="{html.escape(m)}" data-metric="{k}">{v[k]:.4g}</td>'
            for k in ("rmse", "mae", "mase", "smape")
        )
        rows.append(f"<tr{mark}><td>{label}</td>{cells}<td>{skill:+.1%}</td></tr>")
    return f'<table id="metrics">{"".join(rows)}</table>'


def _selection(selection: Mapping[str, Any]) -> str:
    scores = selection.get("scores") or {}
    name = html.escape(str(selection.get("chosen")))
    if not scores:
        return f'<p>Forecasts with <b id="chosen">{name}</b> (no choice was made).</p>'
    rows = "".join(
        f"<tr><td>{html.escape(m)}</td><td>{s:.4g}</td></tr>"
        for m, s in sorted(scores.items(), key=lambda kv: kv[1])
    )
    networks = selection.get("networks") or {}
    tried = (
        "<p>Networks tried (validation MASE): "
        + ", ".join(f"{html.escape(k)} {v:.4g}" for k, v in networks.items())
        + "</p>"
        if networks
        else ""
    )
    return (
        f"<p>Chosen on the validation windows (never the test rows): "
        f'<b id="chosen">{name}</b>.</p>{tried}'
        f"<table><tr><th>candidate</th><th>validation MASE</th></tr>{rows}</table>"
    )


def _intervals(found: Mapping[str, Any]) -> str:
    test = found.get("test") or {}
    if not test:
        return ""
    calibration = found.get("calibration") or {}
    rows = "".join(
        f'<tr><td>{k}%</td><td data-interval="{k}">{v["coverage"]:.1%}</td>'
        f"<td>{min(v['coverage_by_step']):.0%} – {max(v['coverage_by_step']):.0%}</td>"
        f"<td>{v['width']:.3g}</td><td>{v['msis']:.3g}</td></tr>"
        for k, v in test.items()
    )
    return (
        "<h2>Prediction intervals</h2>"
        f"<p>{html.escape(str(calibration.get('method', '')))} on "
        f"{calibration.get('windows', '?')} validation windows; scored on the test windows "
        "(width and MSIS in MASE units).</p><table><tr><th>level</th><th>coverage</th>"
        f"<th>coverage by step</th><th>mean width</th><th>MSIS</th></tr>{rows}</table>"
    )


def _covariates(config: dict[str, Any], calendar: list[str]) -> str:
    """What the network read besides the targets, kind by kind ("none" when nothing)."""
    kinds = (
        ("past", config.get("covariates")),
        ("future-known", config.get("future_covariates")),
        ("static", config.get("static_covariates")),
        ("calendar", calendar),
    )
    named = [f"{kind}: {', '.join(map(str, cols))}" for kind, cols in kinds if cols]
    return "; ".join(named) or "none"


def build_report(run_dir: str | Path) -> str:
    """The page, from the files in ``run_dir``."""
    from seqlab.plots import plot_error_by_step, plot_loss

    run = Path(run_dir)
    try:
        metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
        forecast = _read_csv(run / "forecast.csv")
        meta = json.loads((run / "model" / "checkpoint.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{run} is not a complete forecast run folder ({exc.filename})") from None
    windows = _read_csv(run / "test_windows.csv") if (run / "test_windows.csv").exists() else []
    selection = metrics.get("selection") or {}
    chosen = str(selection.get("chosen", "model"))
    facts = _facts(metrics, meta, chosen)
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>seqlab forecast report: {html.escape(str(facts['data']))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Forecast report: {html.escape(str(facts['data']))}</h1><dl>",
        *(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts.items()),
        "</dl>",
    ]
    if metrics.get("verdict"):
        parts.append(f'<p class="verdict" id="verdict">{html.escape(metrics["verdict"])}</p>')
    parts += ["<h2>Test metrics, every method on the same windows</h2>"]
    parts.append(_metrics_table(metrics, chosen))
    parts += ["<h2>What forecasts, and why</h2>", _selection(selection)]
    parts.append(_intervals(metrics.get("intervals") or {}))
    parts.append("<h2>Forecast</h2>")
    parts += _forecast_figures(forecast, windows, chosen)
    if metrics.get("rmse_by_step"):
        parts += ["<h2>Error by horizon step</h2>"]
        parts.append(_figure(plot_error_by_step(metrics["rmse_by_step"]),
                             "test RMSE against horizon step, every method"))  # fmt: skip
    epochs = (meta.get("history") or {}).get("epochs") or []
    if epochs:
        parts += ["<h2>Training</h2>"]
        parts.append(_figure(plot_loss(epochs), "training and validation loss per epoch"))
    gates_png = run / GATES_PNG
    if gates_png.is_file():  # written by the run from its network and data (no re-training)
        parts += ["<h2>Inside the network: gate activity</h2>", _png(gates_png, GATES_ALT)]
    worst = _worst_windows(windows, chosen)
    if worst:
        parts += ["<h2>Worst test windows</h2>", *worst]
    parts.append("</body></html>")
    return "\n".join(parts)


def _facts(metrics: dict[str, Any], meta: dict[str, Any], chosen: str) -> dict[str, Any]:
    """The run at a glance: data, command, network, method, covariates, versions."""
    data = meta.get("data") or {}
    config = flat_settings(data.get("forecast_config") or {})
    network = data.get("network") or config  # earlier checkpoints: the rewritten config
    info = metrics.get("run") or {}
    return {
        "data": info.get("data", "(not recorded)"),
        "command": info.get("command", "(not recorded)"),
        "network": f"{meta['model']['kind']} ({config.get('cell', '')}, hidden "
        f"{config.get('hidden_size', '?')}), lookback {network.get('lookback')}, horizon "
        f"{config.get('horizon')}, seed {config.get('seed')}",
        "forecasts with": chosen,
        "covariates": _covariates(config, data.get("calendar") or []),
        "test windows": metrics.get("test_windows", 0),
        "seqlab / torch": f"{meta.get('seqlab_version')} / {meta.get('torch_version')}",
        "trained": meta.get("created", ""),
    }


def write_report(run_dir: str | Path) -> Path:
    """Write ``run_dir/report.html`` atomically and return its path."""
    path = Path(run_dir) / REPORT_FILE
    atomic_write_bytes(path, build_report(run_dir).encode("utf-8"))
    return path
