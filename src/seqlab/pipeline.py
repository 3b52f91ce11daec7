"""Run-level operations behind the CLI: train from a config, predict a CSV file.

Shape key: N sequences, T time, F features, O outputs, C classes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

import seqlab.distributed as distributed
from seqlab._io import atomic_write_bytes, run_folder_lock
from seqlab._seed import set_seed
from seqlab.checkpoint import Checkpoint, recover, save
from seqlab.config import DataConfig, ModelConfig, Seq2SeqConfig
from seqlab.data.batches import SequenceData
from seqlab.data.csvio import CsvSequences, read_sequences_csv
from seqlab.data.scaling import Scaler, StandardScaler
from seqlab.data.tasks import make_task
from seqlab.errors import ConfigError, DataError, TrainingDiverged
from seqlab.models.segment import SegmentConfig
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.sequence import SequenceModel
from seqlab.run_config import RunConfig, run_config_from_dict
from seqlab.training import History, Trainer, resolve_device

__all__ = [
    "RUN_FILE",
    "id_column",
    "input_columns",
    "predict_csv",
    "resume_run",
    "train_from_config",
]

RUN_FILE = "run.json"
LAUNCH = "launch"  # run.json's record of the processes: world_size, backend

log = logging.getLogger(__name__)


def _load_training_data(
    data: DataConfig, model: ModelConfig | Seq2SeqConfig, base: Path
) -> tuple[NDArray[np.float32], NDArray[Any], NDArray[np.int64] | None]:
    seq2seq = isinstance(model, Seq2SeqConfig)
    if data.task is not None:
        task = make_task(data.task, data.num_sequences, data.length, data.seed)
        wanted = ("seq2seq", "regression") if seq2seq else (model.head, model.task)  # type: ignore[union-attr]
        if (task.head, task.task) != wanted:
            need = (
                "kind='seq2seq'"
                if task.head == "seq2seq"
                else f"head={task.head!r}, task={task.task!r}"
            )
            raise ConfigError(f"task {data.task!r} needs {need} in [model]")
        return task.x, task.y, task.lengths
    csv_path = Path(data.csv)  # type: ignore[arg-type]
    seqs = read_sequences_csv(
        csv_path if csv_path.is_absolute() else base / csv_path,
        data.inputs,
        data.targets,
        data.sequence_col,
        classes=getattr(model, "num_classes", None)
        if getattr(model, "task", "") == "classification"
        else None,
    )
    assert seqs.y is not None
    y: NDArray[Any] = seqs.y
    if isinstance(model, Seq2SeqConfig):  # each sequence: lookback rows, then horizon rows
        if len(set(seqs.lengths.tolist())) != 1 or int(seqs.lengths[0]) <= model.horizon:
            raise DataError(
                f"seq2seq training from CSV needs every sequence to hold lookback + horizon rows "
                f"(horizon {model.horizon}), got lengths {sorted(set(seqs.lengths.tolist()))}"
            )
        cut = int(seqs.lengths[0]) - model.horizon
        return seqs.x[:, :cut], y[:, cut:], None
    if model.head == "last":
        y = y[np.arange(len(seqs.ids)), seqs.lengths - 1]  # (N, T, O) -> (N, O)
    if model.task == "classification":
        y = y[..., 0].astype(np.int64)  # one label column: (N, T, 1) -> (N, T)
    return seqs.x, y, seqs.lengths


def _fit_scalers(
    config: RunConfig, x: NDArray[np.float32], y: NDArray[Any], lengths: NDArray[np.int64] | None
) -> tuple[Scaler | None, Scaler | None]:
    """Scalers fitted on the training data only. An encoder–decoder feeds its own outputs
    back as inputs, so its target columns share one scaler with the targets."""
    model = config.model
    if config.data.scale == "none":
        return None, None
    if isinstance(model, Seq2SeqConfig):
        o = model.output_size
        target = StandardScaler().fit(np.concatenate([x[..., :o].reshape(-1, o), y.reshape(-1, o)]))
        x_scaler = StandardScaler().fit(x)
        assert x_scaler.offset_ is not None and x_scaler.scale_ is not None
        assert target.offset_ is not None and target.scale_ is not None
        x_scaler.offset_[:o], x_scaler.scale_[:o] = target.offset_, target.scale_
        return x_scaler, target
    x_scaler = StandardScaler().fit(x if lengths is None else x[_valid(lengths, x.shape[1])])
    return x_scaler, (StandardScaler().fit(y) if model.task == "regression" else None)


def train_from_config(
    config: RunConfig, base: Path | None = None, *, resume: bool = False
) -> tuple[Path, History]:
    """Train the model that ``config`` describes in its run folder.

    The folder gets ``run.json`` (the config, to resume from), ``last/`` (the resume state,
    every ``checkpoint_every`` epochs), ``best/`` (the best validation loss) and, at the end,
    ``model/`` with the scalers. With ``resume`` training continues from ``last/``. The
    folder is locked while the run writes it: a second run on it fails at once.
    """
    base = base if base is not None else Path.cwd()
    with run_folder_lock(base / config.run_dir):
        if distributed.join(resolve_device(config.train.device)) and distributed.restart_count():
            # torchrun restarted the workers after a failure: on from the last checkpoint
            last = base / config.run_dir / "last"
            if distributed.is_main():
                recover(last)
            distributed.barrier()
            resume = resume or last.is_dir()
        return _train(config, base, resume=resume)


def _train(config: RunConfig, base: Path, *, resume: bool) -> tuple[Path, History]:
    run_dir = base / config.run_dir
    if config.data.csv is not None and not Path(config.data.csv).is_absolute():
        config = replace(
            config, data=replace(config.data, csv=str((base / config.data.csv).resolve()))
        )
    x, y, lengths = _load_training_data(config.data, config.model, base)
    if x.shape[-1] != config.model.input_size:
        raise ConfigError(
            f"[model] input_size is {config.model.input_size} but the data has {x.shape[-1]} "
            "input feature(s)"
        )
    x_scaler, y_scaler = _fit_scalers(config, x, y, lengths)
    if x_scaler is not None:
        x = x_scaler.transform(x)
    if y_scaler is not None:
        y = y_scaler.transform(y)
    set_seed(config.train.seed)
    model: SequenceModel | Seq2Seq = (
        Seq2Seq(config.model)
        if isinstance(config.model, Seq2SeqConfig)
        else SequenceModel(config.model)
    )
    main = distributed.is_main()  # under torchrun only rank 0 writes the run folder
    if not resume and main:
        raw = {**config.to_dict(), LAUNCH: distributed.launch()}
        atomic_write_bytes(run_dir / RUN_FILE, json.dumps(raw, indent=2).encode())
    last = run_dir / "last"
    try:
        history = Trainer(config.train, run_dir=run_dir).fit(
            model, SequenceData.from_arrays(x, y, lengths), resume=last if resume else None
        )
    except TrainingDiverged as exc:
        kept = f"; the last good checkpoint is {last}" if last.exists() else ""
        raise TrainingDiverged(f"{exc}{kept}") from None
    data = asdict(config.data)
    if not main:
        return run_dir / "model", history
    path = save(
        run_dir / "model",
        model,
        x_scaler=x_scaler,
        y_scaler=y_scaler,
        train_config=config.train,
        history=history,
        data={
            "inputs": list(data["inputs"]),
            "targets": list(data["targets"]),
            "sequence_col": data["sequence_col"],
            "source": data["task"] or data["csv"],
            **distributed.launch(),
        },
    )
    return path, history


def resume_run(run_dir: str | Path) -> tuple[Path, History]:
    """Continue the run in ``run_dir`` from its last checkpoint (``seqlab train --resume``)."""
    run_dir = Path(run_dir)
    try:
        raw = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{run_dir} is not a seqlab run folder (no {RUN_FILE} inside)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{run_dir / RUN_FILE} is corrupt: {exc}") from None
    if isinstance(raw, dict):
        raw.pop(LAUNCH, None)  # how the run was launched, not part of its config
    config = replace(
        run_config_from_dict(raw, str(run_dir / RUN_FILE)), run_dir=str(run_dir.resolve())
    )
    with run_folder_lock(run_dir):
        # A kill while a checkpoint was being replaced leaves complete copies beside it: the
        # newest complete, hash-verified one becomes last/ (best/) again; nothing is lost.
        recover(run_dir / "best")
        for partial in run_dir.glob(".*.tmp"):  # a file write cut off (folders: recover's)
            if partial.is_file():
                partial.unlink()
        # killed before the first checkpoint: start over
        return _train(config, Path("/"), resume=recover(run_dir / "last") is not None)


def _valid(lengths: NDArray[np.int64], time: int) -> NDArray[np.bool_]:
    return np.arange(time)[None, :] < lengths[:, None]  # (N, T)


def id_column(checkpoint: Checkpoint, given: str | None = None) -> str:
    """The column that names each sequence, the same for train, predict and stream:
    ``given``, else the one the model was trained with, else ``sequence``."""
    return given or str((checkpoint.data or {}).get("sequence_col") or "sequence")


def input_columns(checkpoint: Checkpoint) -> list[str]:
    """The CSV columns the model reads: those named at training, or ``x`` for one input."""
    data = checkpoint.data or {}
    inputs = data.get("inputs") or (
        ["x"] if getattr(checkpoint.config, "input_size", 0) == 1 else None
    )
    if inputs is None:
        raise DataError(
            "the checkpoint does not name its input columns; save it with data={'inputs': [...]}"
        )
    return list(inputs)


def predict_csv(
    checkpoint: Checkpoint, path: str | Path, id_col: str | None = None
) -> tuple[list[str], list[list[object]]]:
    """Predict every sequence of a long-format CSV file; returns (header, rows).

    Sequence models give one row per step (per-step head) or per sequence (last head);
    an encoder–decoder reads each sequence as its input window and gives ``horizon`` rows.
    """
    checkpoint.refuse_forecaster("seqlab predict")
    data = checkpoint.data or {}
    config = checkpoint.config
    if isinstance(config, SegmentConfig):
        raise DataError(
            "seqlab predict reads sequence and encoder–decoder checkpoints; a segment model's "
            "forecasts come from its Forecaster (seqlab forecast)"
        )
    inputs = input_columns(checkpoint)
    seq_col = id_column(checkpoint, id_col)
    seqs = read_sequences_csv(path, inputs, None, seq_col)
    if isinstance(config, Seq2SeqConfig):
        return _predict_windows(checkpoint, config, seqs, seq_col, data)
    pred = checkpoint.predict(seqs.x, lengths=seqs.lengths)
    per_step = config.head == "per_step"
    if config.task == "classification":
        probabilities, labels = pred.classes
        names = ["label"] + [f"prob_{k}" for k in range(config.out_features)]
        table = np.concatenate([labels[..., None], probabilities], axis=-1)
    else:
        names = list(data.get("targets") or [f"y{k}" for k in range(config.out_features)])
        table = pred.regression
    header = [seq_col or "sequence"] + (["step"] if per_step else []) + names
    rows: list[list[object]] = []
    for n, sid in enumerate(seqs.ids):
        if per_step:
            for t in range(int(seqs.lengths[n])):
                rows.append([sid, t, *_cells(table[n, t], config.task)])
        else:
            rows.append([sid, *_cells(table[n], config.task)])
    return header, rows


def _predict_windows(
    checkpoint: Checkpoint,
    config: Seq2SeqConfig,
    seqs: CsvSequences,
    seq_col: str | None,
    data: dict[str, Any],
) -> tuple[list[str], list[list[object]]]:
    if config.future_size:
        raise DataError(
            "predicting from CSV does not take future covariates yet; use the Python API"
        )
    if len(set(seqs.lengths.tolist())) != 1:
        lengths = sorted(set(seqs.lengths.tolist()))
        raise DataError(f"every input window must have the same length, got {lengths}")
    pred = checkpoint.predict(seqs.x).regression
    names = list(data.get("targets") or [f"y{k}" for k in range(config.output_size)])
    header = [seq_col or "sequence", "horizon_step", *names]
    rows = [
        [sid, h + 1, *(float(v) for v in pred[n, h])]
        for n, sid in enumerate(seqs.ids)
        for h in range(config.horizon)
    ]
    return header, rows


def _cells(values: NDArray[Any], task: str) -> list[object]:
    if task == "classification":
        return [int(values[0]), *(float(v) for v in values[1:])]
    return [float(v) for v in values]
