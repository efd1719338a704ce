"""Curvature and the learning rate (micrograd/lab/curvature.py, demos/curvature.py).

On linear least squares L(w) = ½ mean((Xw - y)²) the Hessian is XᵀX/n everywhere, and
gradient descent converges exactly for η < 2/λ_max: both sides of the demo's comparison
are known in closed form there, so the measurements are checked against them."""
from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import micrograd as mg
from micrograd.errors import ArgumentError
from micrograd.lab import curvature as C

ROOT = Path(__file__).resolve().parents[1]


class Problem(NamedTuple):
    loss: Callable[[], mg.Tensor]
    params: list[mg.Tensor]
    H: np.ndarray
    X: np.ndarray
    y: np.ndarray


def least_squares(seed: int, n: int = 30, d: int = 4) -> Problem:
    """½ mean((Xw - y)²) on random data with columns of unequal scale (so the eigenvalues
    are spread), w at a random start, and its Hessian XᵀX/n."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.3, 3.0, d)
    y = rng.standard_normal(n)
    w = mg.tensor(rng.standard_normal(d), dtype=mg.float64, requires_grad=True)
    return Problem(lambda: half_mean_square(w, X, y), [w], X.T @ X / n, X, y)


def half_mean_square(w: mg.Tensor, X: np.ndarray, y: np.ndarray) -> mg.Tensor:
    r = mg.tensor(X, dtype=mg.float64) @ w - mg.tensor(y, dtype=mg.float64)
    return 0.5 * (r * r).mean()


def well_separated(eigenvalues: np.ndarray, ratio: float = 0.9) -> bool:
    """Power iteration converges like (λ₂/λ₁)^k: keep the test away from near-ties."""
    top2 = np.sort(np.abs(eigenvalues))[-2:]
    return top2[0] < ratio * top2[1]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(5, 40), d=st.integers(1, 6))
def test_power_iteration_finds_the_top_eigenvalue_of_the_least_squares_hessian(seed, n, d):
    loss, params, H, _, _ = least_squares(seed, n, d)
    exact = np.linalg.eigvalsh(H)
    assume(d == 1 or well_separated(exact))
    built = C.hessian_at(loss, params)  # from HVPs, one column each
    np.testing.assert_allclose(built, H, rtol=1e-10, atol=1e-12)
    found = C.top_eigenvalue(C.hvp_at(loss, params), d)
    assert found.value == pytest.approx(exact[-1], rel=1e-7)
    assert found.value == pytest.approx(np.linalg.eigvalsh(built)[-1], rel=1e-7)
    assert C.sharpness(loss, params, tol=1e-12) == pytest.approx(exact[-1], rel=1e-7)
    # the eigenvector too: H v = λ v
    np.testing.assert_allclose(H @ found.vector, found.value * found.vector, atol=1e-5 * exact[-1])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), d=st.integers(1, 5))
def test_hvp_agrees_with_micrograd_functional_hvp(seed, d):
    """hvp_at (reverse over reverse, the gradient kept) against functional.hvp (forward over
    reverse) and against XᵀX/n v."""
    loss, params, H, X, y = least_squares(seed, 20, d)
    v = np.random.default_rng(seed + 1).standard_normal(d)
    ours = C.hvp_at(loss, params)(v)
    _, theirs = mg.functional.hvp(lambda w: half_mean_square(w, X, y), params[0],
                                  mg.tensor(v, dtype=mg.float64))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours, H @ v, rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(spectrum=st.lists(st.floats(-10, 10), min_size=2, max_size=6), seed=st.integers(0, 1000))
def test_top_eigenvalue_is_the_most_positive_not_the_largest_in_magnitude(spectrum, seed):
    spectrum = np.array(spectrum)
    assume(well_separated(spectrum) and well_separated(spectrum - spectrum.min()))
    assume(np.ptp(spectrum) > 1e-3)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(spectrum),) * 2))
    A = Q @ np.diag(spectrum) @ Q.T
    found = C.top_eigenvalue(lambda v: A @ v, len(spectrum), iters=5000, tol=1e-13)
    assert found.value == pytest.approx(spectrum.max(), abs=1e-6 * np.abs(spectrum).max())
    dominant = C.power_iteration(lambda v: A @ v, len(spectrum), iters=5000, tol=1e-13)
    assert abs(dominant.value) == pytest.approx(np.abs(spectrum).max(), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_measured_critical_learning_rate_is_two_over_lambda_max_on_least_squares(seed):
    loss, params, H, _, _ = least_squares(seed)
    edge = 2 / np.linalg.eigvalsh(H)[-1]
    start = C.snapshot(params)
    found = C.critical_learning_rate(C.gd_check(loss, params, steps=400), 0.3 * edge,
                                     rel_tol=2e-3)
    assert found.lo < found.hi < found.lo * 1.002
    assert found.lr == pytest.approx(edge, rel=0.02)
    np.testing.assert_array_equal(params[0].data, start[0])  # every run started from here


def test_gradient_descent_takes_the_textbook_steps():
    loss, params, H, X, y = least_squares(3)
    w = params[0].data.copy()
    losses = C.gradient_descent(loss, params, 0.1, 5)
    for _ in range(5):
        w = w - 0.1 * X.T @ (X @ w - y) / 30  # w ← w - η ∇L, ∇L = Xᵀ(Xw - y)/n
    np.testing.assert_allclose(params[0].data, w, rtol=1e-12)
    assert len(losses) == 6 and np.all(np.diff(losses) < 0)


def test_gradient_descent_stops_at_a_blow_up_and_the_criteria_say_so():
    loss, params, H, _, _ = least_squares(4)
    edge = 2 / np.linalg.eigvalsh(H)[-1]
    losses = C.gradient_descent(loss, params, 3 * edge, 1000)
    assert len(losses) < 1001 and losses[-1] > 1e6 * losses[0]  # cut short, not run to inf
    assert not C.converges(losses, 1000) and not C.descends(losses, 1000)
    falling = np.array([4.0, 3.0, 2.0, 1.0, 0.5])
    assert C.converges(falling, 4) and C.descends(falling, 4)
    bump = np.array([4.0, 3.0, 3.5, 1.0, 0.5])
    assert C.converges(bump, 4) and not C.descends(bump, 4)
    stuck = np.array([4.0, 3.0, 5.0, 6.0, 5.0])
    assert not C.converges(stuck, 4)


def test_the_saddle_toy_has_the_closed_form_hessian():
    rng = np.random.default_rng(5)
    for _ in range(5):
        a, b = rng.uniform(-3, 3, 2)
        u, v = (mg.tensor(x, dtype=mg.float64, requires_grad=True) for x in (a, b))
        H = C.hessian_at(C.saddle_loss(u, v), [u, v])
        np.testing.assert_allclose(H, [[b * b, 2 * a * b - 1], [2 * a * b - 1, a * a]],
                                   rtol=1e-12, atol=1e-12)
    u, v = (mg.tensor(x, dtype=mg.float64, requires_grad=True) for x in (2.0, 0.5))
    assert C.sharpness(C.saddle_loss(u, v), [u, v]) == pytest.approx(4.25)  # u² + v² at uv = 1


def test_critical_learning_rate_refuses_a_bad_start():
    loss, params, H, _, _ = least_squares(6)
    edge = 2 / np.linalg.eigvalsh(H)[-1]
    with pytest.raises(ArgumentError, match="does not converge at the starting lr"):
        C.critical_learning_rate(C.gd_check(loss, params, steps=200), 2 * edge)
    with pytest.raises(ArgumentError, match="start > 0"):
        C.critical_learning_rate(lambda lr: True, 0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_hvp_of_the_lab_network_is_the_derivative_of_its_gradient(seed):
    """H v = lim (∇L(θ + εv) - ∇L(θ - εv)) / 2ε, measured by central differences."""
    X, y = mg.data.circles(40, noise=0.1, factor=0.5, seed=seed)
    model = mg.nn.MLP([2, 10, 2], activation="tanh", dtype=mg.float64, seed=seed)
    params = list(model.parameters())
    loss = C.circles_loss(model, X, y)
    assert loss().item() == pytest.approx(
        mg.nn.functional.cross_entropy(model(mg.tensor(X, dtype=mg.float64)), y).item())
    theta = C.flatten(C.snapshot(params), params)
    v = np.random.default_rng(seed).standard_normal(theta.size)
    product = C.hvp_at(loss, params)(v)

    def gradient_at(point: np.ndarray) -> np.ndarray:
        C.restore(params, C.unflatten(point, params))
        return C.flatten(mg.grad(loss(), params), params)

    eps = 1e-5
    numeric = (gradient_at(theta + eps * v) - gradient_at(theta - eps * v)) / (2 * eps)
    np.testing.assert_allclose(product, numeric, rtol=1e-6, atol=1e-8)


def test_the_curvature_demo_runs_fast_and_writes_its_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the demo draws with matplotlib")
    spec = importlib.util.spec_from_file_location("demo_curvature", ROOT / "demos" / "curvature.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    assert demo.main(["--fast", "--out", str(tmp_path)]) == 0
    for name in ("curvature.png", "curvature_toy.png"):
        path = tmp_path / name
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "nan" not in out.lower().split("wrote")[0]
    assert "η_crit" in out and "2/λ_max" in out
