"""fit's metric: accuracy by default only for a classification loss, none for a regression,
any function on request; the History holds what was measured and nothing else."""
from __future__ import annotations

import functools
import io

import numpy as np
import pytest

from micrograd import nn, optim
from micrograd.errors import ArgumentError, DivergenceError, MicrogradError
from micrograd.nn import functional as F
from micrograd.train import evaluate, fit
from micrograd.train.metrics import METRICS, is_classification_loss, resolve_metric

rng = np.random.default_rng(0)
XR = rng.normal(size=(40, 3))
YR = XR @ np.array([[1.0], [-2.0], [0.5]]) + 0.3  # a regression target, shape (40, 1)
XC = rng.normal(size=(40, 2))
YC = (XC[:, 0] * XC[:, 1] > 0).astype(int)  # two classes


def fit_regression(loss_fn, **options):
    model = nn.Linear(3, 1, seed=0)
    return fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.05), (XR, YR), (XR, YR),
               epochs=3, verbose=False, **options)


def fit_classifier(loss_fn=F.cross_entropy, **options):
    model = nn.MLP([2, 8, 2], seed=0)
    return fit(model, loss_fn, optim.Adam(model.parameters(), lr=0.05), (XC, YC), (XC, YC),
               epochs=3, verbose=False, **options)


@pytest.mark.parametrize("loss_fn", [F.mse_loss, F.l1_loss, nn.MSELoss(), nn.L1Loss()],
                         ids=["mse_loss", "l1_loss", "MSELoss", "L1Loss"])
def test_a_regression_loss_measures_no_accuracy(loss_fn):
    h = fit_regression(loss_fn)
    assert h.metric is None and h.train_metric == [] and h.val_metric == []
    assert len(h.train_loss) == len(h.val_loss) == 3
    assert h.last() == {"train_loss": h.train_loss[-1], "val_loss": h.val_loss[-1]}
    with pytest.raises(MicrogradError, match=r"History\.train_acc: this run measured only the "
                                             r"loss .* pass metric='accuracy'"):
        h.train_acc
    assert evaluate(nn.Linear(3, 1, seed=0), loss_fn, XR, YR)[1] is None


@pytest.mark.parametrize("loss_fn", [
    F.cross_entropy, nn.CrossEntropyLoss(), functools.partial(F.cross_entropy, reduction="sum")],
    ids=["cross_entropy", "CrossEntropyLoss", "partial"])
def test_a_classification_loss_measures_accuracy_by_default(loss_fn):
    h = fit_classifier(loss_fn)
    assert h.metric == "accuracy" and h.train_acc is h.train_metric and len(h.val_acc) == 3
    model = nn.MLP([2, 8, 2], seed=0)
    expected = F.accuracy(model(XC.astype(np.float32)), YC)  # evaluate takes the model's dtype
    assert evaluate(model, loss_fn, XC, YC)[1] == expected


def test_the_rule_names_the_classification_losses():
    for loss in (F.cross_entropy, F.nll_loss, nn.CrossEntropyLoss(), nn.NLLLoss(),
                 functools.partial(F.nll_loss, reduction="sum")):
        assert is_classification_loss(loss)
    for loss in (F.mse_loss, F.l1_loss, F.binary_cross_entropy_with_logits, nn.MSELoss(),
                 lambda z, y: F.cross_entropy(z, y)):  # your own: only you know
        assert not is_classification_loss(loss)


def test_metric_none_measures_nothing_even_for_cross_entropy(monkeypatch):
    calls = []
    monkeypatch.setitem(METRICS, "accuracy", lambda z, y: calls.append(1) or 0.5)
    assert fit_classifier().train_metric == [0.5] * 3 and calls  # the spy is the one used
    calls.clear()
    h = fit_classifier(metric=None)
    assert h.metric is None and h.train_metric == [] and not calls


def test_a_metric_function_is_recorded_under_its_name():
    def worst_error(outputs, targets):
        return float(np.abs(outputs.data - targets).max())

    h = fit_regression(F.mse_loss, metric=worst_error)
    assert h.metric == "worst_error" and len(h.train_metric) == len(h.val_metric) == 3
    assert h.last()["val_worst_error"] == h.val_metric[-1]
    with pytest.raises(MicrogradError, match=r"measured 'worst_error', not accuracy.*read "
                                             r"train_metric"):
        h.train_acc
    h = fit_regression(F.mse_loss, metric=lambda z, y: 1.5)
    assert h.metric == "metric" and h.train_metric == [1.5] * 3


def test_accuracy_on_request_for_a_loss_of_your_own():
    h = fit_classifier(lambda z, y: F.cross_entropy(z, y), metric="accuracy")
    assert h.metric == "accuracy" and len(h.train_acc) == 3


@pytest.mark.parametrize("metric", ["f1", 3, "Accuracy"])
def test_a_bad_metric_is_named(metric):
    with pytest.raises(ArgumentError, match=r"fit: metric must be 'auto', 'accuracy', None"):
        fit_classifier(metric=metric)
    with pytest.raises(ArgumentError, match=r"evaluate: metric must be"):
        resolve_metric(metric, F.cross_entropy, "evaluate")


def test_the_log_lines_show_what_was_measured():
    model = nn.Linear(3, 1, seed=0)
    out = io.StringIO()
    fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), (XR, YR), (XR, YR),
        epochs=2, verbose=1, stream=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "acc" not in out.getvalue()
    assert lines[0].split("  ", 1)[1].startswith("train loss ") and "| val loss " in lines[0]
    model = nn.MLP([2, 8, 2], seed=0)
    out = io.StringIO()
    fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.05), (XC, YC), epochs=1,
        verbose=1, stream=out)
    assert "/ acc " in out.getvalue() and "%" in out.getvalue()


def test_fit_with_param_groups_names_each_learning_rate_when_it_diverges():
    X = np.random.default_rng(0).normal(size=(64, 1))
    model = nn.Linear(1, 1, seed=0)
    opt = optim.SGD([{"params": [model.weight], "lr": 1.5}, {"params": [model.bias]}], lr=0.1)
    with pytest.raises(DivergenceError, match=r"with learning rates 1\.5, 0\.1 \(one per param "
                                              r"group\).*e\.g\. lr=0\.15") as e:
        fit(model, F.mse_loss, opt, (X, 2 * X), epochs=30, verbose=False)
    assert e.value.lr == 1.5 and e.value.history.lr == 1.5


def test_a_metric_without_a_name_is_recorded_under_its_type():
    class WorstError:  # a callable object: no __name__ of its own
        def __call__(self, outputs, targets):
            return float(np.abs(outputs.data - targets).max())

    fn = WorstError()
    assert resolve_metric(fn, F.mse_loss, "fit") == ("WorstError", fn)
    partial = functools.partial(F.accuracy)
    assert resolve_metric(partial, F.mse_loss, "fit") == ("partial", partial)
    assert fit_regression(F.mse_loss, metric=fn).metric == "WorstError"


def test_a_metric_that_is_not_a_function_names_its_type():
    with pytest.raises(ArgumentError, match=r"fit: metric must be .* -> float, got a int$"):
        fit_classifier(metric=3)
    with pytest.raises(ArgumentError, match=r"got a list$"):
        resolve_metric([F.accuracy], F.cross_entropy, "evaluate")
