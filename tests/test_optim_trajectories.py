"""Optimizers over many steps against two independent references: PyTorch's optimizers and a
loop written here in plain numpy from the textbook formulas.

Parameters of three shapes (a scalar, a vector, a matrix) are trained on a quadratic whose
gradient is known in closed form. Each step accumulates two backward passes into .grad, and
every third step skips zero_grad, so gradients also carry over from one step to the next:
an optimizer that kept a view of .grad in its state, or read it after a later backward,
leaves the references' trajectory.
"""
from __future__ import annotations

import numpy as np
import pytest

import micrograd as mg
from micrograd.optim import SGD, Adam, AdamW, RMSprop

SHAPES = [(), (3,), (2, 3)]
STEPS = 30

# (micrograd class, its options); PyTorch's optimizer of the same name takes the same options.
CASES = {
    "sgd": (SGD, dict(lr=0.05)),
    "sgd_momentum": (SGD, dict(lr=0.03, momentum=0.9)),
    "sgd_dampening_decay": (SGD, dict(lr=0.03, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    "sgd_nesterov_maximize": (SGD, dict(lr=0.02, momentum=0.7, nesterov=True, maximize=True)),
    "adam": (Adam, dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6)),
    "adam_l2": (Adam, dict(lr=0.05, weight_decay=0.2)),
    "adam_amsgrad": (Adam, dict(lr=0.05, betas=(0.7, 0.9), amsgrad=True)),
    "adamw": (AdamW, dict(lr=0.05, weight_decay=0.3)),
    "adamw_amsgrad_maximize": (AdamW, dict(lr=0.02, weight_decay=0.1, amsgrad=True,
                                           maximize=True)),
    "rmsprop": (RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-4)),
    "rmsprop_centered_momentum": (RMSprop, dict(lr=0.01, alpha=0.8, momentum=0.6,
                                                centered=True, weight_decay=0.05)),
    "rmsprop_momentum": (RMSprop, dict(lr=0.01, momentum=0.5, eps=1e-3)),
}


def _problem():
    """Start values, and per step two (a, b) pairs: loss = Σ (a·p - b)² for each micro-batch."""
    rng = np.random.default_rng(15)
    start = [rng.normal(size=s) for s in SHAPES]
    batches = [[[(rng.uniform(0.5, 2.0, size=s), rng.normal(size=s)) for s in SHAPES]
                for _ in range(2)] for _ in range(STEPS)]
    return start, batches


def _zero_now(step: int) -> bool:
    return step % 3 != 2  # every third step keeps the gradient of the step before


def _micrograd_run(cls, options):
    start, batches = _problem()
    params = [mg.tensor(s.copy(), requires_grad=True, dtype=np.float64) for s in start]
    opt = cls(params, **options)
    path = []
    for step, micro in enumerate(batches):
        if _zero_now(step):
            opt.zero_grad()
        for pairs in micro:
            loss = sum((((mg.tensor(a) * p - mg.tensor(b)) ** 2).sum()
                        for p, (a, b) in zip(params, pairs, strict=True)), mg.tensor(0.0))
            loss.backward()
        opt.step()
        path.append([p.data.copy() for p in params])
    return path


def _torch_run(torch, name, options):
    start, batches = _problem()
    params = [torch.tensor(s.copy(), dtype=torch.float64, requires_grad=True) for s in start]
    opt = getattr(torch.optim, name)(params, **options)
    path = []
    for step, micro in enumerate(batches):
        if _zero_now(step):
            opt.zero_grad()
        for pairs in micro:
            loss = sum(((torch.from_numpy(a) * p - torch.from_numpy(b)) ** 2).sum()
                       for p, (a, b) in zip(params, pairs, strict=True))
            loss.backward()
        opt.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path


def _numpy_update(cls, o, p, g, st, t):
    """One textbook update of the array p in place; st is its state, t the step (1, 2, ...)."""
    lr, wd = o["lr"], o.get("weight_decay", 0.0)
    if o.get("maximize"):
        g = -g
    if cls is SGD:
        mu, tau = o.get("momentum", 0.0), o.get("dampening", 0.0)
        g = g + wd * p
        if mu:
            st["b"] = g.copy() if t == 1 else mu * st["b"] + (1 - tau) * g
            g = g + mu * st["b"] if o.get("nesterov") else st["b"]
        p -= lr * g
    elif cls in (Adam, AdamW):
        b1, b2 = o.get("betas", (0.9, 0.999))
        eps = o.get("eps", 1e-8)
        if cls is AdamW:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
        st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
        st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g ** 2
        v_hat = st["v"] / (1 - b2 ** t)
        if o.get("amsgrad"):
            st["vmax"] = np.maximum(st.get("vmax", 0.0), st["v"])
            v_hat = st["vmax"] / (1 - b2 ** t)
        p -= lr * (st["m"] / (1 - b1 ** t)) / (np.sqrt(v_hat) + eps)
    else:
        alpha, eps, mu = o.get("alpha", 0.99), o.get("eps", 1e-8), o.get("momentum", 0.0)
        g = g + wd * p
        st["s"] = alpha * st.get("s", 0.0) + (1 - alpha) * g ** 2
        var = st["s"]
        if o.get("centered"):
            st["gbar"] = alpha * st.get("gbar", 0.0) + (1 - alpha) * g
            var = var - st["gbar"] ** 2
        step = g / (np.sqrt(var) + eps)
        if mu:
            st["b"] = mu * st.get("b", 0.0) + step
            step = st["b"]
        p -= lr * step


def _numpy_run(cls, options):
    start, batches = _problem()
    params = [np.array(s, dtype=np.float64) for s in start]
    grads = [np.zeros_like(p) for p in params]
    states: list[dict] = [{} for _ in params]
    path = []
    for step, micro in enumerate(batches):
        if _zero_now(step):
            grads = [np.zeros_like(p) for p in params]
        for pairs in micro:
            grads = [g + 2 * a * (a * p - b) for g, p, (a, b) in zip(grads, params, pairs,
                                                                     strict=True)]
        for p, g, st in zip(params, grads, states, strict=True):
            _numpy_update(cls, options, p, g, st, step + 1)
        path.append([p.copy() for p in params])
    return path


def _assert_same_path(got, want, who):
    for step, (g_step, w_step) in enumerate(zip(got, want, strict=True)):
        for k, (g, w) in enumerate(zip(g_step, w_step, strict=True)):
            np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11,
                                       err_msg=f"{who}: parameter {k} after step {step + 1}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_a_numpy_loop(case):
    cls, options = CASES[case]
    _assert_same_path(_micrograd_run(cls, options), _numpy_run(cls, options), "numpy loop")


@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_pytorch(case):
    torch = pytest.importorskip("torch", reason="the PyTorch cross-check needs torch")
    cls, options = CASES[case]
    _assert_same_path(_micrograd_run(cls, options), _torch_run(torch, cls.__name__, options),
                      "PyTorch")


def test_the_references_move_the_parameters():
    """The comparison means something only if the parameters travel far from their start."""
    start, _ = _problem()
    for case, (cls, options) in CASES.items():
        end = _numpy_run(cls, options)[-1]
        moved = max(float(np.max(np.abs(e - s))) for e, s in zip(end, start, strict=True))
        assert moved > 0.05, case
