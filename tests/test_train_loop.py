"""fit's loop: its defaults, the blow-up rule on the loss smoothed over about an epoch (with
losses scripted step by step), the shuffled order of the examples, the recorded times."""
from __future__ import annotations

import io
import types

import numpy as np
import pytest

from micrograd import nn, optim
from micrograd.data import DataError
from micrograd.errors import MicrogradError
from micrograd.nn import functional as F
from micrograd.train import DivergenceError, fit
from micrograd.train import loop as loop_module

rng = np.random.default_rng(0)
X = rng.normal(size=(32, 1))
T = 2.0 * X  # a regression target
XC = rng.normal(size=(32, 2))
YC = (XC[:, 0] > 0).astype(int)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def scripted(initial, steps):
    """A loss whose value is `initial` when fit evaluates the model (no graph recorded) and
    the next of `steps` at each training step; its gradient is 0."""
    values = iter(steps)

    def loss(z, t):
        return (z * 0.0).sum() + (next(values) if z.requires_grad else initial)
    return loss


def run(loss_fn, **options):
    model = nn.Linear(1, 1, seed=0)
    return fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), (X, T),
               **{"verbose": False, **options})


def test_the_loss_may_climb_by_exactly_blowup_minus_1_times_the_initial_loss():
    """Full batch: one step per epoch, so the smoothed loss is the step's loss. From L0 = 2
    with blowup=3 the loss may climb by (3 - 1)·2 = 4: to 6, not above."""
    with pytest.raises(DivergenceError) as e:
        run(scripted(2.0, [6.0, 6.0, 6.25]), epochs=5, blowup=3)
    err = e.value
    assert (err.epoch, err.step, err.loss) == (3, 1, 6.25)
    assert err.history.step_loss == [6.0, 6.0]
    assert ("training diverged at epoch 3, step 1 of 1 with learning rate 0.1: the loss grew "
            "to 6.25") in str(err)


def test_one_spike_is_averaged_over_the_epoch_but_a_climb_is_not():
    """batch_size 8 of 32: 4 steps per epoch, each step weighs 1/4 in the smoothed loss.
    From 2, a step of 16 smooths to 0.75·2 + 0.25·16 = 5.5 (under 6); one of 20 to 6.5."""
    spike = [2.0, 2.0, 2.0, 16.0, 2.0, 2.0, 2.0, 2.0]
    h = run(scripted(2.0, spike), epochs=2, batch_size=8, blowup=3)
    assert h.step_loss == spike and h.batch_size == 8
    with pytest.raises(DivergenceError) as e:
        run(scripted(2.0, [2.0, 2.0, 2.0, 20.0]), epochs=2, batch_size=8, blowup=3)
    assert (e.value.epoch, e.value.step) == (1, 4)
    assert ("at epoch 1, step 4 of 4 with learning rate 0.1: the loss grew to 6.5 (averaged over "
            "about an epoch; this step's is 20) from the untrained model's 2, a climb of more "
            "than 2 x max(|2|, 1e-06)") in str(e.value)


def test_the_examples_are_shuffled_anew_each_epoch():
    seen = []

    def spy(z, t):
        if z.requires_grad:
            seen.append(t[:, 0].copy())
        return F.mse_loss(z, t)

    run(spy, epochs=2, batch_size=32)
    first, second = seen
    given = T[:, 0].astype(np.float32)
    for order in (first, second):
        assert sorted(order) == sorted(given) and not np.array_equal(order, given)
    assert not np.array_equal(first, second)


def test_the_recorded_times_add_up_each_epochs_training_time(monkeypatch):
    clock = iter(range(0, 100, 3))  # every reading 3 s after the last: each epoch takes 3 s
    fake_time = types.SimpleNamespace(perf_counter=lambda: next(clock))
    monkeypatch.setattr(loop_module, "time", fake_time)
    h = run(F.mse_loss, epochs=3)
    assert h.time == [3.0, 6.0, 9.0]


def test_the_defaults_are_10_epochs_seed_0_and_a_bar_on_a_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")

    def train(**options):
        model = nn.MLP([2, 3, 2], seed=0)
        return fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (XC, YC),
                   batch_size=8, **options)

    shown = Terminal()
    h = train(stream=shown)
    assert len(h.train_loss) == 10 and "10/10" in shown.getvalue()
    assert h.curves() == train(seed=0, verbose=False).curves()
    assert h.curves() != train(seed=1, verbose=False).curves()
    quiet = Terminal()
    train(epochs=2, verbose=False, stream=quiet)
    assert quiet.getvalue() == ""


def test_fit_without_an_optimizer_or_data_says_what_it_needs():
    model = nn.Linear(1, 1, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for args in [(F.mse_loss, None, (X, T)), (F.mse_loss, opt, None), (F.mse_loss,)]:
        with pytest.raises(MicrogradError) as e:
            fit(model, *args, verbose=False)
        assert str(e.value) == "fit: needs an optimizer and train=(X, y)"


def test_train_and_val_must_be_pairs():
    model = nn.Linear(1, 1, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(DataError) as e:
        fit(model, F.mse_loss, opt, X, verbose=False)
    assert str(e.value) == "fit: train must be a pair (X, y), got a ndarray of length 32"
    with pytest.raises(DataError) as e:
        fit(model, F.mse_loss, opt, (X, T, T), verbose=False)
    assert str(e.value) == "fit: train must be a pair (X, y), got a tuple of length 3"
    with pytest.raises(DataError) as e:
        fit(model, F.mse_loss, opt, [X, T], val=0.2, verbose=False)
    assert str(e.value) == "fit: val must be a pair (X, y), got a float"
