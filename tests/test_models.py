from __future__ import annotations

import numpy as np
import pytest
import torch

from reference import run_rnn
from seqlab import ModelConfig, SequenceModel, set_seed
from seqlab.models.state import state_tensors

CELLS = ["lstm", "gru"]


def _model(cell: str = "lstm", **kwargs: object) -> SequenceModel:
    set_seed(0)
    return SequenceModel(ModelConfig(cell=cell, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("lstm", [0.17426971865610508, 0.5008593804749574]),
        ("gru", [0.17446802061504182, 0.3290781118718679]),
    ],
)
def test_fixed_weights_give_hand_computed_outputs(cell: str, expected: list[float]) -> None:
    # hidden 1, every weight 0.5, biases 0; the head passes h through unchanged.
    model = _model(cell, hidden_size=1)
    with torch.no_grad():
        for name, p in model.backbone.rnn.named_parameters():
            p.fill_(0.5 if name.startswith("weight") else 0.0)
        model.head.linear.weight.fill_(1.0)
        model.head.linear.bias.fill_(0.0)
    y, _ = model(torch.tensor([[[1.0], [2.0]]]))
    np.testing.assert_allclose(y[0, :, 0].detach().numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("num_layers", [1, 2])
def test_fused_backbone_matches_numpy_reference_cells(
    cell: str, num_layers: int, rng: np.random.Generator
) -> None:
    model = _model(cell, input_size=3, hidden_size=5, num_layers=num_layers)
    x = rng.normal(size=(4, 7, 3)).astype(np.float32)
    out, state = model.backbone(torch.from_numpy(x))
    ref_out, ref_finals = run_rnn(model.backbone.rnn, x)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, atol=1e-5)
    h = state[0] if isinstance(state, tuple) else state
    np.testing.assert_allclose(h.detach().numpy(), np.stack(ref_finals), atol=1e-5)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(
    ("head", "task", "shape"),
    [
        ("per_step", "regression", (4, 6, 2)),
        ("last", "regression", (4, 2)),
        ("per_step", "classification", (4, 6, 3)),
        ("last", "classification", (4, 3)),
    ],
)
def test_output_and_state_shapes(cell: str, head: str, task: str, shape: tuple[int, ...]) -> None:
    kwargs: dict[str, object] = {
        "head": head,
        "task": task,
        "input_size": 2,
        "hidden_size": 8,
        "num_layers": 2,
    }
    kwargs.update({"num_classes": 3} if task == "classification" else {"output_size": 2})
    model = _model(cell, **kwargs)
    y, state = model(torch.zeros(4, 6, 2))
    assert tuple(y.shape) == shape
    tensors = state if isinstance(state, tuple) else (state,)
    assert len(tensors) == (2 if cell == "lstm" else 1)
    assert all(tuple(t.shape) == (2, 4, 8) for t in tensors)


@pytest.mark.parametrize("cell", CELLS)
def test_state_carried_across_calls_equals_one_call(cell: str, rng: np.random.Generator) -> None:
    model = _model(cell, hidden_size=6, num_layers=2).eval()
    x = torch.from_numpy(rng.normal(size=(3, 12, 1)).astype(np.float32))
    whole, whole_state = model(x)
    a, state = model(x[:, :5])
    b, state = model(x[:, 5:9], state)
    c, state = model(x[:, 9:], state)
    torch.testing.assert_close(torch.cat([a, b, c], dim=1), whole, atol=1e-5, rtol=0)
    for s1, s2 in zip(
        torch.utils._pytree.tree_leaves(state),
        torch.utils._pytree.tree_leaves(whole_state),
        strict=True,
    ):
        torch.testing.assert_close(s1, s2, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_padded_steps_never_reach_last_head_or_state(cell: str, rng: np.random.Generator) -> None:
    model = _model(cell, head="last", hidden_size=6).eval()
    seqs = [rng.normal(size=(n, 1)).astype(np.float32) for n in (5, 2, 7)]
    padded = np.full((3, 7, 1), 99.0, np.float32)  # garbage in the padding
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    y, state = model(torch.from_numpy(padded), lengths=torch.tensor([5, 2, 7]))
    for i, s in enumerate(seqs):
        yi, si = model(torch.from_numpy(s)[None])
        torch.testing.assert_close(y[i], yi[0], atol=1e-6, rtol=0)
        h, hi = (state[0], si[0]) if cell == "lstm" else (state, si)
        torch.testing.assert_close(h[:, i], hi[:, 0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_training_on_padded_batches_matches_packed_sequences(
    cell: str, layers: int, rng: np.random.Generator
) -> None:
    # With gradients on, variable lengths take the padded fast path; without, the packed
    # one. Same valid outputs, zeros after each length, the same final state, and the same
    # parameter gradients of a loss on the outputs.
    model = _model(cell, hidden_size=5, num_layers=layers)
    backbone = model.backbone
    x = torch.from_numpy(rng.normal(size=(4, 9, 1)).astype(np.float32))
    x[1, 4:] = 99.0  # garbage in the padding
    lengths = torch.tensor([9, 4, 1, 6])
    h0 = torch.from_numpy(rng.normal(size=(layers, 4, 5)).astype(np.float32))
    state0 = (h0, torch.tanh(h0)) if cell == "lstm" else h0
    for init in (None, state0):
        fast, fast_state = backbone(x, init, lengths)
        packed, packed_state = backbone._packed(x, init, lengths)
        torch.testing.assert_close(fast, packed, atol=1e-6, rtol=0)
        assert torch.all(fast[1, 4:] == 0) and torch.all(fast[2, 1:] == 0)
        for a, b in zip(state_tensors(fast_state), state_tensors(packed_state), strict=True):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
        grads = []
        for out in (fast, packed):
            model.zero_grad()
            (out**2).sum().backward()
            grads.append([p.grad.clone() for p in backbone.parameters()])
        for a, b in zip(*grads, strict=True):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    with torch.no_grad():  # inference: the packed path itself
        out, _ = backbone(x, None, lengths)
    torch.testing.assert_close(out, backbone._packed(x, None, lengths)[0], atol=0, rtol=0)


def test_padded_steps_do_not_change_the_per_step_loss(rng: np.random.Generator) -> None:
    model = _model("lstm", hidden_size=4)
    x = torch.from_numpy(rng.normal(size=(2, 6, 1)).astype(np.float32))
    y = torch.from_numpy(rng.normal(size=(2, 6, 1)).astype(np.float32))
    lengths = torch.tensor([3, 6])
    pred, _ = model(x, lengths=lengths)
    base = model.loss(pred, y, lengths)
    y2 = y.clone()
    y2[0, 3:] = 1e6  # targets in the padding must not matter
    assert torch.equal(model.loss(pred, y2, lengths), base)


def test_time_major_input_with_carried_state_is_caught() -> None:
    # The original bug: time-major data fed where batch-major was expected.
    model = _model("lstm", hidden_size=4).eval()
    batch_major = torch.zeros(8, 20, 1)
    _, state = model(batch_major)
    with pytest.raises(
        ValueError, match=r"state holds 8 sequences but the input batch has 20.*batch first"
    ):
        model(batch_major.transpose(0, 1), state)


def test_wrong_layouts_name_the_expected_shape() -> None:
    model = _model("lstm", input_size=3, hidden_size=4)
    with pytest.raises(
        ValueError,
        match=r"expected input of shape \(batch, time, 3\) — batch first — got \(4, 50, 7\)",
    ):
        model(torch.zeros(4, 50, 7))
    with pytest.raises(ValueError, match=r"time-major or feature-first"):
        model(torch.zeros(3, 50, 4))
    one = _model("lstm", hidden_size=4)
    with pytest.raises(ValueError, match=r"x\.unsqueeze\(-1\)"):
        one(torch.zeros(4, 50))
    with pytest.raises(TypeError, match="floating-point"):
        one(torch.zeros(4, 5, 1, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        one(np.zeros((4, 5, 1)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`lengths` must lie in \[1, 5\]"):
        one(torch.zeros(2, 5, 1), lengths=torch.tensor([0, 5]))
    with pytest.raises(TypeError, match=r"an LSTM state is a pair \(h, c\)"):
        one(torch.zeros(2, 5, 1), torch.zeros(1, 2, 4))
