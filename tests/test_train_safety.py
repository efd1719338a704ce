"""fit() with losses that go negative, a blow-up check that can be switched off, options
checked before any training, and anomaly detection only inside fit's own diagnosis."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import micrograd as mg
from micrograd import Tensor, data, nn, optim
from micrograd.data import DataError
from micrograd.nn import functional as F
from micrograd.optim import OptimizerError
from micrograd.train import DivergenceError, fit


@pytest.fixture(scope="module")
def circles():
    return data.split(*data.circles(n=200, noise=0.1, seed=0), val=0.2, test=0.2, seed=0)


def shifted_cross_entropy(z, y):
    """Cross-entropy minus 5: the same minimiser, a loss that is negative from the start."""
    return F.cross_entropy(z, y) - 5.0


def test_a_negative_loss_trains_without_a_divergence_error(circles):
    model = nn.MLP([2, 10, 2], seed=0)
    h = fit(model, shifted_cross_entropy, optim.Adam(model.parameters(), lr=0.05), circles.train,
            epochs=30, batch_size=32, verbose=False, metric="accuracy")
    assert h.initial_loss < 0 and h.train_loss[-1] < h.initial_loss
    assert h.train_acc[-1] > 0.9


def regression(seed=0):
    """y = 2x with a loss shifted by -100, and full-batch GD at lr 1.5: past the stable
    step 1/mean(x²), so the error doubles (and the loss, still finite, quadruples) each step."""
    X = np.random.default_rng(seed).normal(size=(64, 1))
    y = 2 * X
    model = nn.Linear(1, 1, seed=seed)
    loss = lambda z, t: F.mse_loss(z, t) - 100.0  # noqa: E731
    return model, loss, optim.SGD(model.parameters(), lr=1.5), (X, y)


def test_a_negative_loss_that_climbs_is_still_a_blow_up():
    model, loss, opt, train = regression()
    with pytest.raises(DivergenceError, match=r"the loss grew to .* a climb of more than 9 x max") as e:
        fit(model, loss, opt, train, epochs=20, verbose=False, metric=lambda z, y: 0.0)
    assert e.value.history.initial_loss < 0 and 1 < e.value.epoch < 20
    assert all(np.isfinite(e.value.history.step_loss))


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_blowup_inf_turns_the_blow_up_check_off():
    model, loss, opt, train = regression()
    h = fit(model, loss, opt, train, epochs=6, verbose=False, blowup=float("inf"), metric=lambda z, y: 0.0)
    assert h.initial_loss < 0 and h.train_loss[-1] > h.initial_loss + 1000  # climbed, and was let be
    # nan/inf is still caught with the check off.
    model, loss, opt, train = regression()
    with pytest.raises(DivergenceError, match="nan or inf"):
        fit(model, loss, opt, train, epochs=1000, verbose=False, blowup=math.inf, metric=lambda z, y: 0.0)


def untouched(model, opt):
    return all(p._version == 0 for p in model.parameters()) and opt.steps == 0


@pytest.mark.parametrize("blowup", [1, 1.0, 0.5, -3, math.nan, -math.inf, "10", True, None])
def test_blowup_must_be_a_number_above_one(circles, blowup):
    model = nn.MLP([2, 3, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(nn.ArgumentError, match=r"fit: blowup must be a number > 1.*got " + repr(blowup)[:3]):
        fit(model, F.cross_entropy, opt, circles.train, verbose=False, blowup=blowup)
    assert untouched(model, opt)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "8"])
def test_batch_size_is_checked_before_training(circles, batch_size):
    model = nn.MLP([2, 3, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(DataError, match=r"fit: batch_size must be None \(full batch\) or an integer >= 1, got "
                                        + repr(batch_size)):
        fit(model, F.cross_entropy, opt, circles.train, verbose=False, batch_size=batch_size)
    assert untouched(model, opt)


@pytest.mark.parametrize("epochs", [-1, 0, 1.5, True, None])
def test_epochs_is_checked_before_training(circles, epochs):
    model = nn.MLP([2, 3, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(nn.ArgumentError, match=r"fit: epochs must be an integer >= 1, got " + repr(epochs)):
        fit(model, F.cross_entropy, opt, circles.train, verbose=False, epochs=epochs)
    assert untouched(model, opt)


def test_empty_or_non_finite_data_is_named(circles):
    model = nn.MLP([2, 3, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(DataError, match=r"fit \(train\): X and y are empty \(shape \(0, 2\)\)"):
        fit(model, F.cross_entropy, opt, (np.zeros((0, 2)), np.zeros(0, dtype=int)), verbose=False)
    X, y = circles.train
    X = X.copy()
    X[5, 1] = np.nan
    with pytest.raises(DataError, match=r"fit \(train\): X holds 1 nan/inf value\(s\), the first in row 5"):
        fit(model, F.cross_entropy, opt, (X, y), verbose=False)
    with pytest.raises(DataError, match=r"fit \(val\): X and y are empty"):
        fit(model, F.cross_entropy, opt, circles.train, val=(np.zeros((0, 2)), np.zeros(0)), verbose=False)
    assert untouched(model, opt)


def test_other_options_are_checked_before_training(circles):
    model = nn.MLP([2, 3, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    other = optim.SGD(nn.MLP([2, 3, 2], seed=1).parameters(), lr=0.1)
    with pytest.raises(mg.MicrogradError, match="the optimizer holds none of the model's parameters"):
        fit(model, F.cross_entropy, other, circles.train, verbose=False)
    with pytest.raises(mg.MicrogradError, match="optimizer must be a micrograd.optim Optimizer"):
        fit(model, F.cross_entropy, "sgd", circles.train, verbose=False)
    with pytest.raises(nn.ArgumentError, match=r"verbose must be True, False or an integer k >= 0.*got 0\.5"):
        fit(model, F.cross_entropy, opt, circles.train, verbose=0.5)
    with pytest.raises(OptimizerError, match=r"fit: clip_grad must be a finite number > 0, got 0"):
        fit(model, F.cross_entropy, opt, circles.train, verbose=False, clip_grad=0)
    with pytest.raises(DataError, match=r"fit: val must be a pair \(X, y\), got a ndarray of length 40"):
        fit(model, F.cross_entropy, opt, circles.train, val=circles.val[0], verbose=False)
    with pytest.raises(mg.MicrogradError, match="fit: model must be a micrograd.nn Module, got a function"):
        fit(lambda x: x, F.cross_entropy, opt, circles.train, verbose=False)
    assert untouched(model, opt) and other.steps == 0


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_anomaly_detection_is_only_on_inside_fits_own_rerun(circles):
    """While fit re-runs the failing step under detect_anomaly(), another thread's ops are
    not checked; afterwards, nothing is checked anywhere."""
    seen_in_other_thread = []

    def naive_cross_entropy(z, y):
        if len(calls) == 2:  # the third call: fit's diagnosis, under detect_anomaly()
            def other():
                try:
                    seen_in_other_thread.append(mg.log(Tensor([-1.0])).item())
                except mg.AnomalyError as e:
                    seen_in_other_thread.append(e)
            t = threading.Thread(target=other)
            t.start()
            t.join()
        calls.append(1)
        return -(z.softmax(axis=1).log()[np.arange(len(y)), y]).mean()

    calls: list[int] = []
    model = nn.MLP([2, 10, 2], seed=0)
    with mg.no_grad():
        model.layers[2].weight *= 1e4  # some softmax entries round to 0, and log(0) = -inf
    with pytest.raises(DivergenceError) as e:
        fit(model, naive_cross_entropy, optim.SGD(model.parameters(), lr=0.1), circles.train,
            epochs=1, verbose=False, blowup=1e12)
    assert e.value.op and e.value.op.startswith("log:")  # the re-run did run under anomaly mode
    assert len(seen_in_other_thread) == 1 and math.isnan(seen_in_other_thread[0])
    assert math.isnan(mg.log(Tensor([-1.0])).item())  # and it is off again here
