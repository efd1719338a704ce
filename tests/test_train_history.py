"""History: last() names the final epoch's numbers after the metric, curves() holds every
deterministic list, and train_acc/val_acc say what was measured when it was not accuracy."""
from __future__ import annotations

import pytest

from micrograd.errors import MicrogradError
from micrograd.train import History


def three_epochs(metric):
    return History(train_loss=[0.9, 0.5, 0.3], val_loss=[1.0, 0.6, 0.4],
                   train_metric=[0.6, 0.7, 0.8], val_metric=[0.55, 0.65, 0.75], metric=metric,
                   time=[1.0, 2.0, 3.0], step_loss=[1.0, 0.8, 0.6, 0.4])


@pytest.mark.parametrize("metric, key", [("accuracy", "acc"), ("worst_error", "worst_error")])
def test_last_holds_the_final_epoch_under_the_metrics_name(metric, key):
    h = three_epochs(metric)
    assert h.last() == {"train_loss": 0.3, f"train_{key}": 0.8, "val_loss": 0.4, f"val_{key}": 0.75}
    h.val_loss, h.val_metric = [], []  # no validation set
    assert h.last() == {"train_loss": 0.3, f"train_{key}": 0.8}


def test_last_without_a_metric_holds_the_losses_only():
    h = three_epochs(None)
    h.train_metric, h.val_metric = [], []
    assert h.last() == {"train_loss": 0.3, "val_loss": 0.4}


def test_curves_hold_every_list_but_the_times():
    h = three_epochs("accuracy")
    assert h.curves() == {"train_loss": [0.9, 0.5, 0.3], "train_metric": [0.6, 0.7, 0.8],
                          "val_loss": [1.0, 0.6, 0.4], "val_metric": [0.55, 0.65, 0.75],
                          "step_loss": [1.0, 0.8, 0.6, 0.4]}


def test_accuracy_of_a_loss_only_run_says_how_to_measure_it():
    h = three_epochs(None)
    with pytest.raises(MicrogradError) as e:
        h.val_acc
    assert str(e.value) == (
        "History.val_acc: this run measured only the loss (metric=None; fit's default for a "
        "loss that is not cross_entropy or nll_loss), not accuracy; pass metric='accuracy' to "
        "fit to measure it")


def test_accuracy_of_a_run_with_another_metric_points_to_that_metric():
    h = three_epochs("worst_error")
    with pytest.raises(MicrogradError) as e:
        h.val_acc
    assert str(e.value) == ("History.val_acc: this run measured 'worst_error', not accuracy; pass "
                            "metric='accuracy' to fit to measure it, or read val_metric")
    assert three_epochs("accuracy").val_acc == [0.55, 0.65, 0.75]
