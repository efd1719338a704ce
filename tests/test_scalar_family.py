"""The scalar granularity: the mlp written in scalars (`--model scalar-mlp`). Its counts
follow the closed forms and the path count for depth 1-5, it computes the mlp's function,
and naive mode's work on it grows exponentially where the tensor mlp's grows
polynomially."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd as mg
from micrograd.cli import main
from micrograd.lab.closed_forms import closed_form
from micrograd.lab.compare import run_compare
from micrograd.lab.families import build_model


@pytest.mark.parametrize("width", [1, 2, 3])
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_the_measured_counts_are_the_closed_forms_and_the_path_count(depth, width):
    member = build_model("scalar-mlp", depth, width)
    want = closed_form("scalar-mlp", depth, width)
    for mode in ("backprop", "naive", "forward"):
        member.zero_grad()
        loss = member.loss()
        if mode != "backprop":
            assert mg.estimate_partials(loss, mode) == want[mode], mode
        with mg.count_ops() as c:
            loss.backward() if mode == "backprop" else loss.backward(mode=mode)
        assert c.partials == want[mode], (mode, depth, width)


@pytest.mark.parametrize("depth", range(1, 9))
def test_at_width_3_the_counts_are_the_formulas_in_the_docs(depth):
    """(363·3^D − 228D − 249)/2 and 39D + 13, derived by hand, against the path count of the
    graph the engine records (which stays cheap where running naive mode would not)."""
    loss = build_model("scalar-mlp", depth, 3).loss()
    assert mg.estimate_partials(loss, "naive") == (363 * 3 ** depth - 228 * depth - 249) // 2
    assert (363 * 3 ** depth - 228 * depth - 249) % 2 == 0
    with mg.count_ops() as c:
        loss.backward()
    assert c.partials == 39 * depth + 13 == (depth - 1) * (4 * 9 + 3) + 15 * 3 + 7


@settings(max_examples=15, deadline=None)
@given(depth=st.integers(1, 3), width=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_it_computes_the_tensor_mlps_function(depth, width, seed):
    """The same loss and gradients as the mlp family at batch 1 with the same seed: only
    the granularity of the graph differs."""
    scalar = build_model("scalar-mlp", depth, width, seed=seed)
    tensor = build_model("mlp", depth, width, batch=1, seed=seed)
    a, b = scalar.loss(), tensor.loss()
    assert a.item() == pytest.approx(b.item(), rel=1e-12)
    a.backward()
    b.backward()
    flat = np.array([p.grad for p in scalar.params])
    want = np.concatenate([p.grad.ravel() for p in tensor.params])
    np.testing.assert_allclose(flat, want, rtol=1e-10, atol=1e-14)
    assert all(p.ndim == 0 for p in scalar.params)


def test_naive_work_is_exponential_in_scalars_and_polynomial_in_tensors():
    scalar = run_compare("scalar-mlp", range(1, 6), modes=("backprop", "naive"), fd=False)
    tensor = run_compare("mlp", range(1, 6), width=3, batch=1, modes=("backprop", "naive"),
                         fd=False)
    s = [r["naive/backprop"] for r in scalar]
    t = [r["naive/backprop"] for r in tensor]
    # each layer multiplies the scalar ratio by more than 2 (the paths by the width, 3) ...
    assert all(b / a > 2.2 for a, b in zip(s, s[1:], strict=False))
    # ... while the tensor ratio (3D² + 14D + 11)/(5D + 7) grows by a shrinking step
    assert all(b / a < 1.35 for a, b in zip(t, t[1:], strict=False))
    assert s[-1] > 40 * t[-1]


def test_the_scalar_family_refuses_what_it_does_not_take():
    with pytest.raises(mg.MicrogradError, match="scalar-mlp: takes no batch"):
        build_model("scalar-mlp", 2, batch=4)
    with pytest.raises(mg.MicrogradError, match="scalar-mlp: has no fused form"):
        build_model("scalar-mlp", 2, fused=True)


def test_compare_and_graph_show_the_same_scalar_counts(tmp_path, capsys):
    assert main(["compare", "--model", "scalar-mlp", "--depth", "1:3"]) == 0
    text = capsys.readouterr().out
    assert "model scalar-mlp" in text and "(363·3^D-228D-249)/2" in text
    assert "it grows geometrically" in text
    rows = {line.split()[0]: line for line in text.splitlines()
            if re.match(r"\s+\d+\s+[\d,]+ \|", line)}
    assert sorted(rows) == ["1", "2", "3"]
    for depth, line in rows.items():
        backprop, naive, forward = (int(v.replace(",", "")) for v in line.split("|")[1].split())
        want = closed_form("scalar-mlp", int(depth))
        assert (backprop, naive, forward) == (want["backprop"], want["naive"], want["forward"])
        assert line.rstrip().endswith("yes")
    assert main(["graph", "--model", "scalar-mlp", "--depth", "2", "--naive-counts",
                 "-o", str(tmp_path / "scalar.dot")]) == 0
    said = capsys.readouterr().out
    want = closed_form("scalar-mlp", 2)
    assert f"naive mode evaluated {want['naive']:,} local partials, backprop " \
           f"{want['backprop']}" in said
    dot = (tmp_path / "scalar.dot").read_text()
    assert "hidden2.W[2,1]" in dot and "tanh" in dot  # one node per weight


def test_the_granularity_table_of_the_lab_page_is_the_closed_forms():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "lab.md").read_text(encoding="utf-8")
    for label, family in (("tensor nodes", "mlp"), ("scalar nodes", "scalar-mlp")):
        line = next(s for s in text.splitlines() if s.startswith(f"| naive ÷ backprop, {label}"))
        shown = [float(c) for c in line.strip("| \n").split("|")[1:]]
        want = [closed_form(family, d, 3) for d in range(1, 7)]
        ratios = [w["naive"] / w["backprop"] for w in want]
        # as printed: two decimals, one above 100
        assert shown == pytest.approx(ratios, rel=1e-4, abs=0.006), (label, shown, ratios)
