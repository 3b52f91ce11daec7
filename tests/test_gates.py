"""Gate introspection (issue 15 item 4): gates recomputed from a model's own weights give back
PyTorch's hidden states exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import seqlab
from cli_run import seqlab as run
from seqlab import ModelConfig, Seq2Seq, Seq2SeqConfig, SequenceModel
from seqlab.inspect import gates
from seqlab.models import SegmentConfig, SegmentRNN


def _x(n: int = 3, t: int = 7, f: int = 2) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(0).normal(size=(n, t, f)).astype(np.float32))


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU])
def test_recomputed_states_equal_pytorchs(cell: type[nn.LSTM] | type[nn.GRU]) -> None:
    torch.manual_seed(0)
    rnn = cell(2, 5, num_layers=3, batch_first=True).eval()
    x = _x()
    out, state = rnn(x)
    found = gates(rnn, x)
    assert found.h.shape == (3, 3, 7, 5)
    torch.testing.assert_close(found.h[-1], out, atol=1e-6, rtol=0)
    h_n = state[0] if isinstance(state, tuple) else state
    torch.testing.assert_close(found.h[:, :, -1], h_n, atol=1e-6, rtol=0)
    if cell is nn.LSTM:
        assert isinstance(state, tuple) and found.c is not None
        torch.testing.assert_close(found.c[:, :, -1], state[1], atol=1e-6, rtol=0)
        assert found.names() == ["input", "forget", "cell", "output"]
        assert found.forget is not None and float(found.forget.min()) > 0
        assert float(found.forget.max()) < 1
    else:
        assert found.names() == ["reset", "update", "new"] and found.c is None


def test_seqlab_models_and_their_input_normalisation() -> None:
    seqlab.set_seed(0)
    model = SequenceModel(ModelConfig(input_size=2, hidden_size=6, num_layers=2)).eval()
    x = _x()
    top, _ = model.backbone(x)
    torch.testing.assert_close(gates(model, x).h[-1], top, atol=1e-6, rtol=0)
    s2s = Seq2Seq(
        Seq2SeqConfig(horizon=2, input_size=2, output_size=1, hidden_size=4, instance_norm=True)
    ).eval()
    shifted = torch.cat([x[..., :1] - x[:, -1:, :1], x[..., 1:]], dim=-1)
    _, enc = s2s.encoder(shifted)  # the encoder reads each window less its last value
    h_n = enc[0] if isinstance(enc, tuple) else enc
    torch.testing.assert_close(gates(s2s, x).h[:, :, -1], h_n, atol=1e-6, rtol=0)


def test_what_gates_cannot_read_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="batch-first inputs"):
        gates(nn.LSTM(2, 3), _x())
    with pytest.raises(ValueError, match="reads 2 feature"):
        gates(nn.GRU(2, 3, batch_first=True), _x(f=3))
    with pytest.raises(ValueError, match=r"shape \(sequences, steps, features\)"):
        gates(nn.GRU(2, 3, batch_first=True), np.zeros((4, 2)))
    with pytest.raises(TypeError, match="got Linear"):
        gates(nn.Linear(2, 3), _x())


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_segment_models_one_step_per_segment_and_ensembles(cell: str) -> None:
    """A SegmentRNN's gates run over its segment embeddings (one row per sequence and
    channel); the final h equals the state its encoder returns. An ensemble shows its first
    member, reading that member's own lookback."""
    seqlab.set_seed(0)
    config = SegmentConfig(lookback=8, horizon=2, segment=4, channels=2, cell=cell, hidden_size=5)
    model = SegmentRNN(config).eval()
    x = _x(t=8, f=2)
    found = gates(model, x)
    assert found.h.shape == (1, x.shape[0] * 2, 2, 5)  # (layers, N * C, segments, D)
    _, state = model(x)
    h_n = state[0] if isinstance(state, tuple) else state
    torch.testing.assert_close(found.h[:, :, -1], h_n, atol=1e-6, rtol=0)
    from seqlab.models.ensemble import Ensemble, EnsembleConfig

    ensemble = Ensemble(EnsembleConfig(config, 2, lookbacks=(4, 8))).eval()
    assert gates(ensemble, x).h.shape == (1, x.shape[0] * 2, 1, 5)  # member 0 reads 4 steps


def test_cli_draws_the_gates_of_a_checkpoint(tmp_path: Path) -> None:
    seqlab.set_seed(0)
    model = SequenceModel(ModelConfig(cell="lstm", hidden_size=4))
    path = seqlab.save(tmp_path / "m", model, data={"inputs": ["x"], "sequence_col": "sequence"})
    (tmp_path / "in.csv").write_text(
        "sequence,x\n" + "".join(f"{s},{b}\n" for s in ("a", "b") for b in (1, 0, 1, 1, 0))
    )
    out = tmp_path / "gates.png"
    done = run(
        "inspect-gates", "--checkpoint", str(path), "--input", str(tmp_path / "in.csv"),
        "--sequence", "b", "--output", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "lstm: input, forget, cell, output; 5 steps" in done.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    missing = run(
        "inspect-gates", "--checkpoint", str(path), "--input", str(tmp_path / "in.csv"),
        "--sequence", "zz", "--output", str(out),
    )  # fmt: skip
    assert missing.returncode == 2 and "no sequence 'zz'" in missing.stderr
