"""One registry of model families: `micrograd compare`, the naive-count overlay of
`micrograd graph` and the closed forms show the same partials for every family, depth
and form; the two forms of a family compute the same loss; each family records the ops
its description names."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import micrograd as mg
from micrograd.cli import main
from micrograd.lab import graphs
from micrograd.lab.closed_forms import closed_form, formula
from micrograd.lab.compare import MODES, run_compare
from micrograd.lab.families import FAMILIES, build_model

CASES = [(name, depth, fused)
         for name, family in FAMILIES.items()
         for depth in ((1, 2, 5) if family.takes("depth") else (None,))
         for fused in ((False, True) if family.fusable else (False,))]


def _id(case):
    name, depth, fused = case
    return f"{name}-{'' if depth is None else f'd{depth}-'}{'fused' if fused else 'unfused'}"


@pytest.fixture
def overlay(monkeypatch):
    """The counts graphs.draw_family hands to draw(): what the picture's overlay shows."""
    seen = {}
    real = graphs.draw

    def spy(loss, **options):
        seen.update(options)
        # per-op numbers, read while the graph they describe is alive (counters may hold
        # their nodes weakly)
        for key in ("naive_counts", "backprop_counts"):
            if options.get(key) is not None:
                seen[key + " per op"] = sum(options[key].per_node.values())
        return real(loss, **options)

    monkeypatch.setattr(graphs, "draw", spy)
    return seen


@pytest.mark.parametrize("name,depth,fused", CASES, ids=[_id(c) for c in CASES])
def test_compare_graph_overlay_and_closed_form_agree(name, depth, fused, overlay):
    want = closed_form(name, depth, fused=fused)
    (row,) = run_compare(name, None if depth is None else [depth], fused=fused)
    assert {m: row[m]["partials"] for m in MODES} == want
    assert row["closed_form"] == want

    graphs.draw_model(name, depth=depth, fused=fused, naive_counts=True)
    naive, backprop = overlay["naive_counts"], overlay["backprop_counts"]
    assert (naive.partials, backprop.partials) == (want["naive"], want["backprop"])
    # the per-op numbers written into the picture add up to the same totals
    assert overlay["naive_counts per op"] == want["naive"]
    assert overlay["backprop_counts per op"] == want["backprop"]


def test_the_issue_example_graph_and_compare_print_the_same_partials(tmp_path, capsys):
    assert main(["compare", "--model", "chain", "--depth", "10"]) == 0
    table = capsys.readouterr().out
    row = next(line for line in table.splitlines() if line.lstrip().startswith("10 "))
    backprop, naive = (int(v.replace(",", "")) for v in row.split("|")[1].split()[:2])
    assert main(["graph", "--model", "chain", "--depth", "10", "--naive-counts",
                 "-o", str(tmp_path / "chain.dot")]) == 0
    said = re.search(r"naive mode evaluated ([\d,]+) local partials, backprop ([\d,]+)",
                     capsys.readouterr().out)
    assert said
    assert (int(said[1].replace(",", "")), int(said[2].replace(",", ""))) == (naive, backprop)
    assert (naive, backprop) == (360, 51)  # 3L² + 6L and 5L + 1 at L = 10
    assert main(["graph", "--model", "chain", "--depth", "10", "--naive-counts", "--fused",
                 "-o", str(tmp_path / "fused.dot")]) == 0
    assert "evaluated 260 local partials, backprop 41" in capsys.readouterr().out  # 2L²+6L, 4L+1


@pytest.mark.parametrize("name", [n for n, f in FAMILIES.items() if f.fusable])
def test_the_two_forms_compute_the_same_loss_and_gradients(name):
    """Fusing changes the ops recorded, not the function: same numbers in, same loss and
    gradients out (the fused weight is the unfused W transposed)."""
    forms = [build_model(name, seed=3, fused=fused) for fused in (False, True)]
    losses = [m.loss() for m in forms]
    assert losses[0].item() == pytest.approx(losses[1].item(), rel=1e-12)
    for loss in losses:
        loss.backward()
    for p, q in zip(forms[0].params, forms[1].params, strict=True):
        want = p.grad if p.ndim == 1 else p.grad.T
        np.testing.assert_allclose(q.grad, want, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name,depth,fused", CASES, ids=[_id(c) for c in CASES])
def test_each_family_records_exactly_the_ops_its_description_names(name, depth, fused):
    member = build_model(name, depth, fused=fused)
    with mg.count_ops() as c:
        member.loss()
    recorded = set(c.by_op)
    named = set(re.findall(r"\b[a-z_]+\b", member.description)) & (recorded | KNOWN_OPS)
    assert recorded == named, member.description


KNOWN_OPS = {"matmul", "add", "tanh", "pow", "mean", "linear", "log_softmax", "getitem", "neg",
             "cross_entropy", "div", "sum", "transpose", "mul", "sub", "exp", "log"}


def test_every_family_and_form_has_its_closed_forms_written_down():
    for name, family in FAMILIES.items():
        assert formula(name, fused=False)
        if family.fusable:
            assert formula(name, fused=True)
        else:
            with pytest.raises(mg.MicrogradError):
                formula(name, fused=True)


def test_options_a_family_does_not_take_are_refused_by_name():
    with pytest.raises(mg.MicrogradError, match="lab: takes no depth"):
        build_model("lab", depth=3)
    with pytest.raises(mg.MicrogradError, match="ladder: takes no batch"):
        build_model("ladder", 3, batch=4)
    with pytest.raises(mg.MicrogradError, match="ladder: has no fused form"):
        build_model("ladder", 3, fused=True)
    with pytest.raises(mg.MicrogradError, match="chain: takes no sizes"):
        build_model("chain", sizes=[2, 3])
    with pytest.raises(mg.MicrogradError, match="depth must be a whole number >= 1"):
        build_model("chain", 0)
    with pytest.raises(mg.MicrogradError, match="unknown model family 'tree'"):
        build_model("tree")


def test_mlp_sizes_follow_the_closed_forms_for_any_widths():
    for sizes in ([3, 5, 4], [2, 7, 7, 3], [4, 2]):
        member = build_model("mlp", sizes=sizes)
        want = closed_form("mlp", fused=False, sizes=sizes)
        for mode in MODES:
            member.zero_grad()
            loss = member.loss()
            with mg.count_ops() as c:
                loss.backward(mode=mode)
            assert c.partials == want[mode], (sizes, mode)


def test_the_demo_draws_its_trained_network_as_the_fused_lab_family():
    from micrograd import data, nn
    from micrograd.lab.families import lab_model

    X, y = data.circles(8, noise=0.1, factor=0.5, seed=0)
    net = nn.MLP([2, 10, 2], seed=1)  # the default float32; the lab computes in float64
    members = [lab_model(net=net, points=(X, y), fused=fused) for fused in (True, False)]
    direct = nn.functional.cross_entropy(net.double()(mg.Tensor(X)), y)  # the same weights
    for member in members:
        assert member.loss().dtype == np.float64
        assert member.loss().item() == pytest.approx(direct.item(), rel=1e-12)
    with pytest.raises(mg.MicrogradError, match="lab's network"):
        lab_model(net=nn.MLP([2, 5, 5, 2]))


# --------------------------------------------------------------------------- the docs

DOCS = Path(__file__).resolve().parents[1] / "docs" / "complexity.md"


def test_the_counts_in_the_docs_are_the_closed_forms():
    text = DOCS.read_text(encoding="utf-8")
    # the table of members and forms: "| chain, L = 10, w = 4 | unfused | 51 | 360 | 3,660 |"
    member, checked = "", 0
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[2].replace(",", "").isdigit():
            continue
        member = cells[0] or member
        family = member.split(",")[0]
        sizes = dict(re.findall(r"\b([LDwh]) = (\d+)", member))
        depth = sizes.get("L") or sizes.get("D")
        width = sizes.get("w") or sizes.get("h")
        want = closed_form(family, None if depth is None else int(depth),
                           None if width is None else int(width), fused=cells[1] == "fused")
        got = [int(c.replace(",", "")) for c in cells[2:]]
        assert got == [want["backprop"], want["naive"], want["forward"]], line
        checked += 1
    assert checked == 8
    # the measured chain table: "   10     200 |       51    360    3,660 | ..."
    rows = re.findall(r"^\s+(\d+)\s+[\d,]+ \|\s+([\d,]+)\s+([\d,]+)\s+([\d,]+) \|", text, re.M)
    assert len(rows) == 16
    for depth, *counts in rows:
        want = closed_form("chain", int(depth), 4)
        assert [int(c.replace(",", "")) for c in counts] == [want[m] for m in MODES]
