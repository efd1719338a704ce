"""The lab's nan run (docs/lab.md, Part 2): its recipe reaches nan within two epochs and
anomaly detection names the op; each fix alone keeps every loss finite; the routes to nan
the page describes are the ones the numbers take."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from micrograd import Tensor
from micrograd.lab.nan_run import FIXES, FLOAT32_EXP_LIMIT, LAB, RECIPES, _cause, _loss, run_recipe

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_the_labs_recipe_reaches_nan_within_two_epochs_and_anomaly_detection_names_the_op(seed):
    run = run_recipe(LAB, epochs=2, seed=seed)
    assert run.first_bad_epoch is not None and run.first_bad_epoch <= 1
    assert not np.isfinite(run.batch_loss[-1])  # and it stays nan, as in the lab's log
    assert run.anomaly is not None
    assert run.anomaly.split(":")[0] in {"exp", "log", "div", "mul"}, run.anomaly
    assert "produced" in run.anomaly


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("recipe", FIXES, ids=[r.name for r in FIXES])
def test_each_fix_alone_keeps_every_loss_finite(recipe, seed):
    run = run_recipe(recipe, epochs=3, seed=seed)
    assert run.finite, run.anomaly
    assert np.isfinite(run.step_loss).all() and np.isfinite(run.val_loss).all()
    # every fix differs from the lab's recipe in exactly one field
    changed = [f for f in ("dtype", "loss", "reduction", "lr", "clip")
               if getattr(recipe, f) != getattr(LAB, f)]
    assert len(changed) == 1, changed


def test_only_the_fixes_that_shrink_the_steps_make_the_network_learn():
    """log-sum-exp and float64 remove the nan, not its cause: the steps stay as large."""
    acc = {r.name: np.mean([run_recipe(r, epochs=8, seed=s).val_acc[-1] for s in range(3)])
           for r in FIXES}
    for name in ("mean", "η = 0.1", "clipping"):
        assert acc[name] > 0.85, acc
    for name in ("log-sum-exp", "float64"):
        assert acc[name] < 0.75, acc


def test_nan_weights_predict_class_0_so_the_accuracy_is_class_0s_share():
    run = run_recipe(LAB, epochs=4, seed=0)
    after = range(run.first_bad_epoch + 1, 4)
    assert [run.batch_acc[k] for k in after] == [run.batch_class0[k] for k in after]
    assert all(100 * a % 10 == 0 for a in run.batch_acc)  # batches of 10
    assert run.val_acc[-1] == pytest.approx(run.val_class0)


def test_the_mean_over_10_takes_the_steps_of_the_sum_at_eta_0_1():
    mean, small = (run_recipe(next(r for r in FIXES if r.name == name), epochs=1, seed=0)
                   for name in ("mean", "η = 0.1"))
    np.testing.assert_allclose(mean.step_loss, small.step_loss, rtol=1e-4)


def test_the_routes_to_nan_the_docs_describe():
    onehot = Tensor(np.array([[1.0, 0.0]], dtype=np.float32))
    hand, stable = LAB, next(r for r in FIXES if r.loss == "log_softmax")
    with np.errstate(all="ignore"):
        # float32's exp overflows just above 88.72
        assert np.isfinite(np.exp(np.float32(88.7))) and np.isinf(np.exp(np.float32(88.8)))
        assert FLOAT32_EXP_LIMIT == pytest.approx(88.72, abs=0.01)
        # a logit above it: inf / inf = nan
        big = Tensor(np.array([[100.0, 0.0]], dtype=np.float32))
        assert np.isnan(_loss(hand, big, onehot).item())
        assert "exp overflowed" in _cause(big.data, onehot.data)
        # a confident, right prediction: the other class's ŷ rounds to 0, and 0 · log 0 = nan
        sure = Tensor(np.array([[50.0, -60.0]], dtype=np.float32))
        assert np.isnan(_loss(hand, sure, onehot).item())
        assert "0 · log 0" in _cause(sure.data, onehot.data)
        # the log-sum-exp form gives the right answer, about 0, for both
        assert _loss(stable, sure, onehot).item() == pytest.approx(0.0, abs=1e-6)
        assert _loss(stable, big, onehot).item() == pytest.approx(0.0, abs=1e-6)
    # a cross-entropy of 75 is a true logit about 75 below the top one
    wrong = Tensor(np.array([[0.0, 75.0]]))
    assert _loss(stable, wrong, Tensor(np.array([[1.0, 0.0]]))).item() == pytest.approx(75.0)


def test_the_demo_prints_the_log_and_draws_every_run(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the demo draws with matplotlib")
    spec = importlib.util.spec_from_file_location("demo_nan_run", ROOT / "demos" / "nan_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--fast", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "detect_anomaly(): " in out and "loss nan" in out
    for recipe in RECIPES:
        assert recipe.name in out
    png = (tmp_path / "nan_run.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_the_numbers_of_the_docs_part_2_are_the_demos():
    """The quoted first anomaly and the table of fixes, at the demo's default seed and
    length (20 epochs)."""
    import re

    text = (ROOT / "docs" / "lab.md").read_text(encoding="utf-8")
    runs = {r.name: run_recipe(r, epochs=20, seed=0) for r in RECIPES}
    lab = runs[LAB.name]
    quoted = (f"first non-finite loss or gradient: epoch {lab.first_bad_epoch}, step "
              f"{lab.first_bad_step} (max |logit| of that batch "
              f"{lab.step_max_logit[lab.first_bad_step]:.4g})")
    assert quoted in text
    assert f"detect_anomaly(): {lab.anomaly}" in text
    flat = " ".join(text.split())
    assert " ".join(f"what happened: {lab.cause}".split()) in flat
    rows = re.findall(r"^\| (.+?) \| (yes|no[^|]*) \| (\d+) % \|$", text, re.M)
    assert len(rows) == len(RECIPES)
    for (change, finite, acc), recipe in zip(rows, RECIPES, strict=True):
        run = runs[recipe.name]
        assert change.startswith("none") == (recipe is LAB)
        assert recipe is LAB or change.startswith(recipe.name), (change, recipe.name)
        assert (finite == "yes") == run.finite
        assert int(acc) == round(100 * run.val_acc[-1]), (recipe.name, acc)
