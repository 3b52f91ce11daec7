"""``seqlab stream``: CSV lines in, one output line per input line, flushed at once.

A bad line (wrong field count, text where a number belongs, NaN or infinity, bytes that are
not UTF-8, a line longer than the limit) is reported on standard error with its line number
and skipped, and serving goes on; ``--strict`` stops at the first one instead. Exit status:
0 every line served, 1 some lines skipped, 2 an error that stopped the stream, 143 SIGTERM.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

import numpy as np

from seqlab.errors import DataError

if TYPE_CHECKING:
    from seqlab.streaming import Stream

__all__ = ["MAX_LINE_BYTES", "StreamCsv", "add_stream_parser", "serve"]

MAX_LINE_BYTES = 1 << 20  # 1 MiB: far above any real row, far below a runaway line
EXIT_SKIPPED, EXIT_TERMINATED = 1, 143


class StreamCsv:
    """Parses one input row at a time for a stream and formats its output row."""

    def __init__(self, stream: Stream, header_line: str, id_col: str = "sequence") -> None:
        if not header_line.strip():
            raise DataError("standard input is empty: expected a CSV header line first")
        header = [h.strip() for h in header_line.strip().split(",")]
        self.stream = stream
        self.id_index = header.index(id_col) if id_col in header else None
        names = (stream.checkpoint.data or {}).get("inputs")
        if not names:
            names = [h for i, h in enumerate(header) if i != self.id_index]
        missing = [n for n in names if n not in header]
        if missing or len(names) != stream.config.input_size:
            raise DataError(
                f"the header must name the {stream.config.input_size} input column(s) "
                f"{names}; got {header}"
            )
        self.columns = [header.index(n) for n in names]
        self.width = len(header)
        self.header = ",".join([id_col, *stream.output_columns])
        self.classifier = getattr(stream.config, "task", "") == "classification"

    def feed(self, line: str, number: int) -> str:
        """Update the row's series with one step; return the output line. A bad row raises
        DataError naming line ``number`` and the reason, and changes no state."""
        cells = [c.strip() for c in line.strip().split(",")]
        if len(cells) != self.width:
            raise DataError(f"line {number}: expected {self.width} fields, got {len(cells)}")
        try:
            values = [float(cells[i]) for i in self.columns]
        except ValueError:
            raise DataError(f"line {number}: non-numeric input in {line.strip()[:80]!r}") from None
        if not all(math.isfinite(v) for v in values):
            raise DataError(f"line {number}: NaN or infinite input in {line.strip()[:80]!r}")
        series_id = cells[self.id_index] if self.id_index is not None else "0"
        out = self.stream.update(series_id, np.asarray(values, np.float32)[None, :])
        flat = np.asarray(out).reshape(-1)
        label = [str(int(np.argmax(flat)))] if self.classifier else []
        return ",".join([series_id, *label, *(f"{v:.6g}" for v in flat)])


def _lines(source: BinaryIO, limit: int) -> Iterator[tuple[int, str | None, str]]:
    """(line number, text or None, reason) for each line; a line longer than ``limit``
    bytes is read no further than that (the rest is skipped in chunks)."""
    number = 0
    while True:
        raw = source.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (rest := source.readline(limit)) and not rest.endswith(b"\n"):
                pass
            yield number, None, f"line {number}: longer than {limit:,} bytes"
            continue
        try:
            yield number, raw.decode("utf-8"), ""
        except UnicodeDecodeError:
            yield number, None, f"line {number}: not UTF-8 text"


def serve(
    stream: Stream,
    source: BinaryIO,
    out: TextIO,
    err: TextIO,
    *,
    id_col: str | None = None,
    strict: bool = False,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> int:
    """Serve a stream from ``source`` to ``out``; returns the number of lines skipped.
    Raises DataError for a bad header, and for any bad line when ``strict``."""
    lines = _lines(source, max_line_bytes)
    first = next(lines, (1, "", ""))
    if first[1] is None:
        raise DataError(f"the header {first[2].split(': ', 1)[1]}")
    from seqlab.pipeline import id_column

    rows = StreamCsv(stream, first[1], id_col=id_column(stream.checkpoint, id_col))
    print(rows.header, file=out, flush=True)
    skipped = 0
    for number, text, reason in lines:
        try:
            if text is None:
                raise DataError(reason)
            if text.strip():
                print(rows.feed(text, number), file=out, flush=True)
        except DataError as exc:
            if strict:
                raise
            skipped += 1
            print(f"seqlab stream: skipped {exc}", file=err, flush=True)
    return skipped


class _Terminated(Exception):
    """Raised by the SIGTERM handler to leave a blocking read."""


def run_stream(args: argparse.Namespace) -> int:
    from seqlab.streaming import Stream

    stream = Stream.from_checkpoint(args.checkpoint, max_series=args.max_series)
    state = Path(args.state) if args.state else None
    if state is not None and state.exists():
        stream.load_state(state)

    def terminate(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    code = 0
    try:
        skipped = serve(
            stream,
            sys.stdin.buffer,
            sys.stdout,
            sys.stderr,
            id_col=args.id_col,
            strict=args.strict,
            max_line_bytes=args.max_line_bytes,
        )
        if skipped:
            print(f"seqlab stream: {skipped} bad line(s) skipped", file=sys.stderr)
            code = EXIT_SKIPPED
    except _Terminated:
        code = EXIT_TERMINATED  # after saving the state below
    finally:
        signal.signal(signal.SIGTERM, previous)
        if state is not None:
            stream.save_state(state)
        if stream.evicted:
            print(
                f"seqlab stream: {stream.evicted} series evicted (least recently used) to "
                f"hold at most {args.max_series}",
                file=sys.stderr,
            )
    return code


def add_stream_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stream",
        help="predict line by line from standard input, carrying each series' state",
        description="Reads CSV rows from standard input (a header line first, naming the "
        "input columns and optionally a series id column), feeds each row to its series and "
        "writes one line of outputs per row to standard output, flushed at once. A bad line "
        "is reported on standard error with its number and skipped. Exit status: 0 every "
        "line served, 1 some lines skipped, 2 stopped by an error, 143 SIGTERM.",
    )
    p.add_argument("--checkpoint", required=True, metavar="PATH", help="checkpoint directory")
    p.add_argument(
        "--state",
        metavar="FILE",
        help="load the streams' state from FILE if it exists; save it there atomically at "
        "the end of input and on SIGTERM",
    )
    p.add_argument(
        "--id-col",
        help="the column naming each series (default: the one used in training, else "
        "sequence, as seqlab predict)",
    )
    p.add_argument("--strict", action="store_true", help="stop at the first bad line (exit 2)")
    p.add_argument(
        "--max-line-bytes",
        type=int,
        default=MAX_LINE_BYTES,
        metavar="N",
        help="longer lines are skipped unread (default: %(default)s)",
    )
    p.add_argument(
        "--max-series",
        type=int,
        metavar="N",
        help="hold the state of at most N series; the least recently used are evicted "
        "(counted on standard error) (default: no limit)",
    )
    p.set_defaults(func=run_stream)
