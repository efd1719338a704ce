"""What fit and evaluate check before any work: data in the model's dtype (frozen parameters
count), labels and target columns against the model's outputs, each option with its fix."""
from __future__ import annotations

import numpy as np
import pytest

from micrograd import nn, optim
from micrograd.data import DataError
from micrograd.errors import ArgumentError, MicrogradError
from micrograd.nn import functional as F
from micrograd.train import evaluate, fit

rng = np.random.default_rng(0)
X = rng.normal(size=(24, 2))  # float64, as numpy makes it
Y = (X[:, 0] > 0).astype(int)


def sgd(model, lr=0.1):
    return optim.SGD(model.parameters(), lr=lr)


def test_x_and_float_targets_reach_the_model_and_the_loss_in_the_models_dtype():
    seen = []

    def spy_mse(z, t):
        seen.append((z.dtype, t.dtype))
        return F.mse_loss(z, t)

    for dtype in (np.float32, np.float64):
        model = nn.Linear(2, 1, bias=False, seed=0, dtype=dtype)  # one parameter only
        seen.clear()
        fit(model, spy_mse, sgd(model), (X, X[:, :1] * 2.0), epochs=1, batch_size=8, verbose=False)
        assert seen and set(seen) == {(np.dtype(dtype), np.dtype(dtype))}
        seen.clear()
        evaluate(model, spy_mse, X, X[:, :1] * 2.0)
        assert set(seen) == {(np.dtype(dtype), np.dtype(dtype))}


def test_a_frozen_model_is_evaluated_in_its_dtype():
    model = nn.MLP([2, 3, 2], seed=0)  # float32
    expected = evaluate(model, F.cross_entropy, X, Y)
    model.requires_grad_(False)
    assert evaluate(model, F.cross_entropy, X, Y) == expected


def test_a_model_without_parameters_is_evaluated_on_the_data_as_given():
    loss, metric = evaluate(nn.Tanh(), F.mse_loss, X, np.tanh(X))
    assert loss == 0.0 and metric is None


def test_data_errors_name_where_they_were_found():
    model = nn.MLP([2, 3, 2], seed=0)
    with pytest.raises(DataError, match=r"^fit \(train\): X has 24 rows but y has 23 labels"):
        fit(model, F.cross_entropy, sgd(model), (X, Y[:-1]), verbose=False)
    with pytest.raises(DataError, match=r"^evaluate: X has 24 rows but y has 23 labels"):
        evaluate(model, F.cross_entropy, X, Y[:-1])
    bad = X.copy()
    bad[3, 0] = np.inf
    with pytest.raises(DataError, match=r"^fit \(val\): X holds 1 nan/inf value\(s\), the first "
                                        r"in row 3; clean or impute the data first$"):
        fit(model, F.cross_entropy, sgd(model), (X, Y), val=(bad, Y), verbose=False)


def test_images_with_a_nan_name_the_row():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2, seed=0))
    images = rng.normal(size=(6, 2, 2))
    images[4, 1, 0] = images[4, 0, 1] = np.nan
    with pytest.raises(DataError, match=r"X holds 2 nan/inf value\(s\), the first in row 4;"):
        fit(model, F.cross_entropy, sgd(model), (images, Y[:6]), verbose=False)


def test_non_finite_float_targets_are_counted():
    model = nn.Linear(2, 1, seed=0)
    t = X[:, :1] * 2.0
    t[[2, 5, 9]] = [[np.nan], [np.inf], [-np.inf]]
    with pytest.raises(DataError) as e:
        fit(model, F.mse_loss, sgd(model), (X, t), verbose=False)
    assert str(e.value) == "fit (train): y holds 3 nan/inf value(s); clean the targets first"


@pytest.mark.parametrize("classes", [2, 3])
def test_class_labels_are_checked_against_the_models_outputs(classes):
    model = nn.MLP([2, 4, classes], seed=0)
    labels = Y.copy()
    labels[6] = classes
    with pytest.raises(DataError, match=r"^fit \(train\) \(labels; the model has "
                                        rf"{classes} outputs\): .*label {classes} is at index 6"):
        fit(model, F.cross_entropy, sgd(model), (X, labels), verbose=False)


def test_targets_with_one_column_per_output_are_not_labels():
    """Soft targets (n, classes) for cross_entropy, and 1-D targets for a one-output model
    with a loss of one's own, train as given."""
    model = nn.MLP([2, 4, 2], seed=0)
    soft = np.column_stack([1.0 - (X[:, 0] > 0), (X[:, 0] > 0) * 1.0]) * 0.8 + 0.1
    h = fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.05), (X, soft),
            epochs=5, verbose=False, metric=None)
    assert h.train_loss[-1] < h.initial_loss
    model = nn.Linear(2, 1, seed=0)
    flat_mse = lambda z, t: ((z.reshape(-1) - t) ** 2).mean()  # noqa: E731
    h = fit(model, flat_mse, sgd(model), (X, X[:, 0] * 2.0), epochs=5, verbose=False)
    assert h.train_loss[-1] < h.initial_loss


def test_target_columns_must_match_the_outputs():
    model = nn.MLP([2, 4, 2], seed=0)
    with pytest.raises(DataError) as e:
        fit(model, F.cross_entropy, sgd(model), (X, np.full((24, 3), 1 / 3)), verbose=False)
    assert str(e.value) == "fit (train): target rows have 3 columns but the model has 2 outputs"


def test_option_errors_state_the_option_and_the_fix():
    model = nn.MLP([2, 3, 2], seed=0)
    other = sgd(nn.MLP([2, 3, 2], seed=1))
    with pytest.raises(MicrogradError) as e:
        fit(model, F.cross_entropy, "sgd", (X, Y), verbose=False)
    assert str(e.value) == ("fit: optimizer must be a micrograd.optim Optimizer such as "
                            "optim.SGD(model.parameters(), lr=0.1), got a str")
    with pytest.raises(MicrogradError) as e:
        fit(model, F.cross_entropy, other, (X, Y), verbose=False)
    assert str(e.value) == ("fit: the optimizer holds none of the model's parameters; build it "
                            "from this model: optim.SGD(model.parameters(), lr=...)")
    with pytest.raises(ArgumentError, match=r"^fit: blowup must be a number > 1, or float\('inf'\) "
                                            r"to turn the blow-up check off, got 1$"):
        fit(model, F.cross_entropy, sgd(model), (X, Y), verbose=False, blowup=1)
    with pytest.raises(ArgumentError, match=r"^fit: verbose must be True, False or an integer "
                                            r"k >= 0 \(print every k-th epoch\), got -1$"):
        fit(model, F.cross_entropy, sgd(model), (X, Y), verbose=-1)


def test_the_smallest_allowed_options_are_accepted(capsys):
    """verbose=0 (no log lines, no bar) and a blow-up factor between 1 and 2."""
    model = nn.MLP([2, 3, 2], seed=0)
    h = fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.01), (X, Y), epochs=2,
            verbose=0, blowup=1.5)
    assert len(h.train_loss) == 2 and capsys.readouterr().out == ""


def test_an_optimizer_holding_only_frozen_parameters_is_refused_before_training():
    """Frozen parameters get no .grad, so fit would run every epoch and change nothing.
    (The optimizer refuses frozen ones when built; they are frozen after.)"""
    model = nn.MLP([2, 3, 2], seed=0)
    first, last = model.layers[0], model.layers[-1]
    opt = optim.SGD(last.parameters(), lr=0.1)
    last.requires_grad_(False)
    before = [p.data.copy() for p in model.parameters(include_frozen=True)]
    with pytest.raises(MicrogradError, match=r"^fit: the optimizer holds only frozen parameters "
                                             r"of the model \(requires_grad=False\), so training "
                                             r"would change nothing; unfreeze them "
                                             r"\(p\.requires_grad_\(\)\) or build the optimizer "
                                             r"from the trainable ones: "
                                             r"optim\.SGD\(model\.parameters\(\), lr=\.\.\.\)$"):
        fit(model, F.cross_entropy, opt, (X, Y), verbose=False)
    for p, b in zip(model.parameters(include_frozen=True), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
    # holding one trainable parameter is enough: the frozen rest is the user's choice
    last.requires_grad_(True)
    opt = optim.SGD([first.weight, *last.parameters()], lr=0.1)
    last.requires_grad_(False)
    fit(model, F.cross_entropy, opt, (X, Y), epochs=1, verbose=False)
    assert not np.array_equal(first.weight.data, before[0])
