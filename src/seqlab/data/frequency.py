"""Time steps: the frequency of regular timestamps, and gaps found at it (a missing month, a
missing business day) — reported, or filled as the gap policy says."""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from seqlab.errors import DataError

if TYPE_CHECKING:
    from seqlab.data.cells import Fill

__all__ = ["infer_freq", "regular"]

log = logging.getLogger(__name__)


def regular(
    stamps: NDArray[np.datetime64], values: NDArray[np.float64], where: str, fill: Fill | None
) -> tuple[str | None, NDArray[np.datetime64], NDArray[np.float64], list[str]]:
    """Infer the frequency; report gaps, or with ``fill`` insert the missing steps as NaN."""
    import pandas as pd

    if len(stamps) < 3:
        return None, stamps, values, []
    index = pd.DatetimeIndex(stamps)
    freq = infer_freq(stamps)
    if freq is not None:
        return freq, stamps, values, []
    full = _with_gaps(index)
    if full is None:
        note = (
            f"irregular timestamps: no single frequency fits {where}; read in order without a "
            "frequency (no seasonal period or calendar features from the dates); if the dates "
            "were misread, state their format with `date_format`"
        )
        log.warning(note)
        return None, stamps, values, [note]
    step = infer_freq(full.to_numpy()) or full.freqstr
    missing = full.difference(index)
    if fill is None:
        shown = ", ".join(
            str(m.date() if m.time().isoformat() == "00:00:00" else m) for m in missing[:5]
        )
        raise DataError(
            f"{where}: {len(missing)} missing timestamp(s) (gaps) in a series of frequency {step}, "
            f"first at {shown}; fill them with `fill` (ffill, interpolate, zero or drop)"
        )
    frame = pd.DataFrame(values, index=index).reindex(full)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(full)
    note = f"filled {len(missing)} missing timestamp(s) with `fill` {fill!r}"
    return (
        (None if freq is None else str(freq)),
        full.to_numpy(),
        frame.to_numpy(dtype=np.float64),
        [note],
    )


def _with_gaps(index: Any) -> Any:
    """The regular DatetimeIndex from the first to the last stamp that holds every stamp of
    ``index`` plus missing ones (fewer than it holds), or None. The step is a frequency read
    off a gap-free stretch, a calendar frequency anchored at the first stamp (months,
    quarters, years and business days have no fixed length), or the most common difference;
    the coarsest that fits wins."""
    import pandas as pd

    candidates: list[Any] = []
    width = min(len(index), 7)
    last = len(index) - width
    for start in sorted({0, last // 4, last // 2, 3 * last // 4, last}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            freq = pd.infer_freq(index[start : start + width]) if width >= 3 else None
        if freq is not None:
            candidates.append(freq)
    month = index[0].strftime("%b").upper()
    candidates += ["MS", "ME", f"QS-{month}", f"QE-{month}", f"YS-{month}", f"YE-{month}", "B"]
    candidates.append(pd.Series(index).diff().mode().iloc[0])
    best = None
    for freq in candidates:
        try:
            full = pd.date_range(index[0], index[-1], freq=freq)
        except (ValueError, TypeError):
            continue
        fits = len(index) < len(full) < 2 * len(index) and index.isin(full).all()
        if fits and (best is None or len(full) < len(best)):
            best = full
    return best


def infer_freq(stamps: NDArray[np.datetime64]) -> str | None:
    """The pandas frequency string of regular timestamps (``MS``, ``h``, ...), or None."""
    import pandas as pd

    if len(stamps) < 3:
        return None
    with warnings.catch_warnings():  # pandas 3 warns that a later version returns an offset
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(pd.DatetimeIndex(stamps))
    return None if freq is None else str(freq)
