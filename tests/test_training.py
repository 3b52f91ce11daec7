from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab import (
    Callback,
    DataError,
    EarlyStopping,
    ModelConfig,
    SequenceData,
    SequenceModel,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    set_seed,
)
from seqlab.data.tasks import bit_sequences, two_bit_stream


def _data(n: int = 128) -> SequenceData:
    d = bit_sequences(n, 8, np.random.default_rng(0), per_step=True)
    return SequenceData.from_arrays(d.x, d.y / 8.0)


def _fit(
    config: TrainConfig, cell: str = "lstm", dropout: float = 0.0
) -> tuple[SequenceModel, list[float]]:
    set_seed(1)
    model = SequenceModel(ModelConfig(cell=cell, hidden_size=8, num_layers=2, dropout=dropout))  # type: ignore[arg-type]
    history = Trainer(config).fit(model, _data())
    return model, history.loss


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_training_reduces_the_loss(cell: str) -> None:
    _, losses = _fit(TrainConfig(epochs=15, lr=1e-2, progress=False), cell)
    assert losses[-1] < 0.1 * losses[0]


def test_same_seed_repeats_exactly_on_cpu() -> None:
    config = TrainConfig(epochs=3, lr=1e-2, progress=False, seed=5, val_fraction=0.25)
    a, la = _fit(config, dropout=0.2)
    b, lb = _fit(config, dropout=0.2)
    assert la == lb
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name


def test_early_stopping_restores_the_best_weights() -> None:
    class Snapshots(Callback):
        def __init__(self) -> None:
            self.states: list[dict[str, torch.Tensor]] = []

        def on_epoch_end(
            self, trainer: Trainer, model: torch.nn.Module, logs: dict[str, float]
        ) -> None:
            self.states.append({k: v.detach().cpu().clone() for k, v in model.state_dict().items()})

    snaps = Snapshots()
    set_seed(0)
    model = SequenceModel(ModelConfig(hidden_size=8))
    # a large learning rate makes the validation loss bounce, so the best epoch is not the last
    config = TrainConfig(
        epochs=30, lr=0.2, patience=3, val_fraction=0.3, progress=False, clip_grad_norm=None
    )
    history = Trainer(config, callbacks=[snaps]).fit(model, _data())
    best = int(np.argmin(history.val_loss))
    assert history.best_epoch == best
    assert len(history.epochs) <= best + 1 + 3
    for k, v in model.state_dict().items():
        assert torch.equal(v, snaps.states[best][k]), k


def test_clipping_bounds_the_global_gradient_norm() -> None:
    norms: list[float] = []

    class GradNorm(Callback):
        def on_batch_end(
            self, trainer: Trainer, model: torch.nn.Module, logs: dict[str, float]
        ) -> None:
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            norms.append(float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))))

    set_seed(0)
    model = SequenceModel(ModelConfig(hidden_size=8))
    big = SequenceData.from_arrays(_data().x, _data().y * 1000)
    Trainer(TrainConfig(epochs=1, clip_grad_norm=0.5, progress=False), [GradNorm()]).fit(model, big)
    assert max(norms) <= 0.5 + 1e-4


def test_divergence_stops_with_a_clear_message() -> None:
    set_seed(0)
    model = SequenceModel(ModelConfig(hidden_size=8))
    data = SequenceData.from_arrays(_data().x, _data().y * 1e20)
    config = TrainConfig(epochs=5, lr=1e3, clip_grad_norm=None, progress=False)
    with pytest.raises(
        TrainingDiverged, match=r"became (nan|inf) at epoch \d+, step \d+; lower the learning rate"
    ):
        Trainer(config).fit(model, data)


def test_weight_decay_shrinks_weights() -> None:
    def norm(weight_decay: float) -> float:
        set_seed(0)
        model = SequenceModel(ModelConfig(hidden_size=8))
        Trainer(TrainConfig(epochs=5, lr=1e-2, weight_decay=weight_decay, progress=False)).fit(
            model, _data()
        )
        return float(sum(p.detach().norm() ** 2 for p in model.parameters()))

    assert norm(0.5) < norm(0.0)


def test_stateful_training_learns_the_first_step_of_each_chunk() -> None:
    bits, classes = two_bit_stream(32 * 200, np.random.default_rng(0))
    set_seed(0)
    model = SequenceModel(ModelConfig(hidden_size=8, task="classification", num_classes=4))
    config = TrainConfig(epochs=8, batch_size=32, lr=2e-2, progress=False, val_fraction=0.1)
    history = Trainer(config).fit_stream(model, bits[:, None], classes, chunk_length=10)
    assert history.val_loss[-1] < 0.05
    # a stream fed in chunks with the state carried: first steps of chunks are right too
    test_bits, test_classes = two_bit_stream(2000, np.random.default_rng(1))
    state = None
    labels = []
    with torch.no_grad():
        for s in range(0, 2000, 10):
            logits, state = model(torch.from_numpy(test_bits[s : s + 10])[None, :, None], state)
            labels.append(logits.argmax(-1)[0])
    labels_np = torch.cat(labels).numpy()
    assert (labels_np[10::10] == test_classes[10::10]).mean() > 0.99


def test_sequence_data_validates_layout() -> None:
    with pytest.raises(
        DataError, match=r"\(sequences, time, features\) — batch first — got \(4, 5\)"
    ):
        SequenceData.from_arrays(np.zeros((4, 5)), np.zeros((4, 5)))
    with pytest.raises(DataError, match="holds 4 sequences but `y` has shape"):
        SequenceData.from_arrays(np.zeros((4, 5, 1)), np.zeros((5, 4)))
    x = np.zeros((4, 5, 1))
    x[1, 2, 0] = np.nan
    with pytest.raises(
        DataError, match=r"1 NaN or infinite value\(s\), first at index \(1, 2, 0\)"
    ):
        SequenceData.from_arrays(x, np.zeros((4, 5, 1)))


def test_trainer_accepts_custom_early_stopping_and_requires_training_loss() -> None:
    stopper = EarlyStopping(2, monitor="loss")
    trainer = Trainer(TrainConfig(epochs=2, patience=5, progress=False), [stopper])
    assert sum(isinstance(c, EarlyStopping) for c in trainer.callbacks) == 1
    with pytest.raises(TypeError, match="training_loss"):
        trainer.fit(torch.nn.Linear(1, 1), _data())


class _Steps(Callback):
    """Records each optimizer step's number and the learning rate the next step will take."""

    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_batch_end(
        self, trainer: Trainer, model: torch.nn.Module, logs: dict[str, float]
    ) -> None:
        self.lrs.append(trainer.optimizer.param_groups[0]["lr"])


def test_max_steps_ends_training_part_way_through_an_epoch_with_the_cosine_at_zero() -> None:
    # 128 sequences in batches of 32: 4 steps an epoch; 10 steps end in the third epoch
    steps = _Steps()
    set_seed(1)
    model = SequenceModel(ModelConfig(hidden_size=8))
    config = TrainConfig(
        epochs=50, batch_size=32, lr=1e-2, schedule="cosine", max_steps=10, progress=False
    )
    history = Trainer(config, callbacks=[steps]).fit(model, _data())
    assert len(steps.lrs) == 10 and len(history.epochs) == 3
    expected = [1e-2 * 0.5 * (1 + np.cos(np.pi * k / 10)) for k in range(1, 11)]
    np.testing.assert_allclose(steps.lrs, expected, atol=1e-12)  # step by step, to zero


def test_the_cosine_spans_the_epochs_when_they_are_fewer_steps_than_max_steps() -> None:
    steps = _Steps()
    set_seed(1)
    config = TrainConfig(
        epochs=3, batch_size=32, lr=1e-2, schedule="cosine", max_steps=1000, progress=False
    )
    Trainer(config, callbacks=[steps]).fit(SequenceModel(ModelConfig(hidden_size=8)), _data())
    assert len(steps.lrs) == 12
    assert steps.lrs[5] == pytest.approx(0.5e-2) and steps.lrs[-1] == pytest.approx(0.0)


def test_max_steps_must_be_a_positive_integer() -> None:
    with pytest.raises(ValueError, match="max_steps"):
        TrainConfig(max_steps=0)


class _Probe(SequenceModel):
    """A real sequence model that also records, at each training step, the dtype its forward
    pass was autocast to (None: float32)."""

    def __init__(self) -> None:
        super().__init__(ModelConfig(hidden_size=8))
        self.seen: list[torch.dtype | None] = []

    def training_loss(self, batch, state=None):  # type: ignore[no-untyped-def]
        on = torch.is_autocast_enabled("cpu")
        self.seen.append(torch.get_autocast_dtype("cpu") if on else None)
        return super().training_loss(batch, state)


@pytest.mark.parametrize("precision", ["fp32", "bf16", "auto"])
def test_precision_autocasts_the_training_forward_pass_only(precision: str) -> None:
    from seqlab.training import bf16_native

    set_seed(1)
    model = _Probe()
    config = TrainConfig(epochs=4, batch_size=32, lr=1e-2, precision=precision,  # type: ignore[arg-type]
                         val_fraction=0.25, progress=False, device="cpu")  # fmt: skip
    history = Trainer(config).fit(model, _data())
    bf16 = precision == "bf16" or (precision == "auto" and bf16_native(torch.device("cpu")))
    # each epoch: three training steps (96 sequences in batches of 32), then one validation
    # batch in float32
    step = torch.bfloat16 if bf16 else None
    assert model.seen == [step, step, step, None] * 4
    assert history.loss[-1] < history.loss[0]  # and it still learns
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_precision_is_checked() -> None:
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="fp16")  # type: ignore[arg-type]
