"""fit(): convergence on the lab's circles, determinism, divergence, and bad input."""
from __future__ import annotations

import io

import numpy as np
import pytest

import micrograd as mg
from micrograd import data, nn, optim
from micrograd.data import DataError
from micrograd.nn import functional as F
from micrograd.train import DivergenceError, History, evaluate, fit


@pytest.fixture(scope="module")
def circles():
    return data.split(*data.circles(500, noise=0.1, factor=0.5, seed=0), val=0.2, test=0.2, seed=0)


def train_circles(parts, seed=0, batch_size=32, lr=0.05, epochs=40, opt="adam", **kw) -> tuple[nn.MLP, History]:
    model = nn.MLP([2, 10, 2], activation="tanh", seed=seed)
    optimizer = (optim.Adam(model.parameters(), lr=lr) if opt == "adam"
                 else optim.SGD(model.parameters(), lr=lr))
    history = fit(model, F.cross_entropy, optimizer, parts.train, parts.val, epochs=epochs,
                  batch_size=batch_size, seed=seed, verbose=False, **kw)
    return model, history


def test_circles_2_10_2_reaches_98_percent_test_accuracy(circles):
    model, h = train_circles(circles)
    loss, acc = evaluate(model, F.cross_entropy, *circles.test)
    assert acc >= 0.98, f"test accuracy {acc:.3f}"
    assert h.train_loss[-1] < 0.2 * h.initial_loss
    assert len(h.train_loss) == len(h.val_acc) == len(h.time) == 40
    assert len(h.step_loss) == 40 * -(-len(circles.train[1]) // 32)
    assert all(b >= a for a, b in zip(h.time, h.time[1:]))


def test_the_same_seed_gives_bit_identical_histories(circles):
    (m1, h1), (m2, h2) = train_circles(circles, epochs=8), train_circles(circles, epochs=8)
    assert h1.curves() == h2.curves()
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    _, h3 = train_circles(circles, seed=1, epochs=8)
    assert h3.curves() != h1.curves()


@pytest.mark.parametrize("batch_size, lr, epochs", [(None, 1.0, 250), (16, 0.3, 40), (1, 0.05, 12)],
                         ids=["full-batch", "mini-batch", "online"])
def test_every_gradient_descent_variant_converges(circles, batch_size, lr, epochs):
    model, h = train_circles(circles, batch_size=batch_size, lr=lr, epochs=epochs, opt="sgd")
    assert h.train_acc[-1] >= 0.95 and h.val_acc[-1] >= 0.93, (h.train_acc[-1], h.val_acc[-1])
    steps_per_epoch = 1 if batch_size is None else -(-len(circles.train[1]) // batch_size)
    assert len(h.step_loss) == epochs * steps_per_epoch


def test_learning_rate_100_raises_divergence_error_not_nan(circles):
    with pytest.raises(DivergenceError) as e:
        train_circles(circles, lr=100.0, opt="sgd", epochs=20)
    err = e.value
    assert isinstance(err, mg.MicrogradError)
    msg = str(err)
    assert f"epoch {err.epoch}, step {err.step}" in msg and "learning rate 100" in msg
    assert "smaller learning rate" in msg and "clip" in msg
    assert err.lr == 100.0 and err.epoch <= 2
    assert all(np.isfinite(err.history.step_loss))  # nothing non-finite was recorded


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_nan_is_traced_to_the_op_that_made_it(circles):
    """A naive log(softmax) underflows to log(0) = -inf; the error names the op."""
    def naive_cross_entropy(z, y):
        return -(z.softmax(axis=1).log()[np.arange(len(y)), y]).mean()

    model = nn.MLP([2, 10, 2], seed=0)
    with mg.no_grad():
        model.layers[2].weight *= 1e4  # logits far apart: some softmax entries are exactly 0
    with pytest.raises(DivergenceError) as e:
        fit(model, naive_cross_entropy, optim.SGD(model.parameters(), lr=0.1), circles.train,
            epochs=2, batch_size=None, verbose=False, blowup=1e12)
    assert e.value.epoch == 1 and e.value.step == 1
    assert "nan or inf" in str(e.value) and e.value.op.startswith("log:")


def test_clip_grad_keeps_a_large_learning_rate_from_blowing_up(circles):
    with pytest.raises(DivergenceError):
        train_circles(circles, lr=10.0, opt="sgd", epochs=20, batch_size=None)
    _, h = train_circles(circles, lr=10.0, opt="sgd", epochs=20, batch_size=None, clip_grad=0.05)
    assert np.isfinite(h.train_loss).all() and h.train_loss[-1] < h.initial_loss


def test_bad_labels_are_named(circles):
    X, y = circles.train
    model = nn.MLP([2, 10, 2], seed=0)
    bad = y.copy()
    bad[7] = 2
    with pytest.raises(DataError, match=r"\[0, 2\).*label 2 is at index 7"):
        fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, bad), verbose=False)
    bad[7] = -1
    with pytest.raises(DataError, match="label -1"):
        fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y), val=(X, bad), verbose=False)


def test_length_mismatch_and_feature_count_are_named(circles):
    X, y = circles.train
    model = nn.MLP([2, 10, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(DataError, match=f"X has {len(X)} rows but y has {len(y) - 1} labels"):
        fit(model, F.cross_entropy, opt, (X, y[:-1]), verbose=False)
    X3 = np.column_stack([X, X[:, :1]])
    with pytest.raises(mg.ShapeError, match=rf"takes 2 input features.*\({len(X)}, 3\)"):
        fit(model, F.cross_entropy, opt, (X3, y), verbose=False)


def test_progress_lines_and_terminal_bar(circles, monkeypatch):
    """verbose=True: a bar on a terminal only, fitted to its width; verbose=k: a log line
    every k epochs on any stream; verbose=False: nothing."""
    def train(stream, verbose, epochs=3):
        model = nn.MLP([2, 10, 2], seed=0)
        fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.05), circles.train,
            circles.val, epochs=epochs, batch_size=32, verbose=verbose, stream=stream)
        return stream.getvalue()

    assert train(io.StringIO(), True) == ""  # not a terminal: no bar, and no lines asked for
    lines = train(io.StringIO(), 1).splitlines()
    assert [ln.split()[1] for ln in lines] == ["1/3", "2/3", "3/3"] and "val loss" in lines[0]

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("COLUMNS", "60")
    shown = train(Terminal(), True, epochs=4)
    assert "4/4" in shown
    assert max(len(part) for part in shown.replace("\n", "\r").split("\r")) <= 59
    assert train(io.StringIO(), False) == ""


def test_without_an_activation_the_circles_cannot_be_separated(circles):
    """Lab Q3: two Linear layers with nothing between them are one linear boundary."""
    linear = nn.Sequential(nn.Linear(2, 10, seed=0), nn.Linear(10, 2, seed=1))
    fit(linear, F.cross_entropy, optim.Adam(linear.parameters(), lr=0.05), circles.train,
        epochs=40, batch_size=32, verbose=False)
    tanh_model, _ = train_circles(circles)
    assert evaluate(linear, F.cross_entropy, *circles.test)[1] < 0.75
    assert evaluate(tanh_model, F.cross_entropy, *circles.test)[1] >= 0.98


def test_tracing_a_nan_leaves_the_existing_gradients_as_they_were():
    from micrograd.train import _first_nonfinite_op

    model = nn.MLP([2, 3, 2], seed=0)
    X = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)  # as fit passes it
    y = np.array([0, 1, 1, 0, 1])
    F.cross_entropy(model(mg.Tensor(X)), y).backward()
    before = [p.grad.copy() for p in model.parameters()]
    assert _first_nonfinite_op(model, F.cross_entropy, X, y) is None  # all finite here
    for p, g in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.grad, g)


def test_a_float32_model_trains_on_float32_data_in_float32(circles):
    """fit must not turn float32 data into float64: a float32 model refuses float64 input."""
    model = nn.MLP([2, 10, 2], dtype=np.float32, seed=0)
    X, y = circles.train
    history = fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1),
                  (X.astype(np.float32), y), epochs=2, verbose=False)
    assert len(history.train_loss) == 2
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert evaluate(model, F.cross_entropy, X.astype(np.float32), y)[0] > 0


def test_training_curves_of_a_regression_run_draw_the_loss_only(tmp_path):
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    from micrograd.viz.plots import training_curves
    X = np.random.default_rng(0).standard_normal((50, 2))
    model = nn.MLP([2, 4, 1], seed=0)
    history = fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05),
                  (X, X.sum(axis=1, keepdims=True)), epochs=2, verbose=False)
    assert history.metric is None
    path = training_curves(history, tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_decision_boundary_draws_a_model_of_either_float_dtype(tmp_path, dtype):
    """The boundary's grid is numpy's float64; a float32 model (the default) refused it."""
    pytest.importorskip("matplotlib", reason="the plot extra is not installed")
    from micrograd.viz.plots import _probabilities, decision_boundary
    X, y = data.circles(40, noise=0.1, factor=0.5, seed=0)
    model = nn.MLP([2, 4, 2], seed=0, dtype=dtype)
    path = decision_boundary(model, X, y, tmp_path / "boundary.png", resolution=20)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    prob = _probabilities(model, X)
    assert prob.dtype == dtype  # computed in the model's dtype, not upcast
    np.testing.assert_allclose(prob, F.softmax(model(X.astype(dtype)), axis=1).data)
