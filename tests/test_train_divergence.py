"""The DivergenceError fit raises: where it happened, whether the loss or a gradient went
nan/inf (and the op that made it), or how far the loss climbed; and the fix it suggests."""
from __future__ import annotations

import math

import numpy as np
import pytest

from micrograd import nn, no_grad, optim
from micrograd.nn import functional as F
from micrograd.train import DivergenceError, fit

rng = np.random.default_rng(0)
XC = rng.normal(size=(40, 2))
YC = (XC[:, 0] * XC[:, 1] > 0).astype(int)
XR = rng.normal(size=(32, 1))


def diverge(model, loss_fn, train, lr=0.1, **options) -> DivergenceError:
    options = {"epochs": 3, "verbose": False, **options}
    with pytest.raises(DivergenceError) as e:
        fit(model, loss_fn, optim.SGD(model.parameters(), lr=lr), train, **options)
    return e.value


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_a_loss_that_is_inf_before_any_update_blames_the_loss_not_the_learning_rate():
    def naive_cross_entropy(z, y):  # log(softmax) underflows to log(0) = -inf
        return -(z.softmax(axis=1).log()[np.arange(len(y)), y]).mean()

    model = nn.MLP([2, 6, 2], seed=0)
    with no_grad():
        model.layers[2].weight *= 1e4  # logits far apart: some softmax entries are exactly 0
    err = diverge(model, naive_cross_entropy, (XC, YC), lr=0.25, batch_size=None)
    msg = str(err)
    assert (err.epoch, err.step, err.lr) == (1, 1, 0.25)
    assert math.isinf(err.loss) and err.op.startswith("log:")
    assert err.history.step_loss == [] and math.isinf(err.history.initial_loss)
    assert msg.startswith("training diverged at epoch 1, step 1 of 1, before any update: "
                          "the loss became nan or inf; the first op to produce it (found by "
                          "re-running the step under detect_anomaly()) was log:")
    assert msg.endswith(". Check the loss function, the model's initial weights and the data")
    assert "learning rate" not in msg


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_a_finite_loss_with_a_nan_gradient_names_the_gradient_and_its_op():
    """sqrt(0) is 0 but its slope is inf: from the second step on, the loss stays finite
    while the gradient becomes nan; the op is found by re-running that step."""
    calls = []

    def loss_with_a_kink(z, y):
        calls.append(1)  # call 1: the initial loss, 2: step 1, 3: step 2, 4: fit's re-run
        loss = F.mse_loss(z, y)
        return loss + (z * 0.0).sqrt().sum() if len(calls) >= 3 else loss

    model = nn.Linear(1, 1, seed=0)
    err = diverge(model, loss_with_a_kink, (XR, 2 * XR), lr=0.05, batch_size=16)
    msg = str(err)
    assert (err.epoch, err.step, err.lr) == (1, 2, 0.05)
    assert math.isfinite(err.loss) and err.loss > 0 and err.op.startswith("sqrt:")
    assert msg.startswith("training diverged at epoch 1, step 2 of 2 with learning rate 0.05: "
                          "the gradient became nan or inf; the first op to produce it (found by "
                          "re-running the step under detect_anomaly()) was sqrt:")
    assert "before any update" not in msg
    assert msg.endswith("Try a smaller learning rate (e.g. lr=0.005), gradient clipping "
                        "(fit(..., clip_grad=1.0)), an adaptive optimizer such as Adam, or "
                        "standardized inputs.")


def test_a_loss_that_climbs_says_how_far_and_names_no_op():
    """Full-batch GD on y = 2x at lr 1.5, past the stable step: the loss grows, finite."""
    model = nn.Linear(1, 1, seed=0)
    err = diverge(model, F.mse_loss, (XR, 2 * XR), lr=1.5, epochs=30, blowup=10)
    msg = str(err)
    assert err.op is None and math.isfinite(err.loss) and err.epoch > 1
    L0 = err.history.initial_loss
    assert (f"from the untrained model's {L0:.4g}, a climb of more than 9 x max(|{L0:.4g}|, "
            "1e-06) (blowup=10; blowup=float('inf') turns this check off). Try a smaller "
            "learning rate") in msg
    assert "first op" not in msg
