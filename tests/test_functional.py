"""micrograd.functional (vjp, jvp, jacobian, hessian, hvp, vhp) against the maths, against
torch.autograd.functional, and what it costs, counted with count_ops() on the lab's network.

The cost table of docs/higher-order.md is measured here: test_cost_table_in_the_docs fails
when the page and the measurement differ. To rewrite the table and redraw the pictures:

    .venv/bin/python tests/test_functional.py --write-docs
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import micrograd as mg
from micrograd import ArgumentError, DTypeError, MicrogradError, ShapeError
from micrograd import functional as F
from micrograd.data import circles
from micrograd.gradients.modes import estimate_partials, graph_jvp
from micrograd.lab.families import lab_model

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "higher-order.md"
finite = st.floats(-2, 2, allow_nan=False, allow_infinity=False)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed; the cross-check against it is skipped")


def t64(a, requires_grad=False):
    return mg.tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad)


def values(t):
    return t.detach().numpy()


def square_and_vector(n):
    return st.tuples(arrays(np.float64, (n, n), elements=finite),
                     arrays(np.float64, (n,), elements=finite),
                     arrays(np.float64, (n,), elements=finite))


# ----------------------------------------------------------------- the maths


@given(st.integers(1, 4).flatmap(square_and_vector))
def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose(case):
    A, x, _ = case
    for strategy in ("reverse-mode", "forward-mode"):
        H = F.hessian(lambda x: x @ t64(A) @ x, t64(x), outer_jacobian_strategy=strategy)
        assert isinstance(H, mg.Tensor) and H.shape == A.shape and not H.requires_grad
        np.testing.assert_allclose(values(H), A + A.T, rtol=1e-12, atol=1e-12)


def curvy(x):
    """A scalar function with a Hessian that is neither constant nor diagonal."""
    n = x.shape[0]
    W = t64(np.arange(n * n).reshape(n, n) / 7 - 1)
    return ((W @ x).tanh() * x).sum() + (x * x * x).sum() / 6


@given(st.integers(1, 4).flatmap(square_and_vector))
def test_hvp_is_hessian_times_v_and_vhp_is_v_times_hessian(case):
    _, x, v = case
    H = values(F.hessian(curvy, t64(x)))
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    out, hv = F.hvp(curvy, t64(x), t64(v))
    np.testing.assert_allclose(values(out), values(curvy(t64(x))), rtol=1e-14)
    np.testing.assert_allclose(values(hv), H @ v, rtol=1e-10, atol=1e-12)
    _, vh = F.vhp(curvy, t64(x), t64(v))
    np.testing.assert_allclose(values(vh), v @ H, rtol=1e-10, atol=1e-12)
    _, hv_recorded = F.hvp(curvy, t64(x), t64(v), create_graph=True)  # the reverse route
    np.testing.assert_allclose(values(hv_recorded), H @ v, rtol=1e-10, atol=1e-12)


def layer(x, W):
    return (x @ W).tanh() * 2, (x * x).sum(dim=0)


@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_jacobian_by_reverse_and_forward_mode_agree(n, k, data):
    x = data.draw(arrays(np.float64, (n, k), elements=finite))
    W = data.draw(arrays(np.float64, (k, 2), elements=finite))
    rev = F.jacobian(layer, (t64(x), t64(W)))
    fwd = F.jacobian(layer, (t64(x), t64(W)), strategy="forward-mode")
    shapes = [[(n, 2, n, k), (n, 2, k, 2)], [(k, n, k), (k, k, 2)]]
    for i in range(2):
        for j in range(2):
            assert rev[i][j].shape == fwd[i][j].shape == shapes[i][j]
            np.testing.assert_allclose(values(fwd[i][j]), values(rev[i][j]), rtol=1e-12,
                                       atol=1e-12)
    # The output (x*x).sum(dim=0) does not use W: a zero block, not an error.
    assert not values(rev[1][1]).any()


@given(st.integers(1, 4).flatmap(square_and_vector))
def test_jvp_and_vjp_are_jacobian_products(case):
    A, x, v = case

    def f(x):
        return (t64(A) @ x).tanh() * x
    J = values(F.jacobian(f, t64(x)))
    out, jv = F.jvp(f, t64(x), t64(v))
    np.testing.assert_allclose(values(jv), J @ v, rtol=1e-10, atol=1e-12)
    _, jv_recorded = F.jvp(f, t64(x), t64(v), create_graph=True)  # the double-vjp trick
    np.testing.assert_allclose(values(jv_recorded), J @ v, rtol=1e-10, atol=1e-12)
    _, vj = F.vjp(f, t64(x), t64(v))
    np.testing.assert_allclose(values(vj), v @ J, rtol=1e-10, atol=1e-12)
    # v as plain numbers: a list is the values of the one input, not a tuple of inputs.
    _, jv_list = F.jvp(f, t64(x), v.tolist())
    np.testing.assert_allclose(values(jv_list), J @ v, rtol=1e-10, atol=1e-12)


def test_jvp_is_one_forward_pass_and_the_forward_jacobian_one_per_entry():
    rng = np.random.default_rng(1)
    x, W = t64(rng.standard_normal((3, 4)), True), t64(rng.standard_normal((4, 2)))
    out = (x @ W).tanh() * x[:, :2]
    # backward(mode="forward") of out.sum() pushes one tangent per entry of x through every
    # edge above x, and one more through the sum: that many partials per push.
    per_push = estimate_partials(out.sum(), "forward") // x.numel() - 1
    with mg.count_ops() as c:
        F.jvp(lambda x: (x @ W).tanh() * x[:, :2], x.detach(), t64(rng.standard_normal((3, 4))))
    assert c.partials == per_push
    with mg.count_ops() as c:
        F.jacobian(lambda x: (x @ W).tanh() * x[:, :2], x.detach(), strategy="forward-mode")
    assert c.partials == per_push * x.numel()
    with mg.count_ops() as c:
        F.jacobian(lambda x: (x @ W).tanh() * x[:, :2], x.detach())
    backprop_pass = sum(p.requires_grad for node in _nodes(out) for p in node._ctx.parents)
    assert c.partials == backprop_pass * out.numel()


def _nodes(root):
    """Every op-made node of root's graph, found by a plain walk (not autograd's)."""
    seen, stack = {}, [root]
    while stack:
        t = stack.pop()
        if t._ctx is not None and id(t) not in seen:
            seen[id(t)] = t
            stack.extend(t._ctx.parents)
    return list(seen.values())


def test_create_graph_results_differentiate_again():
    x = t64([0.3, -0.5, 0.9], requires_grad=True)
    H = F.hessian(lambda x: x.tanh().sum(), x, create_graph=True)
    assert H.requires_grad
    d3, = mg.grad((H * t64(np.eye(3))).sum(), x)  # the diagonal: d³ tanh/dx³
    t = np.tanh(values(x))
    np.testing.assert_allclose(values(d3), (6 * t**2 - 2) * (1 - t**2), rtol=1e-12)
    out, vj = F.vjp(lambda x: x.tanh(), x, t64([1.0, 2.0, 3.0]), create_graph=True)
    assert out.requires_grad and vj.requires_grad
    d2, = mg.grad(vj.sum(), x)
    np.testing.assert_allclose(values(d2), -2 * t * (1 - t**2) * [1, 2, 3], rtol=1e-12)
    # Without create_graph nothing is recorded and the caller's x is left alone.
    out, vj = F.vjp(lambda x: x.tanh(), x, t64([1.0, 2.0, 3.0]))
    assert not out.requires_grad and not vj.requires_grad and x.grad is None


def test_inputs_that_do_not_matter_get_zeros_or_a_strict_error():
    x, y = t64([1.0, 2.0]), t64([3.0, 4.0])

    def only_x(x, y):
        return (x * x).sum()
    _, (gx, gy) = F.vjp(only_x, (x, y))
    np.testing.assert_array_equal(values(gy), [0, 0])
    np.testing.assert_array_equal(values(gx), [2, 4])
    (hxx, hxy), (hyx, hyy) = F.hessian(only_x, (x, y))
    np.testing.assert_array_equal(values(hxx), 2 * np.eye(2))
    assert not values(hxy).any() and not values(hyx).any() and not values(hyy).any()
    for call in (lambda: F.vjp(only_x, (x, y), strict=True),
                 lambda: F.hessian(only_x, (x, y), strict=True),
                 lambda: F.hvp(only_x, (x, y), (x, y), strict=True),
                 lambda: F.jacobian(only_x, (x, y), strict=True)):
        with pytest.raises(MicrogradError, match=r"inputs\[1\].*strict=True.*strict=False"):
            call()
    with pytest.raises(MicrogradError, match="output of func does not depend.*strict=False"):
        F.jvp(lambda x: x.detach() * 2, x, x, strict=True)
    with pytest.raises(MicrogradError, match="constant or linear.*strict=False"):
        F.hessian(lambda x: (x * 3).sum(), x, strict=True)
    np.testing.assert_array_equal(values(F.hessian(lambda x: (x * 3).sum(), x)), np.zeros((2, 2)))


# ----------------------------------------------------------------- against PyTorch


def same(ours, theirs, what="result"):
    """Same nesting (tuples where PyTorch has tuples), shapes and values."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), what
        for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            same(a, b, f"{what}[{k}]")
    else:
        assert isinstance(ours, mg.Tensor), what
        assert ours.shape == tuple(theirs.shape), what
        np.testing.assert_allclose(values(ours), theirs.detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=what)


def one_in_one_out(x):
    return (x.tanh() * x).sum(dim=0) * 3


def two_in_one_out(x, y):
    return ((x * y).tanh() * x).sum() + (y * y * y).sum()


def two_in_two_out(x, y):
    return (x * y).tanh(), (x.exp() * y).sum(dim=0)


def one_in_two_out(x):
    return x.tanh(), (x * x).sum()


CASES = [  # (func, input shapes, scalar output)
    (one_in_one_out, [(3, 2)], False),
    (two_in_one_out, [(2, 3), (2, 3)], True),
    (two_in_two_out, [(2, 3), (2, 3)], False),
    (one_in_two_out, [(4,)], False),
    (lambda x: (x.tanh() * x).sum(), [(2, 2)], True),
]


@pytest.mark.parametrize("func, shapes, scalar", CASES)
def test_every_function_returns_what_torch_autograd_functional_returns(torch, func, shapes,
                                                                       scalar):
    TF = torch.autograd.functional
    rng = np.random.default_rng(len(shapes) + 10 * len(shapes[0]))
    xs = [rng.uniform(-1, 1, s) for s in shapes]
    tuple_in = len(xs) > 1 or func is one_in_two_out  # a 1-tuple is a tuple too
    ours = tuple(t64(a) for a in xs) if tuple_in else t64(xs[0])
    theirs = tuple(torch.tensor(a) for a in xs) if tuple_in else torch.tensor(xs[0])
    in_v = [rng.uniform(-1, 1, s) for s in shapes]
    ours_v = tuple(t64(a) for a in in_v) if tuple_in else t64(in_v[0])
    theirs_v = tuple(torch.tensor(a) for a in in_v) if tuple_in else torch.tensor(in_v[0])

    outs = TF.vjp(func, theirs, None, strict=False) if scalar else None
    t_out = func(*theirs) if tuple_in else func(theirs)
    out_v = [rng.uniform(-1, 1, tuple(o.shape)) for o in
             (t_out if isinstance(t_out, tuple) else (t_out,))]
    o_tuple = isinstance(t_out, tuple)
    ours_ov = tuple(t64(a) for a in out_v) if o_tuple else t64(out_v[0])
    theirs_ov = tuple(torch.tensor(a) for a in out_v) if o_tuple else torch.tensor(out_v[0])

    same(F.vjp(func, ours, ours_ov), TF.vjp(func, theirs, theirs_ov), "vjp")
    same(F.jvp(func, ours, ours_v), TF.jvp(func, theirs, theirs_v), "jvp")
    same(F.jvp(func, ours, ours_v, create_graph=True), TF.jvp(func, theirs, theirs_v),
         "jvp, create_graph")
    want = TF.jacobian(func, theirs)
    same(F.jacobian(func, ours), want, "jacobian")
    same(F.jacobian(func, ours, strategy="forward-mode"), want, "jacobian, forward-mode")
    if scalar:
        assert outs is not None
        same(F.vjp(func, ours), outs, "vjp, v left out")
        want = TF.hessian(func, theirs)
        same(F.hessian(func, ours), want, "hessian")
        same(F.hessian(func, ours, outer_jacobian_strategy="forward-mode"), want,
             "hessian, forward-mode")
        same(F.hvp(func, ours, ours_v), TF.hvp(func, theirs, theirs_v), "hvp")
        same(F.vhp(func, ours, ours_v), TF.vhp(func, theirs, theirs_v), "vhp")


def test_create_graph_results_match_torchs_derivatives(torch):
    TF = torch.autograd.functional
    a = np.array([[0.4, -0.3], [1.2, 0.5]])
    x, tx = t64(a, True), torch.tensor(a, requires_grad=True)

    def f(x):
        return (x.tanh() * x).sum()
    ours = [F.hessian(f, x, create_graph=True), F.jacobian(lambda x: x.tanh() * x, x,
                                                           create_graph=True),
            F.hvp(f, x, t64(a), create_graph=True)[1]]
    theirs = [TF.hessian(f, tx, create_graph=True), TF.jacobian(lambda x: x.tanh() * x, tx,
                                                                create_graph=True),
              TF.hvp(f, tx, torch.tensor(a), create_graph=True)[1]]
    for o, t in zip(ours, theirs, strict=True):
        same(mg.grad((o * o).sum(), x), torch.autograd.grad((t * t).sum(), tx))


def wide(lib):
    """Scalar functions of two (2, 3) tensors in [0.5, 1.5] that between them use most of
    the op table, written once for micrograd and torch (`lib` is either module)."""
    return [
        lambda x, y: (x.sigmoid() * y.exp()).sum() + (x ** 3 * y).sum() + (x ** y).sum(),
        lambda x, y: ((x.softmax(dim=0) * y).sum() + y.log_softmax(dim=1)[:, 0].sum()
                      + (x * y).logsumexp(dim=1).sum() + (x / y).sum()),
        lambda x, y: ((x * x + y).sqrt().sum() + (x * y).log().sum() + x.norm() * y.var(dim=1).sum()
                      + (x - 1).abs().sum() * y.sum()),
        lambda x, y: ((lib.stack([x * y, x]) ** 2).sum() + (lib.cat([x, y], dim=1).tanh()
                      * x.repeat(1, 2)).sum() + (x.unsqueeze(0).expand(2, 2, 3) * y).sum()
                      + (x * y).max(dim=1).values.sum() + x.T.reshape(3, 2)[1:].mean()),
        lambda x, y: ((lib.maximum(x, y) * x).sum() + lib.where(x > y, x * x, y * x).sum()
                      + ((x - 1).relu() * y.erf()).sum() + (x.clamp(0.7, 1.3) * y).sum()
                      + (x.log1p() * y.expm1()).sum() + (lib.minimum(x, y) * y).sum()),
    ]


@pytest.mark.parametrize("k", range(len(wide(mg))))
@settings(max_examples=4)
@given(seed=st.integers(0, 2**32 - 1))
def test_hessians_and_hvps_through_most_ops_match_torch(torch, k, seed):
    TF = torch.autograd.functional
    rng = np.random.default_rng(seed)
    a, b, va, vb = (rng.uniform(0.5, 1.5, (2, 3)) for _ in range(4))
    ours, theirs = wide(mg)[k], wide(torch)[k]
    xs, txs = (t64(a), t64(b)), (torch.tensor(a), torch.tensor(b))
    want = TF.hessian(theirs, txs)
    same(F.hessian(ours, xs), want, "hessian")
    same(F.hessian(ours, xs, outer_jacobian_strategy="forward-mode"), want, "forward-mode")
    vs, tvs = (t64(va), t64(vb)), (torch.tensor(va), torch.tensor(vb))
    same(F.hvp(ours, xs, vs), TF.hvp(theirs, txs, tvs), "hvp")
    same(F.vhp(ours, xs, vs), TF.vhp(theirs, txs, tvs), "vhp")


# ----------------------------------------------------------------- bad arguments


def _x():
    return t64([0.5, -0.2])


def _scalar(x):
    return (x * x).sum()


BAD = [  # (call, error, the function, the argument, words of the fix)
    (lambda: F.vjp(_scalar, [0.5, 1.0]), ArgumentError, "vjp", "inputs[0]", "micrograd.tensor"),
    (lambda: F.jvp(_scalar, "x"), ArgumentError, "jvp", "inputs", "micrograd.tensor"),
    (lambda: F.hessian(_scalar, ()), ArgumentError, "hessian", "inputs", "micrograd.tensor"),
    (lambda: F.vjp(lambda x: x * 2, _x()), ArgumentError, "vjp", "v", "pass v"),
    (lambda: F.vjp(lambda x: x * 2, _x(), t64([1.0])), ShapeError, "vjp", "v", "of that shape"),
    (lambda: F.jvp(_scalar, _x(), (_x(), _x())), ShapeError, "jvp", "v", "one v per"),
    (lambda: F.hvp(_scalar, _x(), "a"), DTypeError, "hvp", "v", "numbers"),
    (lambda: F.jvp(_scalar, mg.tensor([1, 2])), DTypeError, "jvp", "inputs", "double()"),
    (lambda: F.vhp(_scalar, _x(), _x(), create_graph="yes"), ArgumentError, "vhp",
     "create_graph", "True or False"),
    (lambda: F.jacobian(_scalar, _x(), vectorize=None), ArgumentError, "jacobian", "vectorize",
     "True or False"),
    (lambda: F.jacobian(_scalar, _x(), strategy="sideways"), ArgumentError, "jacobian",
     "strategy", "'forward-mode'"),
    (lambda: F.jacobian(_scalar, _x(), strategy="forward-mode", create_graph=True),
     ArgumentError, "jacobian", "strategy", "'reverse-mode' with create_graph=True"),
    (lambda: F.hessian(_scalar, _x(), outer_jacobian_strategy="forward"), ArgumentError,
     "hessian", "outer_jacobian_strategy", "'reverse-mode'"),
    (lambda: F.hessian(lambda x: x * 2, _x()), ShapeError, "hessian", "func", ".sum()"),
    (lambda: F.hvp(lambda x: (x, x), _x(), _x()), ShapeError, "hvp", "func", ".sum()"),
    (lambda: F.vjp("f", _x()), ArgumentError, "vjp", "func", "function"),
    (lambda: F.jacobian(lambda x: [1.0], _x()), ArgumentError, "jacobian", "func",
     "micrograd ops"),
    (lambda: F.vjp(lambda x: x.detach(), _x(), _x(), strict=True), MicrogradError, "vjp",
     "output", "strict=False"),
]


@pytest.mark.parametrize("call, error, function, argument, fix", BAD)
def test_bad_arguments_raise_errors_that_name_the_function_argument_and_fix(
        call, error, function, argument, fix):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{function}: "), message
    assert argument in message and fix in message, message


# ----------------------------------------------------------------- slow modes, recorded


def test_slow_modes_run_on_a_recorded_backward_graph_and_agree_with_backprop():
    rng = np.random.default_rng(3)
    x, W = t64(rng.standard_normal((3, 2)), True), t64(rng.standard_normal((2, 2)), True)
    vx, vW = t64(rng.standard_normal((3, 2))), t64(rng.standard_normal((2, 2)))
    gx, gW = mg.grad(((x @ W).tanh() * x).sum(), [x, W], create_graph=True)
    gv = (gx * vx).sum() + (gW * vW).sum()  # ⟨g, v⟩ on the recorded gradient graph
    grads = {}
    for mode in ("naive", "forward", "backprop"):
        x.grad = W.grad = None
        with mg.count_ops() as c:
            gv.backward(mode=mode, retain_graph=True)
        if mode != "backprop":
            assert c.partials == estimate_partials(gv, mode), mode
        grads[mode] = (x.grad, W.grad)
    _, want = F.hvp(lambda x, W: ((x @ W).tanh() * x).sum(), (x, W), (vx, vW))
    for mode, got in grads.items():
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, values(w), rtol=1e-10, atol=1e-12, err_msg=mode)


# ----------------------------------------------------------------- cost, on the lab network


def lab_functions():
    """The lab's 2-10-2 network on its 8 circle points, as functions of its parameters
    (W1, b1, W2, b2): the logits and the softmax cross-entropy, written with the ops the
    lab records (families.py), checked against the lab's own loss."""
    model = lab_model()
    X, labels = circles(8, noise=0.1, factor=0.5, seed=0)
    x, rows = mg.tensor(X), np.arange(len(X))

    def logits(W1, b1, W2, b2):
        return (x @ W1 + b1).tanh() @ W2 + b2

    def loss(W1, b1, W2, b2):
        return -logits(W1, b1, W2, b2).log_softmax(axis=1)[rows, labels].mean()
    params = tuple(p.detach() for p in model.params)
    own = model.loss()
    own.backward()
    mine, = mg.grad(loss(*model.params), model.params[0])
    assert values(loss(*params)) == values(own)
    np.testing.assert_array_equal(values(mine), model.params[0].grad)
    return params, logits, loss


def measure(call):
    with mg.count_ops() as c:
        call()
    return c


def cost_rows():
    """(what, how, forward ops, partials, flops) for each way of differentiating the lab's
    network, each counted with count_ops() around the whole call."""
    params, logits, loss = lab_functions()
    rng = np.random.default_rng(0)
    v = tuple(t64(rng.standard_normal(p.shape)) for p in params)
    n = sum(p.numel() for p in params)
    leaves = [p.detach().requires_grad_() for p in params]

    def recorded_dot():
        g = mg.grad(loss(*leaves), leaves, create_graph=True)
        terms = [(gk * vk).sum() for gk, vk in zip(g, v, strict=True)]
        dot = terms[0]
        for term in terms[1:]:
            dot = dot + term
        return dot

    def slow(mode):
        def run():
            dot = recorded_dot()
            dot.backward(mode=mode)
        return run
    out = logits(*params)
    rows = [
        ("loss", "`loss(*p)`", lambda: loss(*leaves)),
        ("gradient", "`mg.grad(loss(*p), p)`", lambda: mg.grad(loss(*leaves), leaves)),
        ("gradient, recorded", "`mg.grad(loss(*p), p, create_graph=True)`",
         lambda: mg.grad(loss(*leaves), leaves, create_graph=True)),
        ("HVP, forward over reverse", "`functional.hvp(loss, p, v)`",
         lambda: F.hvp(loss, params, v)),
        ("HVP, reverse over reverse", "`functional.vhp(loss, p, v)`",
         lambda: F.vhp(loss, params, v)),
        ("HVP, naive mode on the recorded graph", "`⟨g, v⟩.backward(mode=\"naive\")`",
         slow("naive")),
        (f"Hessian ({n} HVPs), reverse", "`functional.hessian(loss, p)`",
         lambda: F.hessian(loss, params)),
        (f"Hessian ({n} HVPs), forward over reverse",
         "`functional.hessian(loss, p, outer_jacobian_strategy=\"forward-mode\")`",
         lambda: F.hessian(loss, params, outer_jacobian_strategy="forward-mode")),
        (f"HVP, forward mode on the recorded graph ({n} pushes)",
         "`⟨g, v⟩.backward(mode=\"forward\")`", slow("forward")),
        (f"gradient by forward mode ({n} pushes)",
         "`functional.jacobian(loss, p, strategy=\"forward-mode\")`",
         lambda: F.jacobian(loss, params, strategy="forward-mode")),
        (f"Jacobian of the {out.numel()} logits, reverse ({out.numel()} passes)",
         "`functional.jacobian(logits, p)`", lambda: F.jacobian(logits, params)),
        (f"Jacobian of the {out.numel()} logits, forward ({n} pushes)",
         "`functional.jacobian(logits, p, strategy=\"forward-mode\")`",
         lambda: F.jacobian(logits, params, strategy="forward-mode")),
    ]
    return [(what, how, measure(call)) for what, how, call in rows]


def cost_table():
    rows = cost_rows()
    gradient = next(c for what, _, c in rows if what == "gradient").partials
    lines = ["| what | call | forward ops | partials | × gradient | flops in partials |",
             "|---|---|---:|---:|---:|---:|"]
    for what, how, c in rows:
        ratio = f"{c.partials / gradient:.1f}" if c.partials else ""
        lines.append(f"| {what} | {how} | {c.forward:,} | {c.partials:,} | {ratio} | "
                     f"{c.flops:,} |")
    return "\n".join(lines)


BEGIN, END = "<!-- cost table: tests/test_functional.py -->", "<!-- end of cost table -->"


def test_cost_table_in_the_docs_is_the_measured_one():
    text = DOC.read_text(encoding="utf-8")
    found = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert found, f"{DOC} has lost its cost-table markers"
    assert found.group(1) == cost_table(), (
        "docs/higher-order.md's cost table is not what count_ops() measures now; rewrite "
        "it with: .venv/bin/python tests/test_functional.py --write-docs")


def test_an_hvp_costs_a_few_gradients_and_the_hessian_n_hvps():
    """Pearlmutter: H·v costs a small constant times a gradient, whatever n; the full
    Hessian is n of them (one per unit vector), after recording the gradient once."""
    params, _, loss = lab_functions()
    v = tuple(t64(np.ones(p.shape)) for p in params)
    leaves = [p.detach().requires_grad_() for p in params]
    gradient = measure(lambda: mg.grad(loss(*leaves), leaves)).partials
    recorded = measure(lambda: mg.grad(loss(*leaves), leaves, create_graph=True))
    assert recorded.partials == gradient  # recording adds ops, not partials
    routes = {}
    for route in (F.hvp, F.vhp):
        c = measure(lambda route=route: route(loss, params, v))
        assert gradient < c.partials <= 5 * gradient, route.__name__
        routes[route.__name__] = c.partials
    # hvp takes the cheaper route, and its docstring says so with these very counts.
    assert routes["hvp"] < routes["vhp"]
    doc = " ".join(F.hvp.__doc__.split())
    assert f"network, {gradient} local partials" in doc
    assert f"same cost ({routes['hvp'] - gradient} partials)" in doc
    assert f"the adds between them ({routes['vhp'] - routes['hvp']} more)" in doc
    assert (f"costs {routes['hvp']} local partials this way and {routes['vhp']} reverse "
            "over reverse") in doc
    # One forward-over-reverse HVP per unit vector: a push from input j costs what a push
    # of any tangent on input j alone costs.
    g = mg.grad(loss(*leaves), leaves, create_graph=True)
    per_entry = 0
    for j, p in enumerate(leaves):
        def push(j=j, p=p):
            graph_jvp(g, {p: np.ones(p.shape)})
        per_entry += p.numel() * measure(push).partials
    hessian = measure(lambda: F.hessian(loss, params, outer_jacobian_strategy="forward-mode"))
    assert hessian.partials == gradient + per_entry


# ----------------------------------------------------------------- the page's pictures


def draw_double_backward(directory: Path) -> list[Path]:
    """The graphs of dy/dx and d²y/dx² for y = tanh x, recorded by create_graph=True."""
    from micrograd.viz import render

    x = mg.tensor(0.5, dtype=mg.float64, requires_grad=True, name="x")
    y = x.tanh()
    y.name = "y = tanh x"
    dy, = mg.grad(y, x, create_graph=True)
    dy.name = "dy/dx = 1 - y²"
    d2y, = mg.grad(dy, x, create_graph=True)
    d2y.name = "d²y/dx² = -2y(1 - y²)"
    return [render(mg.draw(dy, show_values=True), directory / "double_backward_grad.png"),
            render(mg.draw(d2y, show_values=True), directory / "double_backward.png")]


def write_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    new = re.sub(re.escape(BEGIN) + r"\n.*?\n" + re.escape(END),
                 lambda m: f"{BEGIN}\n{cost_table()}\n{END}", text, flags=re.S)
    DOC.write_text(new, encoding="utf-8")
    for path in draw_double_backward(ROOT / "docs" / "img"):
        print("wrote", path.relative_to(ROOT))
    print("wrote", DOC.relative_to(ROOT))


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-docs"]:
        sys.exit("usage: python tests/test_functional.py --write-docs")
    write_docs()
