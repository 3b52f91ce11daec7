"""The segment-recurrent model: shapes and state, its parallel decoder against a hand
computation, reversible normalisation, channel independence, learning, checkpoints, ONNX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from seqlab import ConfigError, load_checkpoint, save, set_seed
from seqlab.checkpoint import Checkpoint
from seqlab.config import TrainConfig
from seqlab.data.batches import Batch, SequenceData
from seqlab.export import export_onnx
from seqlab.models import Ensemble, EnsembleConfig, SegmentConfig, SegmentRNN
from seqlab.training import Trainer

SMALL = SegmentConfig(lookback=12, horizon=5, segment=4, channels=2, hidden_size=8, dropout=0.0)


def _model(cell: str = "gru", **kw: object) -> SegmentRNN:
    set_seed(0)
    return SegmentRNN(SegmentConfig(**{**SMALL.__dict__, "cell": cell, **kw})).eval()


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("decoder", ["parallel", "recurrent"])
def test_shapes_and_the_state_continues_the_encoding(cell: str, decoder: str) -> None:
    model = _model(cell, decoder=decoder, norm="none")
    x = torch.randn(3, 12, 2)
    with torch.no_grad():
        y, state = model(x)
        # (B, L, C) -> (B, H, C); the state has one row per (sequence, channel)
        assert y.shape == (3, 5, 2)
        first = state[0] if isinstance(state, tuple) else state
        assert first.shape == (1, 6, 8)
        # encoding 2 segments, then the third from the returned state == all 3 at once
        z = x.permute(0, 2, 1).reshape(6, 3, 4)
        _, s1 = model.rnn(model.embed(z[:, :2]))
        _, s2 = model.rnn(model.embed(z[:, 2:]), s1)
        for a, b in zip(
            s2 if isinstance(s2, tuple) else (s2,),
            state if isinstance(state, tuple) else (state,),
            strict=True,
        ):
            torch.testing.assert_close(a, b)


def test_parallel_decoder_is_one_gru_step_per_output_segment() -> None:
    model = _model(norm="none")
    x = torch.randn(2, 12, 2)
    with torch.no_grad():
        y, h = model(x)
        rnn = model.rnn
        w_ih, w_hh, b_ih, b_hh = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
        for b in range(2):
            for c in range(2):
                h0 = h[0, b * 2 + c]
                for k in range(2):  # ceil(5 / 4) = 2 output segments
                    inp = torch.cat([model.position[k], model.channel[c]])
                    gi, gh = w_ih @ inp + b_ih, w_hh @ h0 + b_hh
                    r = torch.sigmoid(gi[:8] + gh[:8])
                    u = torch.sigmoid(gi[8:16] + gh[8:16])
                    n = torch.tanh(gi[16:] + r * gh[16:])
                    h1 = (1 - u) * n + u * h0
                    seg = model.head(h1)
                    steps = range(4 * k, min(4 * k + 4, 5))
                    torch.testing.assert_close(y[b, list(steps), c], seg[: len(steps)])


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("layers", [1, 2])
def test_parallel_decoder_equals_the_rnn_run_on_repeated_rows(cell: str, layers: int) -> None:
    """The decoder broadcasts the input's and the state's halves of each gate; the result
    must be what ``self.rnn`` gives on B·C·m rows (each state repeated per output segment)."""
    model = _model(cell, norm="none", num_layers=layers, horizon=11)  # 3 output segments
    x = torch.randn(3, 12, 2)
    with torch.no_grad():
        y, state = model(x)
        rows, m = 6, 3
        pos = model.position[None].expand(rows, m, -1)
        chan = model.channel.repeat(3, 1)[:, None].expand(rows, m, -1)
        inp = torch.cat([pos, chan], dim=-1).reshape(rows * m, 1, -1)
        rep = tuple(s.repeat_interleave(m, dim=1) for s in (state if cell == "lstm" else (state,)))
        out, _ = model.rnn(inp, rep if cell == "lstm" else rep[0])
        want = model.head(out[:, 0]).reshape(3, 2, m * 4)[..., :11].permute(0, 2, 1)
    torch.testing.assert_close(y, want)


@pytest.mark.parametrize("norm", ["window", "last"])
def test_normalisation_is_undone_on_the_forecast(norm: str) -> None:
    model = _model(norm=norm)
    x = torch.randn(4, 12, 2)
    with torch.no_grad():
        y = model(x)[0]
        shifted = model(x + 100.0)[0]
        torch.testing.assert_close(shifted, y + 100.0, atol=1e-3, rtol=0)
        if norm == "window":  # scale free too
            torch.testing.assert_close(model(5 * x - 3)[0], 5 * y - 3, atol=1e-3, rtol=1e-4)


def test_channels_are_independent() -> None:
    model = _model()
    x = torch.randn(2, 12, 2)
    bumped = x.clone()
    bumped[:, :, 1] += torch.randn(2, 12)
    with torch.no_grad():
        a, b = model(x)[0], model(bumped)[0]
    torch.testing.assert_close(a[..., 0], b[..., 0])
    assert not torch.allclose(a[..., 1], b[..., 1])


def test_bad_configs_and_inputs_are_refused() -> None:
    with pytest.raises(ConfigError, match="multiple of `segment`"):
        SegmentConfig(lookback=10, horizon=2, segment=4)
    with pytest.raises(ConfigError, match="decoder"):
        SegmentConfig(lookback=8, horizon=2, segment=4, decoder="diagonal")  # type: ignore[arg-type]
    model = _model()
    with pytest.raises(ValueError, match="windows of 12 steps, got 8"):
        model(torch.randn(1, 8, 2))
    with pytest.raises(ValueError, match=r"shape \(batch, time, 2\)"):
        model(torch.randn(1, 12, 3))
    with pytest.raises(ValueError, match="no future covariates"):
        model(torch.randn(1, 12, 2), None, torch.randn(1, 5, 1))
    with pytest.raises(ValueError, match="state holds 4 rows"):
        model(torch.randn(3, 12, 2), torch.zeros(1, 4, 8))


def _seasonal_windows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of a daily-like cycle of period 4 with a random level and scale per window."""
    rng = np.random.default_rng(seed)
    t = np.arange(12 + 4)
    phase = rng.integers(0, 4, n)[:, None]
    shape = np.array([0.0, 1.0, 3.0, 1.0])[(t[None, :] + phase) % 4]
    level, scale = rng.normal(0, 50, (n, 1)), rng.uniform(0.5, 20, (n, 1))
    series = level + scale * (shape + rng.normal(0, 0.05, shape.shape))
    return series[:, :12, None].astype(np.float32), series[:, 12:, None].astype(np.float32)


def test_it_learns_a_season_whatever_the_level_and_scale() -> None:
    set_seed(0)
    config = SegmentConfig(lookback=12, horizon=4, segment=4, hidden_size=16, dropout=0.0)
    model = SegmentRNN(config)
    x, y = _seasonal_windows(512, 0)
    Trainer(TrainConfig(epochs=30, batch_size=64, lr=1e-2, progress=False)).fit(
        model, SequenceData.from_arrays(x, y)
    )
    xt, yt = _seasonal_windows(200, 1)
    with torch.no_grad():
        pred = model.eval()(torch.from_numpy(xt))[0].numpy()
    naive = np.repeat(xt[:, -1:], 4, axis=1)
    ours, theirs = np.abs(pred - yt).mean(), np.abs(naive - yt).mean()
    assert ours < 0.2 * theirs, (ours, theirs)


def test_training_loss_is_in_normalised_units() -> None:
    model = _model(loss="mae").train()
    x, y = torch.randn(3, 12, 2), torch.randn(3, 5, 2)
    loss, _ = model.training_loss(Batch(x, y))
    big, _ = model.training_loss(Batch(1000 * x, 1000 * y))
    torch.testing.assert_close(loss, big, rtol=1e-3, atol=1e-4)
    model.eval()
    with torch.no_grad():
        pred = model(x)[0]
        _, scale = model._stats(x)
        want = ((pred - y) / scale).abs().mean()
        torch.testing.assert_close(model.forecast_loss(pred, Batch(x, y)), want)
        torch.testing.assert_close(model.training_loss(Batch(x, y))[0], want)


def test_checkpoint_round_trip_single_and_ensemble(tmp_path: Path) -> None:
    x = torch.randn(3, 12, 2)
    model = _model("lstm")
    save(tmp_path / "one", model)
    loaded = load_checkpoint(tmp_path / "one").model
    assert isinstance(loaded, SegmentRNN) and loaded.config == model.config
    with torch.no_grad():
        torch.testing.assert_close(loaded(x)[0], model(x)[0])
    set_seed(0)
    ens = Ensemble(EnsembleConfig(SMALL, 3)).eval()
    save(tmp_path / "ens", ens)
    back = load_checkpoint(tmp_path / "ens").model
    assert isinstance(back, Ensemble) and back.config.member_kind == "segment_rnn"
    with torch.no_grad():
        torch.testing.assert_close(back(x)[0], ens(x)[0])
        members = [m(x)[0] for m in ens.members]
        torch.testing.assert_close(ens(x)[0], sum(members) / 3)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_onnx_export_matches_pytorch(cell: str, tmp_path: Path) -> None:
    model = _model(cell)
    path = export_onnx(Checkpoint(model), tmp_path / "seg.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(3)
    for batch in (1, 4):
        x = torch.randn(batch, 12, 2, generator=g)
        h = torch.randn(1, batch * 2, 8, generator=g)
        c = torch.randn(1, batch * 2, 8, generator=g)
        state = (h, c) if cell == "lstm" else h
        feeds = {"x": x.numpy(), "h": h.numpy()} | ({"c": c.numpy()} if cell == "lstm" else {})
        with torch.no_grad():
            y, new = model(x, state)
        outs = session.run(None, feeds)
        np.testing.assert_allclose(outs[0], y.numpy(), atol=1e-4)
        want = new if isinstance(new, tuple) else (new,)
        for got, w in zip(outs[1:], want, strict=True):
            np.testing.assert_allclose(got, w.numpy(), atol=1e-4)


def test_members_with_their_own_lookbacks_read_the_end_of_the_window() -> None:
    member = SegmentConfig(lookback=12, horizon=5, segment=4, channels=2, hidden_size=8)
    set_seed(0)
    ens = Ensemble(EnsembleConfig(member, 2, lookbacks=(8, 12))).eval()
    assert [m.config.lookback for m in ens.members] == [8, 12]
    x = torch.randn(3, 12, 2)
    with torch.no_grad():
        want = (ens.members[0](x[:, -8:])[0] + ens.members[1](x)[0]) / 2
        torch.testing.assert_close(ens(x)[0], want)
    with pytest.raises(ConfigError, match="longest"):
        EnsembleConfig(member, 2, lookbacks=(8, 8))
    with pytest.raises(ConfigError, match="multiple of `segment`"):
        EnsembleConfig(member, 2, lookbacks=(6, 12))


@pytest.mark.parametrize("decoder", ["parallel", "recurrent"])
def test_repeat_skip_copies_the_last_season_through_its_gate(decoder: str, tmp_path: Path) -> None:
    """With the head silenced and the gate open, the forecast is the last input segment
    repeated (in the data's units); with the gate shut it is the head alone; the skip survives
    a checkpoint and ONNX export."""
    set_seed(0)
    config = SegmentConfig(lookback=12, horizon=8, segment=4, channels=2, repeat_skip=True,
                           decoder=decoder, dropout=0.0)  # fmt: skip
    model = SegmentRNN(config).eval()
    x = torch.randn(3, 12, 2) * 5 + 20
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
        model.skip_gate.weight.zero_()  # type: ignore[union-attr]
        model.skip_gate.bias.fill_(50.0)  # type: ignore[union-attr]
        y, _ = model(x)
        torch.testing.assert_close(y, x[:, -4:].repeat(1, 2, 1), atol=1e-4, rtol=0)
        model.skip_gate.bias.fill_(-50.0)  # type: ignore[union-attr]
        shut, _ = model(x)
    centre = x[:, -4:].mean(dim=1, keepdim=True)
    torch.testing.assert_close(shut, centre.expand_as(shut), atol=1e-4, rtol=0)
    model.skip_gate.bias.data.fill_(0.3)  # type: ignore[union-attr]
    loaded = load_checkpoint(save(tmp_path / "m", Checkpoint(model))).model
    torch.testing.assert_close(loaded(x)[0], model(x)[0])
    if decoder == "parallel":
        path = export_onnx(Checkpoint(model), tmp_path / "m.onnx")
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        h = np.zeros((1, 6, config.hidden_size), np.float32)
        got = session.run(None, {"x": x.numpy(), "h": h})[0]
        np.testing.assert_allclose(got, model(x)[0].detach().numpy(), atol=1e-4)
