"""Bad input gets a clear error and nothing is filled silently: library and CLI."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from seqlab import DataError, SeqlabError
from seqlab.cli import main
from seqlab.data.builtin import dataset_path
from seqlab.data.sources import load_array, load_csv, load_frame
from seqlab.data.windows import chronological_split, make_windows

CASES = {
    "empty": ("", "is empty"),
    "header only": ("date,x\n", "has a header but no data rows"),
    "no numeric column": ("date,name\n2020-01-01,a\n2020-01-02,b\n", "no numeric column in"),
    "text in a numeric column": (
        "date,x\n2020-01-01,1\n2020-01-02,2\n2020-01-03,oops\n",
        "row 4: column 'x' holds 'oops', not a number",
    ),
    "NaN": (
        "date,x\n2020-01-01,1\n2020-01-02,nan\n2020-01-03,3\n2020-01-04,\n",
        "2 NaN or infinite value(s), first in column 'x' at row 3 (2020-01-02",
    ),
    "infinite": (
        "date,x\n2020-01-01,1\n2020-01-02,inf\n2020-01-03,3\n",
        "1 NaN or infinite value(s)",
    ),
    "duplicated timestamps": (
        "date,x\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n",
        "1 duplicated timestamp(s) in 'date', at row(s) 4",
    ),
    "unsorted timestamps": (
        "date,x\n2020-01-01,1\n2020-01-03,2\n2020-01-02,3\n",
        "timestamps in 'date' are not sorted; row 4",
    ),
    "unparsable timestamps": (
        "date,x\n2020-01-01,1\n2020-13-45,2\n2020-01-03,3\n",
        "row 3: time column 'date' holds '2020-13-45', not a date",
    ),
    "gaps": (
        "date,x\n2020-01-01,1\n2020-01-02,2\n2020-01-03,3\n2020-01-05,5\n2020-01-06,6\n",
        "1 missing timestamp(s) (gaps) in a series of frequency D, first at 2020-01-04",
    ),
    "a missing month": (  # months differ in length: the step is read off the calendar
        "month,x\n2020-01,1\n2020-02,2\n2020-03,3\n2020-05,5\n2020-06,6\n2020-07,7\n",
        "1 missing timestamp(s) (gaps) in a series of frequency MS, first at 2020-04-01",
    ),
    "missing business days": (
        "day,x\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n2024-01-04,4\n2024-01-05,5\n"
        "2024-01-08,6\n2024-01-10,8\n2024-01-11,9\n2024-01-12,10\n2024-01-16,11\n",
        "2 missing timestamp(s) (gaps) in a series of frequency B, first at 2024-01-09, 2024-01-15",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_library_error_names_the_problem(case: str, tmp_path: Path) -> None:
    text, message = CASES[case]
    path = tmp_path / "data.csv"
    path.write_text(text)
    with pytest.raises(DataError) as info:
        load_csv(path)
    assert message in str(info.value)


@pytest.mark.parametrize("case", list(CASES))
def test_cli_error_is_one_line_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, message = CASES[case]
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert main(["inspect", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_monthly_gap_filled_keeps_the_calendar_and_forecasts_carry_dates(
    tmp_path: Path,
) -> None:
    """Issue 17: a missing month was only "irregular timestamps"; training ran across it
    and forecast.csv showed row numbers instead of dates."""
    rows = [f"{1990 + m // 12}-{m % 12 + 1:02d},{10 + m % 12 + m / 10:.2f}" for m in range(72)]
    del rows[30]
    path = tmp_path / "monthly.csv"
    path.write_text("month,sales\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"gaps.*frequency MS, first at 1992-07-01"):
        load_csv(path)
    series = load_csv(path, fill="interpolate")
    assert series.freq == "MS" and len(series) == 72
    out = tmp_path / "run"
    args = ["forecast", "--data", str(path), "--fill", "interpolate", "--horizon", "3"]
    args += ["--hidden-size", "4", "--epochs", "1", "--model", "seq2seq", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    forecast = (out / "forecast.csv").read_text().splitlines()
    assert [line.split(",")[1] for line in forecast[1:]] == [
        "1996-01-01T00:00:00",
        "1996-02-01T00:00:00",
        "1996-03-01T00:00:00",
    ]


def test_missing_target_lists_the_available_columns(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("date,a,b\n2020-01-01,1,2\n2020-01-02,1,2\n")
    with pytest.raises(DataError, match=r"column 'c' not found .*; available columns: date, a, b"):
        load_csv(path, target=["c"])


def test_fill_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("date,x\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n2020-01-05,5\n2020-01-06,6\n")
    series = load_csv(path, fill="interpolate")
    assert len(series) == 6
    np.testing.assert_allclose(series.values[:, 0], [1, 2, 3, 4, 5, 6])
    assert series.freq == "D"
    assert any("missing timestamp" in n for n in series.notes)
    dropped = load_csv(path, fill="drop")
    assert len(dropped) == 4


def test_shipped_data_sets_load() -> None:
    sst = load_csv(dataset_path("nino_sst"))
    assert sst.values.shape == (732, 4)
    assert sst.columns == ("nino12", "nino3", "nino4", "nino34")
    assert sst.freq == "MS"
    airline = load_csv(dataset_path("airline"))
    assert airline.values.shape == (144, 1)


def test_frames_and_arrays() -> None:
    frame = pd.DataFrame(
        {"t": pd.date_range("2020", periods=4, freq="h"), "y": [1.0, 2.0, 3.0, 4.0]}
    )
    series = load_frame(frame.astype(str), time_col="t")
    assert series.freq == "h"
    np.testing.assert_array_equal(load_array([1, 2, 3]).values[:, 0], [1, 2, 3])
    with pytest.raises(
        DataError, match=r"1 NaN or infinite value\(s\), first in column 'x0' at row 1"
    ):
        load_array([1.0, np.nan])
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        load_frame([[1, 2]])


def test_series_shorter_than_lookback_plus_horizon() -> None:
    with pytest.raises(
        DataError,
        match=r"has 10 steps, fewer than lookback \+ horizon = 8 \+ 4; it needs at least 12",
    ):
        make_windows(np.zeros(10), lookback=8, horizon=4)


@given(
    values=arrays(
        np.float32,
        st.tuples(st.integers(1, 60), st.integers(1, 3)),
        elements=st.floats(-1e3, 1e3, width=32),
    ),
    lookback=st.integers(1, 10),
    horizon=st.integers(1, 6),
    stride=st.integers(1, 4),
)
def test_windows_are_the_series_sliced(
    values: np.ndarray, lookback: int, horizon: int, stride: int
) -> None:
    if len(values) < lookback + horizon:
        with pytest.raises(DataError):
            make_windows(values, lookback, horizon, stride)
        return
    x, y = make_windows(values, lookback, horizon, stride)
    assert x.shape[0] == (len(values) - lookback - horizon) // stride + 1
    for n in range(x.shape[0]):
        start = n * stride
        np.testing.assert_array_equal(x[n], values[start : start + lookback])
        np.testing.assert_array_equal(y[n], values[start + lookback : start + lookback + horizon])


@given(length=st.integers(3, 500), val=st.floats(0, 0.45), test=st.floats(0, 0.45))
def test_splits_are_ordered_and_never_overlap(length: int, val: float, test: float) -> None:
    try:
        split = chronological_split(length, val, test)
    except DataError:
        return
    (a, b), (c, d), (e, f) = split.train, split.val, split.test
    assert a == 0 and f == length
    assert b == c and d == e  # contiguous, in time order
    assert a < b <= d <= f
    # windows built inside the training part never read a validation or test row
    if b >= 3:
        _, y = make_windows(np.arange(length, dtype=np.float32)[:b], 2, 1)
        assert y.max() < b


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blob=st.binary(max_size=300))
def test_fuzz_random_bytes_raise_only_our_errors(blob: bytes, tmp_path: Path) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(blob)
    with contextlib.suppress(SeqlabError):
        load_csv(path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(
            st.sampled_from(
                ["1", "2.5", "", "x", "nan", "2020-01-01", "2020-01-02", "-", '"', ",", "inf"]
            ),
            max_size=4,
        ),
        max_size=8,
    )
)
def test_fuzz_malformed_rows_raise_only_our_errors(rows: list[list[str]], tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("date,x\n" + "\n".join(",".join(r) for r in rows))
    try:
        series = load_csv(path)
    except SeqlabError:
        return
    assert np.isfinite(series.values).all()


def test_long_format_gives_one_series_per_id(tmp_path: Path) -> None:
    from seqlab.data.builtin import load_dataset
    from seqlab.data.sources import load_long_csv

    stocks = load_dataset("stocks")
    assert isinstance(stocks, dict)
    assert sorted(stocks) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
    assert len(stocks["GOOG"]) == 68
    assert all(s.freq == "MS" and s.columns == ("price",) for s in stocks.values())
    with pytest.raises(
        DataError, match=r"id column 'ticker' not found .*; available columns: symbol, date, price"
    ):
        load_long_csv(dataset_path("stocks"), "ticker")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blob=st.binary(max_size=300))
def test_fuzz_sequence_csv_reader_raises_only_our_errors(blob: bytes, tmp_path: Path) -> None:
    from seqlab.data.csvio import read_sequences_csv

    path = tmp_path / "seq.csv"
    path.write_bytes(b"sequence,x,y\n" + blob)
    try:
        seqs = read_sequences_csv(path, ["x"], ["y"])
    except SeqlabError:
        return
    assert np.isfinite(seqs.x).all()


@pytest.mark.parametrize("big", ["1e39", "-1e308"])
def test_values_that_overflow_float32_are_refused_with_their_place(
    tmp_path: Path, big: str
) -> None:
    from seqlab import DataError
    from seqlab.cli import main
    from seqlab.data.csvio import read_sequences_csv
    from seqlab.data.sources import load_csv

    path = tmp_path / "big.csv"
    path.write_text(f"date,a,b\n2020-01-01,1,2\n2020-02-01,3,{big}\n2020-03-01,5,6\n")
    with pytest.raises(DataError, match=r"too large for float32.*column 'b' at row 3 \(2020-02-01"):
        load_csv(path)
    assert main(["inspect", "--data", str(path)]) == 2
    seq = tmp_path / "seq.csv"
    seq.write_text(f"sequence,x\n0,1\n0,{big}\n")
    with pytest.raises(DataError, match=r"row 3: column 'x' holds .*too large for float32"):
        read_sequences_csv(seq, ["x"])


def test_offsets_across_a_daylight_saving_change_become_utc(tmp_path: Path) -> None:
    from seqlab.data.sources import load_csv

    path = tmp_path / "dst.csv"  # Europe/Paris, spring forward: +01:00 then +02:00
    path.write_text(
        "time,v\n2021-03-28T00:00:00+01:00,1\n2021-03-28T01:00:00+01:00,2\n"
        "2021-03-28T03:00:00+02:00,3\n2021-03-28T04:00:00+02:00,4\n"
    )
    series = load_csv(path)
    assert series.freq == "h"  # neither a gap nor a duplicate
    assert str(series.timestamps[0]) == "2021-03-27T23:00:00.000000000"
