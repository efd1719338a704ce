"""Optional cross-check against PyTorch (float64, values and gradients to 1e-10).

Skipped, with the reason shown by `pytest -ra`, when torch is not installed: CI does
not install it. To run it locally: `pip install torch` then `pytest tests/test_torch_crosscheck.py`.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed; the optional cross-check against it is skipped")

import micrograd as mg  # noqa: E402
from micrograd import Tensor  # noqa: E402

RTOL, ATOL = 1e-10, 1e-10

rng = np.random.default_rng(12345)
A34 = rng.standard_normal((3, 4))
B14 = rng.standard_normal((1, 4))
P34 = rng.uniform(0.5, 2.0, (3, 4))
C234 = rng.standard_normal((2, 3, 4))
D45 = rng.standard_normal((4, 5))
MASK = A34 > 0
IDX = np.array([2, 0, 2, 1, 2])

# name -> (inputs, micrograd fn, torch fn). Each is applied to the same float64 inputs.
CASES = {
    "add_broadcast": ([A34, B14], lambda a, b: a + b, lambda a, b: a + b),
    "sub_mul_div": ([A34, P34], lambda a, p: (a - p) * a / p, lambda a, p: (a - p) * a / p),
    "pow": ([P34, A34], lambda p, a: p ** a, lambda p, a: p ** a),
    "matmul_batched": ([C234, D45], lambda c, d: c @ d, lambda c, d: c @ d),
    "matmul_vector": ([A34, D45[:, 0]], lambda a, v: a @ v, lambda a, v: a @ v),
    "exp_log_sqrt": ([P34], lambda p: p.exp() + p.log() * p.sqrt(),
                     lambda p: p.exp() + p.log() * p.sqrt()),
    "tanh_sigmoid_relu_abs": ([A34], lambda a: a.tanh() * a.sigmoid() + a.relu() - abs(a),
                              lambda a: a.tanh() * a.sigmoid() + a.relu() - a.abs()),
    "sum_mean_axes": ([C234], lambda c: c.sum(axis=(0, 2)) + c.mean(axis=0).sum(axis=1),
                      lambda c: c.sum(dim=(0, 2)) + c.mean(dim=0).sum(dim=1)),
    "max_min": ([A34], lambda a: a.max(axis=1) - a.min(axis=0, keepdims=True).sum(),
                lambda a: a.amax(dim=1) - a.amin(dim=0, keepdim=True).sum()),
    "softmax_log_softmax": ([A34], lambda a: a.softmax(axis=1) * a.log_softmax(axis=0),
                            lambda a: a.softmax(dim=1) * a.log_softmax(dim=0)),
    "logsumexp": ([C234], lambda c: c.logsumexp(axis=(1, 2)), lambda c: c.logsumexp(dim=(1, 2))),
    "getitem_repeats_and_mask": ([A34], lambda a: a[IDX].sum(axis=0) + a[MASK].sum(),
                                 lambda a: a[torch.as_tensor(IDX)].sum(dim=0)
                                 + a[torch.as_tensor(MASK)].sum()),
    "reshape_transpose": ([C234], lambda c: c.reshape(4, 6).T * 2,
                          lambda c: c.reshape(4, 6).T * 2),
    "concatenate_stack": ([A34, B14],
                          lambda a, b: mg.stack([mg.concatenate([a, b], axis=0)[1:3], a[1:] * b],
                                                axis=1),
                          lambda a, b: torch.stack([torch.cat([a, b], dim=0)[1:3], a[1:] * b],
                                                   dim=1)),
    "where_clip_maximum": ([A34, B14], lambda a, b: mg.where(MASK, a, b).clip(-0.5, 0.7)
                           + mg.maximum(a, b), lambda a, b: torch.where(
                               torch.as_tensor(MASK), a, b).clamp(-0.5, 0.7) + torch.maximum(a, b)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_torch(name):
    inputs, mg_fn, torch_fn = CASES[name]
    ours = [Tensor(x.copy(), requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    y, yt = mg_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=RTOL, atol=ATOL)
    G = np.random.default_rng(7).standard_normal(y.shape)
    y.backward(gradient=G)
    yt.backward(torch.tensor(G))
    for k, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name}: gradient of input {k}")


def test_mlp_loss_matches_torch():
    r = np.random.default_rng(0)
    X = r.standard_normal((16, 5))
    labels = r.integers(0, 3, 16)
    shapes = {"W1": (5, 8), "b1": (8,), "W2": (8, 3), "b2": (3,)}
    params = {k: r.standard_normal(s) * 0.5 for k, s in shapes.items()}

    ours = {k: Tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    h = (Tensor(X) @ ours["W1"] + ours["b1"]).tanh()
    logits = h @ ours["W2"] + ours["b2"]
    loss = -logits.log_softmax(axis=1)[np.arange(16), labels].mean()
    loss.backward()

    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ht = torch.tanh(torch.tensor(X) @ theirs["W1"] + theirs["b1"])
    logits_t = ht @ theirs["W2"] + theirs["b2"]
    loss_t = torch.nn.functional.cross_entropy(logits_t, torch.as_tensor(labels))
    loss_t.backward()

    np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=RTOL, atol=ATOL)
    for k in params:
        np.testing.assert_allclose(ours[k].grad, theirs[k].grad.numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=k)
