from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import seqlab
from seqlab import Callback, ConfigError, Seq2Seq, Seq2SeqConfig, SequenceData, TrainConfig, Trainer
from seqlab.data.batches import Batch

BASE = Seq2SeqConfig(horizon=3, input_size=2, output_size=1, hidden_size=8, num_layers=2)


def _model(config: Seq2SeqConfig = BASE) -> Seq2Seq:
    seqlab.set_seed(0)
    return Seq2Seq(config).eval()


def _xy(
    config: Seq2SeqConfig = BASE, batch: int = 4, lookback: int = 5
) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, lookback, config.input_size, generator=g)
    y = torch.randn(batch, config.horizon, config.output_size, generator=g)
    return x, y


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"decoder": "unconditioned"},
        {"mode": "direct"},
        {"composite": True},
        {"future_size": 2},
        {"mode": "direct", "future_size": 2},
    ],
)
def test_shapes(cell: str, variant: dict[str, object]) -> None:
    config = replace(BASE, cell=cell, **variant)  # type: ignore[arg-type]
    model = _model(config)
    x, _ = _xy(config)
    future = torch.randn(4, 3, config.future_size) if config.future_size else None
    y, state = model(x, future=future)
    assert tuple(y.shape) == (4, 3, 1)
    tensors = state if isinstance(state, tuple) else (state,)
    assert all(tuple(t.shape) == (2, 4, 8) for t in tensors)
    if config.composite:
        assert tuple(model.reconstruct(x, state).shape) == (4, 5, 2)


def test_teacher_forcing_feeds_the_true_previous_values() -> None:
    model = _model()
    x, y = _xy()
    state = model.encode(x)
    forced = model.decode(state, x, target=y, ratio=1.0)
    y2 = y.clone()
    y2[:, 1] += 5.0  # changes the input of step 2 only
    forced2 = model.decode(state, x, target=y2, ratio=1.0)
    torch.testing.assert_close(forced[:, :2], forced2[:, :2])
    assert not torch.allclose(forced[:, 2], forced2[:, 2])
    # the fused teacher-forcing call equals feeding the truth step by step
    stepwise = model.decoder._autoregressive(state, x[:, -1, :1], 3, None, y, 1.0)  # type: ignore[union-attr]
    torch.testing.assert_close(forced, stepwise, atol=1e-6, rtol=0)


def test_inference_is_autoregressive_and_never_sees_targets() -> None:
    model = _model()
    x, y = _xy()
    pred, state = model(x)
    # free running with targets given ignores them
    torch.testing.assert_close(model.decode(state, x, target=y * 100, ratio=0.0), pred)
    # step by step by hand: each step's input is the previous prediction
    prev, dec_state, outs = x[:, -1, :1], state, []
    for _ in range(3):
        out, dec_state = model.decoder.rnn(prev[:, None], dec_state)  # type: ignore[union-attr]
        prev = model.decoder.head(out[:, 0])  # type: ignore[union-attr]
        outs.append(prev)
    torch.testing.assert_close(torch.stack(outs, 1), pred, atol=1e-6, rtol=0)


@torch.no_grad()
def test_training_loss_uses_targets_only_in_training_mode() -> None:
    model = _model()
    x, y = _xy()
    model.train()
    loss_train, _ = model.training_loss(Batch(x, y))
    model.eval()
    loss_eval, _ = model.training_loss(Batch(x, y))
    pred, _ = model(x)
    assert float(loss_eval) == pytest.approx(float(torch.nn.functional.mse_loss(pred, y)))
    assert float(loss_train) != pytest.approx(float(loss_eval))


def test_mixed_ratio_uses_the_truth_for_about_that_share_of_samples() -> None:
    config = replace(BASE, input_size=1)
    model = _model(config)
    x, y = _xy(config, batch=2000)
    state = model.encode(x)
    forced = model.decode(state, x, target=y, ratio=1.0)
    torch.manual_seed(0)
    mixed = model.decoder._autoregressive(state, x[:, -1], 3, None, y, 0.3)  # type: ignore[union-attr]
    share = torch.isclose(mixed[:, 1], forced[:, 1], atol=1e-6).float().mean().item()
    assert 0.25 < share < 0.35


def test_scheduled_sampling_decays_the_ratio_over_training() -> None:
    seen: list[float] = []

    class Record(Callback):
        def on_epoch_start(self, trainer: Trainer, model: torch.nn.Module, epoch: int) -> None:
            seen.append(model.teacher_forcing_ratio)  # type: ignore[arg-type]

    model = _model(replace(BASE, regime="scheduled_sampling"))
    x, y = _xy()
    Trainer(TrainConfig(epochs=3, progress=False), [Record()]).fit(
        model, SequenceData.from_arrays(x, y)
    )
    assert seen == [1.0, 0.5, 0.0]
    assert _model(replace(BASE, regime="free_running")).teacher_forcing_ratio == 0.0
    assert (
        _model(replace(BASE, regime="mixed", teacher_forcing_ratio=0.4)).teacher_forcing_ratio
        == 0.4
    )


@torch.no_grad()
def test_composite_adds_the_reconstruction_loss_and_is_dropped_at_inference() -> None:
    plain, composite = _model(), _model(replace(BASE, composite=True))
    composite.encoder.load_state_dict(plain.encoder.state_dict())
    composite.decoder.load_state_dict(plain.decoder.state_dict())  # type: ignore[union-attr]
    x, y = _xy()
    torch.testing.assert_close(composite(x)[0], plain(x)[0])
    loss_plain, _ = plain.training_loss(Batch(x, y))
    loss_comp, state = composite.training_loss(Batch(x, y))
    recon = torch.nn.functional.mse_loss(composite.reconstruct(x, state), x.flip(1))
    assert float(loss_comp) == pytest.approx(float(loss_plain + recon), rel=1e-5)


@torch.no_grad()
def test_l2_penalises_the_recurrent_weights() -> None:
    x, y = _xy()
    plain, _ = _model().training_loss(Batch(x, y))
    model = _model(replace(BASE, l2=0.1))
    with_l2, _ = model.training_loss(Batch(x, y))
    w_hh = sum(float(p.pow(2).sum()) for n, p in model.named_parameters() if "weight_hh" in n)
    assert float(with_l2) == pytest.approx(float(plain) + 0.1 * w_hh, rel=1e-5)


def test_future_covariates_reach_the_decoder_and_are_checked() -> None:
    config = replace(BASE, future_size=2)
    model = _model(config)
    x, _ = _xy(config)
    a, _ = model(x, future=torch.zeros(4, 3, 2))
    b, _ = model(x, future=torch.ones(4, 3, 2))
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError, match=r"expected `future` covariates of shape \(4, 3, 2\)"):
        model(x, future=torch.zeros(4, 2, 2))
    with pytest.raises(ValueError, match="takes no future covariates"):
        _model()(x, future=torch.zeros(4, 3, 2))


def test_encoder_state_continues_across_calls() -> None:
    model = _model()
    x, _ = _xy(lookback=6)
    whole, _ = model(x)
    _, state = model(x[:, :4])
    continued, _ = model(x[:, 4:], state)
    torch.testing.assert_close(continued, whole, atol=1e-6, rtol=0)


def test_mismatched_target_shapes_are_refused() -> None:
    model = _model()
    x, y = _xy()
    with pytest.raises(
        ValueError, match=r"targets of shape \(4, 3\) do not match the model's output \(4, 3, 1\)"
    ):
        model.training_loss(Batch(x, y[..., 0]))


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="`horizon` must be an integer from 1 to 100,000"):
        Seq2SeqConfig(horizon=0)
    with pytest.raises(ConfigError, match="cannot exceed `input_size`"):
        Seq2SeqConfig(horizon=2, input_size=1, output_size=2)
    with pytest.raises(ConfigError, match="`composite` needs mode='seq2seq'"):
        Seq2SeqConfig(horizon=2, mode="direct", composite=True)
    with pytest.raises(ConfigError, match="`regime` must be one of"):
        Seq2SeqConfig(horizon=2, regime="sometimes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "variant", [{}, {"composite": True, "cell": "gru"}, {"mode": "direct", "future_size": 1}]
)
def test_checkpoint_round_trip(variant: dict[str, object], tmp_path: Path) -> None:
    config = replace(BASE, **variant)  # type: ignore[arg-type]
    model = _model(config)
    x, y = _xy(config)
    future = (
        np.random.default_rng(0).normal(size=(4, 3, config.future_size))
        if config.future_size
        else None
    )
    data = SequenceData.from_arrays(x, y, future=future)
    history = Trainer(TrainConfig(epochs=2, progress=False)).fit(model, data)
    scaler = seqlab.StandardScaler().fit(x.numpy())
    fscaler = seqlab.StandardScaler().fit(future) if future is not None else None
    path = seqlab.save(
        tmp_path / "s2s", model, x_scaler=scaler, future_scaler=fscaler, history=history
    )
    loaded = seqlab.load_checkpoint(path)
    assert isinstance(loaded.model, Seq2Seq)
    assert loaded.model.config == config
    before = seqlab.Checkpoint(model, x_scaler=scaler, future_scaler=fscaler).predict(
        x, future=future
    )
    after = loaded.predict(x, future=future)
    np.testing.assert_array_equal(before.values, after.values)


def test_instance_norm_makes_forecasts_shift_equivariant() -> None:
    config = replace(BASE, input_size=1, instance_norm=True, linear_skip=5)
    model = _model(config)
    x, _ = _xy(config)
    y, _ = model(x)
    y_shifted, _ = model(x + 100.0)
    torch.testing.assert_close(y_shifted, y + 100.0, atol=1e-4, rtol=0)
    with pytest.raises(ValueError, match="reads windows of 5 steps, got 4"):
        model(x[:, 1:])
    with pytest.raises(TypeError, match="not supported by Stream"):
        seqlab.Stream(model)
