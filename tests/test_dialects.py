"""CSV files as spreadsheets write them (issue 16 item 1): each misread case is a real file
written here, read right or refused with the flag that fixes it — never silently wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_run import seqlab
from seqlab import DataError, load_csv
from seqlab.data.sources import load_long_csv

DAYS = [f"{d:02d}.01.2020" for d in range(1, 21)]
EURO = [f"{1000 + 37.25 * k:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        for k in range(20)]  # fmt: skip  # 1.000,00  1.037,25 ...


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_european_export_is_read_right(tmp_path: Path) -> None:
    """`;` separators, `,` decimals, `.` thousands, day-first dates: was read as garbage and
    the run still printed a verdict."""
    path = _write(
        tmp_path / "umsatz.csv",
        ["Datum;Umsatz"] + [f"{d};{v}" for d, v in zip(DAYS, EURO, strict=True)],
    )
    series = load_csv(path)
    np.testing.assert_allclose(series.values[:3, 0], [1000.0, 1037.25, 1074.5])
    assert series.timestamps is not None and str(series.timestamps[12])[:10] == "2020-01-13"
    assert series.freq == "D"
    assert "read as: separator ';', decimal ',', thousands '.', dates day first" in series.notes


def test_quoted_thousands_separators_do_not_drop_the_column(tmp_path: Path) -> None:
    rows = [f'2020-01-{d:02d},"{1000 + 250 * d:,.2f}",{d}' for d in range(1, 11)]
    path = _write(tmp_path / "us.csv", ["date,sales,visits", *rows])
    series = load_csv(path)
    assert series.columns == ("sales", "visits")
    np.testing.assert_allclose(series.values[:2, 0], [1250.0, 1500.0])


def test_day_first_slash_dates_are_not_unsorted(tmp_path: Path) -> None:
    rows = [f"{d:02d}/{m:02d}/2020,{m}" for m in range(1, 13) for d in (28,)]
    series = load_csv(_write(tmp_path / "uk.csv", ["date,value", *rows]))
    assert series.timestamps is not None and str(series.timestamps[1])[:10] == "2020-02-28"
    month_first = [f"{m:02d}/{d:02d}/2020,{m}" for m in range(1, 13) for d in (28,)]
    us = load_csv(_write(tmp_path / "us_dates.csv", ["date,value", *month_first]))
    assert us.timestamps is not None and str(us.timestamps[1])[:10] == "2020-02-28"


def test_tabs_and_long_format(tmp_path: Path) -> None:
    rows = [f"{s}\t2020-01-{d:02d}\t{d * (1 + i)}" for i, s in enumerate("ab") for d in range(1, 9)]
    found = load_long_csv(_write(tmp_path / "t.tsv", ["id\tdate\tvalue", *rows]), "id")
    assert list(found) == ["a", "b"] and found["b"].values[2, 0] == 6.0


def test_an_undecidable_file_is_refused_with_the_flag_that_decides(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "amb.csv", ["date;value"] + [f"2020-01-{d:02d};1,{d:03d}" for d in range(1, 9)]
    )
    with pytest.raises(
        DataError, match=r"could use ',' as decimal mark or as thousands.*`decimal`"
    ):
        load_csv(path)
    assert load_csv(path, dialect={"decimal": ","}).values[0, 0] == pytest.approx(1.001)
    assert load_csv(path, dialect={"decimal": ".", "thousands": ","}).values[0, 0] == 1001.0
    done = seqlab("inspect", "--data", str(path))
    assert done.returncode == 2 and "pass --decimal ," in done.stderr
    done = seqlab("inspect", "--data", str(path), "--decimal", ",")
    assert done.returncode == 0 and "read as: separator ';', decimal ','" in done.stdout


def test_inspect_reports_the_dialect_it_found(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "umsatz.csv",
        ["Datum;Umsatz"] + [f"{d};{v}" for d, v in zip(DAYS, EURO, strict=True)],
    )
    done = seqlab("inspect", "--data", str(path))
    assert done.returncode == 0, done.stderr
    assert "separator ';', decimal ',', thousands '.', dates day first" in done.stdout
    assert "mean 1353.88" in done.stdout
    done = seqlab("inspect", "--data", str(path), "--no-dayfirst", "--date-format", "%d.%m.%Y")
    assert done.returncode == 0 and "dates %d.%m.%Y" in done.stdout


def test_offsets_across_a_daylight_saving_change_in_a_named_zone(tmp_path: Path) -> None:
    """Midnight local time across the March change: UTC makes the steps 23 h apart; the
    user's zone makes them days."""
    days = [f"2020-03-{d:02d}T00:00:00{'+01:00' if d < 30 else '+02:00'}" for d in range(20, 31)]
    path = _write(tmp_path / "dst.csv", ["time,load", *(f"{t},{k}" for k, t in enumerate(days))])
    local = load_csv(path, dialect={"tz": "Europe/Berlin"})
    assert local.freq == "D" and str(local.timestamps[-1])[:19] == "2020-03-30T00:00:00"  # type: ignore[index]
    assert "times in Europe/Berlin" in local.notes[-1]
    utc = load_csv(path)
    assert str(utc.timestamps[-1])[:19] == "2020-03-29T22:00:00"  # type: ignore[index]
    done = seqlab("inspect", "--data", str(path), "--tz", "Mars/Olympus")
    assert done.returncode == 2 and "unknown time zone 'Mars/Olympus'" in done.stderr


def test_forecast_plots_draw_every_series_of_a_multi_series_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = seqlab(
        "forecast", "--data", "stocks", "--horizon", "3", "--lookback", "12", "--hidden-size",
        "4", "--num-layers", "1", "--epochs", "1", "--model", "seq2seq", "--quiet", "--out",
        str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "forecast.png").read_bytes()[:4] == b"\x89PNG"  # was missing for several series


def test_a_number_written_another_way_names_the_flags(tmp_path: Path) -> None:
    """A comma file whose one column uses decimal commas in quotes: not a number, and which
    flags would read it."""
    rows = [f'2020-01-{d:02d},"{d},5"' for d in range(1, 9)]
    path = _write(tmp_path / "mixed.csv", ["date,value", *rows])
    with pytest.raises(DataError, match=r"column 'value' holds numbers like '1,5'.*`decimal` ,"):
        load_csv(path)
    stated = r"row 2: column 'value' holds '1,5', not a number; .*`decimal` ,"
    with pytest.raises(DataError, match=stated):
        load_csv(path, target=["value"])
    assert load_csv(path, dialect={"decimal": ","}).values[0, 0] == 1.5  # quoted: ',' is free


REFUSED: list[str] = []  # styles refused as ambiguous (the test counts none as wrong)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: round(v, 2)),
        min_size=4,
        max_size=30,
    ),
    style=st.sampled_from(["us", "us-thousands", "euro", "euro-thousands", "tab"]),
)
def test_numbers_written_in_any_dialect_read_back_as_written(
    tmp_path: Path, values: list[float], style: str
) -> None:
    """Written by a spreadsheet in one of the dialects, read back: the same numbers, or a
    refusal — never other numbers."""

    def cell(v: float) -> str:
        text = f"{v:,.2f}" if "thousands" in style else f"{v:.2f}"
        if style.startswith("euro"):
            text = text.replace(",", "X").replace(".", ",").replace("X", ".")
        return f'"{text}"' if "," in text and style.startswith("us") else text

    sep = {"us": ",", "us-thousands": ",", "euro": ";", "euro-thousands": ";", "tab": "\t"}[style]
    lines = [f"date{sep}value"] + [
        f"2021-01-{k + 1:02d}{sep}{cell(v)}" for k, v in enumerate(values)
    ]
    path = _write(tmp_path / f"{style}.csv", lines)
    refused = ""
    try:
        series = load_csv(path)
    except DataError as exc:  # an ambiguous sample may be refused, with the deciding flag
        refused = str(exc)
    if refused:
        assert "`decimal`" in refused
        REFUSED.append(style)
        return
    np.testing.assert_allclose(series.values[:, 0], np.float32(values), rtol=1e-6)


def test_sequences_for_seqlab_train_are_read_by_the_same_reader(tmp_path: Path) -> None:
    """`seqlab train`'s sequence files go through the time-series reader too (one CSV reader):
    a European export reads right, and a short row is named by row and column."""
    from seqlab.data.csvio import read_sequences_csv

    path = _write(tmp_path / "seq.csv", ["sequence;x;y", "a;1,5;1.002,5", "a;2,5;3", "b;0,5;1"])
    found = read_sequences_csv(path, ["x"], ["y"])
    assert found.ids == ["a", "b"] and found.lengths.tolist() == [2, 1]
    np.testing.assert_array_equal(found.x[..., 0], [[1.5, 2.5], [0.5, 0.0]])
    assert found.y is not None
    np.testing.assert_array_equal(found.y[..., 0], [[1002.5, 3.0], [1.0, 0.0]])
    short = _write(tmp_path / "short.csv", ["sequence,x,y", "a,1,2", "a,2"])
    with pytest.raises(DataError, match=r"short.csv, row 3: column 'y' holds '', not a number"):
        read_sequences_csv(short, ["x"], ["y"])
