"""Streaming inference: the recurrent state of many named series, carried from call to call.

``Stream`` is the one object in seqlab that owns recurrent state, and it says so: each
series has its own state, updated by ``update`` and saved or restored with
``save_state`` / ``load_state`` (safetensors + JSON, tied to the model's weights).
Small updates run the cell math in NumPy (``StepKernel``); long chunks and large batches
run the fused ``nn.LSTM`` / ``nn.GRU``. Both give the same numbers to float32 rounding.

Shape key: T steps, F input features, O outputs, H horizon, L layers, D hidden size.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from safetensors import SafetensorError
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays
from safetensors.torch import save as save_tensors

from seqlab._io import atomic_write_bytes
from seqlab._threads import with_read_thread_policy
from seqlab.checkpoint import Checkpoint, load_checkpoint
from seqlab.config import ModelConfig, Seq2SeqConfig
from seqlab.errors import CheckpointError, DataError
from seqlab.models.state import State
from seqlab.streaming.outputs import OUTPUTS, Outputs
from seqlab.streaming.table import StateTable

__all__ = ["SHORT_CHUNK", "SMALL_BATCH", "Stream", "model_fingerprint"]

F32 = NDArray[np.float32]
STATE_FORMAT = "seqlab-stream-state"
SMALL_BATCH = 64  # up to this many series x steps per call, the NumPy kernel is faster
SHORT_CHUNK = 8  # a single series' chunk up to this length runs step by step in NumPy


def model_fingerprint(model: torch.nn.Module) -> str:
    """SHA-256 of the model's weights as safetensors bytes: ties saved state to a model."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return hashlib.sha256(save_tensors(tensors)).hexdigest()


class Stream:
    """Recurrent state of one or many named series; add and drop series at any time.

    ``update(id, values)`` feeds new observations (original units) and returns the
    per-step outputs (T, O) of a per-step model, the final output (O,) of a many-to-one
    model, or the H-step forecast (H, O) of an encoder–decoder. ``update_many`` does the
    same for many series in one batched call; ``update_array`` takes and returns arrays
    (B, T, F) -> (B, T, O) / (B, O) / (B, H, O) and is the fastest. ``forecast(id, h)``
    returns the next h steps without changing the state. Classification models return
    class probabilities.
    """

    def __init__(
        self, checkpoint: Checkpoint | torch.nn.Module, *, max_series: int | None = None
    ) -> None:
        if isinstance(checkpoint, torch.nn.Module):  # a trained model without scalers
            checkpoint = Checkpoint(checkpoint)
        checkpoint.refuse_forecaster("Stream")
        self.checkpoint = checkpoint
        self.model = model = checkpoint.model.eval()
        kind = getattr(model, "kind", None)
        if kind not in OUTPUTS:
            raise TypeError(
                f"a Stream steps {' and '.join(OUTPUTS)} models, got a {type(model).__name__}"
                " (a model that forecasts from whole windows: use Forecaster.predict)"
            )
        config = checkpoint.config
        assert isinstance(config, ModelConfig | Seq2SeqConfig)
        self.config: ModelConfig | Seq2SeqConfig = config
        if max_series is not None and (isinstance(max_series, bool) or max_series < 1):
            raise ValueError(f"`max_series` must be a positive integer, got {max_series!r}")
        self.max_series = max_series
        self.evicted = 0  # series dropped to stay within max_series
        self._x = _affine(checkpoint.x_scaler, config.input_size)
        y = _affine(checkpoint.y_scaler, config.output_size)
        self._device = next(model.parameters()).device
        self._numpy_path = self._device.type == "cpu"
        self._outputs: Outputs = OUTPUTS[kind](model, self._x, y)
        self._backbone, self._kernel = self._outputs.backbone, self._outputs.kernel
        self.fingerprint = model_fingerprint(model)
        rnn = self._backbone.rnn
        self._table = StateTable(
            rnn.num_layers,
            rnn.hidden_size,
            config.cell == "lstm",
            config.input_size,
            self._outputs.width,
        )

    @classmethod
    def from_checkpoint(cls, path: str | Path, *, max_series: int | None = None) -> Stream:
        return cls(load_checkpoint(path), max_series=max_series)

    @property
    def output_columns(self) -> list[str]:
        """Names of one update's flattened result (CSV columns)."""
        return self._outputs.columns(self.checkpoint.data or {})

    # -- series ------------------------------------------------------------------
    @property
    def series(self) -> list[str]:
        return list(self._table.ids)

    def __contains__(self, series_id: object) -> bool:
        return series_id in self._table.index

    def __len__(self) -> int:
        return len(self._table)

    def reset(self, series_id: str) -> None:
        """Forget a series' state (it starts again from zeros)."""
        self._table.clear(int(self._table.rows([series_id])[0]))

    def drop(self, series_id: str) -> None:
        if series_id not in self._table.index:
            raise KeyError(f"no series {series_id!r} in this stream; it holds {self.series}")
        self._table.drop(series_id)

    def state(self, series_id: str) -> State:
        """A copy of a series' state as torch tensors, (L, 1, D) each."""
        row = self._table.index[series_id]
        th = torch.from_numpy(self._table.h[:, row : row + 1].copy())
        c = self._table.c
        return (th, torch.from_numpy(c[:, row : row + 1].copy())) if c is not None else th

    # -- updates -----------------------------------------------------------------
    def _scaled(self, values: object, batch: int | None = None) -> F32:
        """(B, T, F) scaled inputs from original units; ``batch=None``: one series."""
        arr = given = np.asarray(values, dtype=np.float32)
        f = self.config.input_size
        if batch is None and arr.shape == (1, f):  # the common case: one step
            if not np.isfinite(arr).all():
                raise DataError("observations hold NaN or infinite values")
            one: F32 = ((arr - self._x[0]) / self._x[1])[None]
            return one
        if batch is None:  # one series: a scalar, (T,) with one feature, (F,) or (T, F)
            arr = arr.reshape(-1, 1) if arr.ndim == 0 or (arr.ndim == 1 and f == 1) else arr
            arr = arr[None, :] if arr.ndim == 1 and arr.shape[0] == f else arr
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[2] != f or arr.shape[1] == 0 or arr.shape[0] != (batch or 1):
            expected = f"(steps, {f}) for one series" if batch is None else f"({batch}, steps, {f})"
            raise DataError(f"expected observations of shape {expected}, got {given.shape}")
        if not np.isfinite(arr).all():
            raise DataError("observations hold NaN or infinite values")
        scaled: F32 = (arr - self._x[0]) / self._x[1]
        return scaled

    @with_read_thread_policy
    def update(self, series_id: str, values: object) -> F32:
        """Feed observations (T, F) — or (T,) / a scalar with one feature — to one series."""
        x = self._scaled(values)
        table = self._table
        row = table.index.get(series_id)
        if (
            row is None
            or not self._numpy_path
            or x.shape[1] > SHORT_CHUNK
            or not self._outputs.single_steps
        ):
            out: F32 = self._update([series_id], x, None)[0]
            return out
        # One known series, a few steps: plain slices, no gather or scatter.
        sl = slice(row, row + 1)
        h, c = table.h[:, sl], None if table.c is None else table.c[:, sl]
        tops = []
        for t in range(x.shape[1]):
            top, h, c = self._kernel.step(x[:, t], h, c)
            tops.append(top)
        table.h[:, sl] = h
        if c is not None and table.c is not None:
            table.c[:, sl] = c
        table.last[row], table.seen[row] = x[0, -1], True
        table.touch(row)
        return self._outputs.one(table, row, np.concatenate(tops))

    @with_read_thread_policy
    def update_array(self, ids: Sequence[str], values: object) -> F32:
        """Feed (B, T, F) observations to the B series ``ids`` (one row each) in one call."""
        if len(set(ids)) != len(ids):
            raise DataError("each series may appear once per call")
        return self._update(list(ids), self._scaled(values, len(ids)), None)

    @with_read_thread_policy
    def update_many(self, batch: Mapping[str, object]) -> dict[str, F32]:
        """Update many series in one batched call; their chunks may differ in length."""
        ids = list(batch)
        f = self.config.input_size
        try:  # the common case, one step per series, converts in one call
            one_step = np.asarray(list(batch.values()), dtype=np.float32)
        except ValueError:  # chunks of different lengths
            one_step = np.zeros(0, np.float32)
        if one_step.size == len(ids) * f and len(ids) > 0:
            return dict(
                zip(ids, self.update_array(ids, one_step.reshape(len(ids), 1, f)), strict=True)
            )
        xs = [self._scaled(v)[0] for v in batch.values()]
        lengths = np.array([len(x) for x in xs])
        if (lengths == lengths[0]).all():
            return dict(zip(ids, self._update(ids, np.stack(xs), None), strict=True))
        x = np.zeros((len(xs), int(lengths.max()), self.config.input_size), np.float32)
        for b, xb in enumerate(xs):
            x[b, : len(xb)] = xb
        outs = self._update(ids, x, lengths)
        return {i: self._outputs.trim(o, n) for i, o, n in zip(ids, outs, lengths, strict=True)}

    def _update(self, ids: list[str], x: F32, lengths: NDArray[np.int64] | None) -> F32:
        table = self._table
        rows = table.rows(ids)
        h = table.h[:, rows]
        c = None if table.c is None else table.c[:, rows]
        batch, time = x.shape[0], x.shape[1]
        if (
            self._numpy_path
            and lengths is None
            and batch * time <= SMALL_BATCH
            and time <= SHORT_CHUNK
        ):
            tops = []
            for t in range(time):
                top, h, c = self._kernel.step(x[:, t], h, c)
                tops.append(top)
            top_all = np.stack(tops, axis=1)  # (B, T, D)
        else:
            top_all, h, c = self._torch_steps(x, lengths, h, c)
        table.h[:, rows] = h
        if table.c is not None and c is not None:
            table.c[:, rows] = c
        last_step = time - 1 if lengths is None else lengths - 1
        table.last[rows] = x[np.arange(batch), last_step]
        table.seen[rows] = True
        out = self._outputs.outputs(table, rows, top_all, lengths)
        self._evict(set(ids))
        return out

    def _evict(self, keep: set[str]) -> None:
        """Drop the least recently used series beyond ``max_series`` (never those in use)."""
        excess = 0 if self.max_series is None else len(self._table) - self.max_series
        if excess > 0:
            for series_id in self._table.least_recently_used(excess + len(keep)):
                if excess and series_id not in keep:
                    self._table.drop(series_id)
                    self.evicted, excess = self.evicted + 1, excess - 1

    @torch.inference_mode()
    def _torch_steps(
        self, x: F32, lengths: NDArray[np.int64] | None, h: F32, c: F32 | None
    ) -> tuple[F32, F32, F32 | None]:
        dev = self._device
        th = torch.from_numpy(h).to(dev)
        state: State = th if c is None else (th, torch.from_numpy(c).to(dev))
        lt = None if lengths is None else torch.from_numpy(lengths)
        out, state = self._backbone(
            torch.from_numpy(x).to(dev), state, lt
        )  # (B, T, F) -> (B, T, D)
        if isinstance(state, tuple):
            return out.cpu().numpy(), state[0].cpu().numpy(), state[1].cpu().numpy()
        return out.cpu().numpy(), state.cpu().numpy(), None

    # -- forecasting ---------------------------------------------------------------
    @with_read_thread_policy
    def forecast(self, series_id: str, h: int, future: object | None = None) -> F32:
        """The next ``h`` steps (h, O) from the series' current state; the state is unchanged.

        Encoder–decoders decode from their encoder state (known-future covariates in
        ``future``, (h, Fc)). A per-step regression model whose outputs are its next inputs
        (output_size == input_size) is run autoregressively on a copy of the state.
        """
        if not isinstance(h, int) or h < 1:
            raise ValueError(f"`h` must be a positive integer, got {h!r}")
        row = self._table.index.get(series_id)
        if row is None or not self._table.seen[row]:
            raise KeyError(f"series {series_id!r} has no observations yet; call update() first")
        out: F32 = self._outputs.forecast(self._table, np.array([row]), h, future)[0]
        return out

    # -- persistence ---------------------------------------------------------------
    def save_state(self, path: str | Path) -> None:
        """Write every series' state atomically (safetensors + JSON metadata)."""
        meta = {
            "format": STATE_FORMAT,
            "version": "1",
            "model_sha256": self.fingerprint,
            "series": json.dumps(self.series),
        }
        atomic_write_bytes(path, save_arrays(self._table.arrays(), metadata=meta))

    def load_state(self, path: str | Path) -> None:
        """Replace every series' state with the one saved at ``path`` by the same model."""
        path = Path(path)
        try:
            blob = path.read_bytes()
            arrays = load_arrays(blob)
            header_len = int.from_bytes(blob[:8], "little")
            meta = json.loads(blob[8 : 8 + header_len]).get("__metadata__", {})
        except FileNotFoundError:
            raise CheckpointError(f"stream state file not found: {path}") from None
        except (SafetensorError, ValueError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{path} is not a valid stream state file: {exc}") from None
        if meta.get("format") != STATE_FORMAT:
            raise CheckpointError(f"{path} is not a seqlab stream state file")
        if meta.get("model_sha256") != self.fingerprint:
            raise CheckpointError(
                f"{path} holds the state of another model (weights "
                f"{str(meta.get('model_sha256'))[:12]}…, this stream's model has "
                f"{self.fingerprint[:12]}…)"
            )
        ids = json.loads(meta["series"])
        expected = (self._table.h.shape[0], len(ids), self._table.h.shape[2])
        if arrays["h"].shape != expected:
            raise CheckpointError(
                f"{path}: state of shape {arrays['h'].shape}, expected {expected}"
            )
        self._table.restore(ids, arrays)


def _affine(scaler: Any, width: int) -> tuple[F32, F32]:
    """(offset, scale) float32 arrays of a fitted scaler, or the identity."""
    if scaler is None:
        return np.zeros(width, np.float32), np.ones(width, np.float32)
    return scaler.offset_.astype(np.float32), scaler.scale_.astype(np.float32)
