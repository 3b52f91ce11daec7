"""Deep ensembles of encoder–decoders: the forecast is the members' mean, each member trains
on its own loss, validation scores the mean, checkpoints round-trip, Forecaster(ensemble=K)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab import CheckpointError, ConfigError, load_checkpoint, save
from seqlab.config import Seq2SeqConfig
from seqlab.data.batches import Batch
from seqlab.data.sources import load_array
from seqlab.export import export_onnx
from seqlab.forecasting import ForecastConfig, Forecaster
from seqlab.losses import masked_mse
from seqlab.models import Ensemble, EnsembleConfig

MEMBER = Seq2SeqConfig(horizon=3, input_size=2, output_size=1, hidden_size=8, future_size=1)


def _ensemble(size: int = 3) -> Ensemble:
    torch.manual_seed(0)
    return Ensemble(EnsembleConfig(MEMBER, size))


def _batch() -> Batch:
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(4, 5, 2, generator=g), torch.randn(4, 3, 1, generator=g)
    return Batch(x, y, None, torch.randn(4, 3, 1, generator=g))


def test_forecast_is_the_mean_of_independently_initialised_members() -> None:
    model, b = _ensemble().eval(), _batch()
    with torch.no_grad():
        y, state = model(b.x, None, b.future)
        members = [m(b.x, None, b.future)[0] for m in model.members]
    assert state is None
    assert y.shape == (4, 3, 1)
    torch.testing.assert_close(y, sum(members) / 3)
    assert not torch.equal(members[0], members[1])  # different initial weights


def test_training_loss_is_the_members_mean_and_validation_scores_the_mean() -> None:
    model, b = _ensemble(), _batch()
    model.train()
    loss, _ = model.training_loss(b)
    own = [m.training_loss(b)[0] for m in model.members]
    torch.testing.assert_close(loss, torch.stack(own).mean())
    loss.backward()
    # each member's gradient comes from its own loss only: the same as alone (scaled 1/K)
    first = model.members[0]
    grad = first.decoder.head.weight.grad.clone()
    first.zero_grad()
    first.training_loss(b)[0].backward()
    torch.testing.assert_close(grad, first.decoder.head.weight.grad / 3)
    model.eval()
    with torch.no_grad():
        val, _ = model.training_loss(b)
        expected = masked_mse(model(b.x, None, b.future)[0], b.y, None)
    torch.testing.assert_close(val, expected)


def test_checkpoint_round_trip_and_refusals(tmp_path: Path) -> None:
    model, b = _ensemble().eval(), _batch()
    ckpt = load_checkpoint(save(tmp_path / "ens", model))
    assert isinstance(ckpt.model, Ensemble)
    assert ckpt.model.config == model.config
    with torch.no_grad():
        again = ckpt.model(b.x, None, b.future)[0]
        torch.testing.assert_close(again, model(b.x, None, b.future)[0])
    with pytest.raises(ValueError, match="takes no state"):
        model(b.x, torch.zeros(1, 4, 8), b.future)
    with pytest.raises(CheckpointError, match="export one member at a time"):
        export_onnx(ckpt, tmp_path / "m.onnx")
    with pytest.raises(ConfigError, match="`size` must be an integer from 1 to 1,000, got 0"):
        EnsembleConfig(MEMBER, 0)


def test_forecaster_ensemble_fits_saves_and_reloads(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(200)
    series = load_array(np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.1, 200), ["y"])
    config = ForecastConfig.of(
        lookback=12, horizon=3, hidden_size=8, num_layers=1, epochs=5, patience=None, ensemble=3
    )
    f = Forecaster(config).fit(series)
    assert isinstance(f.checkpoint.model, Ensemble)  # type: ignore[union-attr]
    assert len(f.checkpoint.model.members) == 3  # type: ignore[union-attr]
    forecast, _ = f.predict_arrays()
    loaded = Forecaster.load(f.save(tmp_path / "f"))
    np.testing.assert_allclose(loaded.predict_arrays(series)[0], forecast, rtol=1e-5)
    single = Forecaster(config.replace(ensemble=1)).fit(series)
    assert not isinstance(single.checkpoint.model, Ensemble)  # type: ignore[union-attr]
