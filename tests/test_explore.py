"""micrograd.explore: the event log the page steps through, checked against the engine.

The log must be the engine's own walk: its partials in the order the walk evaluates
them (backprop: autograd.toposort; naive mode: what an independent observer sees), as
many as count_ops() counts, and adding up (the way the page adds them) to the .grad the
engine computes. The page itself is tested in a real browser in test_explore_browser.py.
"""
from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd as mg
from micrograd import Tensor, count_ops, observe
from micrograd.autograd import toposort
from micrograd.cli import main as cli_main
from micrograd.errors import DrawError
from micrograd.lab.families import FAMILIES, build_model
from micrograd.viz import explore as explore_module
from micrograd.viz.walk import walk

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not "
                                "installed (apt-get install graphviz): explore lays out with it")


# --------------------------------------------------------------------------- helpers

class Partials:
    """An observer of our own: each local partial the engine evaluates, as (op, input)."""

    def __init__(self):
        self.seen = []
        self.forward = []

    def on_forward(self, fn, parents, out):
        self.forward.append(fn)

    def on_partial(self, fn, i, a, b, kind):
        self.seen.append((fn, i))


def engine_walk(root, mode, gradient=None):
    """(op id, input) of every partial one backward() in `mode` evaluates, ids as walk()
    numbers them, and the gradients it leaves (by tensor id)."""
    g = walk(root)
    for t in g.tensors:
        t.grad = None
    rec = Partials()
    with observe(rec):
        root.backward(gradient, mode=mode, retain_graph=True)
    grads = {g.tensor_id(t): np.array(t.grad) for t in g.tensors if t.grad is not None}
    for t in g.tensors:
        t.grad = None
    return [(g.op_id(fn), i) for fn, i in rec.seen], grads


def logged(page, mode):
    entry = next(m for m in page.log["modes"] if m["mode"] == mode)
    return entry


def partials_of(entry):
    return [(ev["op"], ev["i"]) for ev in entry["events"] if ev["k"] == "partial"]


def grads_from_log(entry):
    """What the log adds up to for each node it stores: backprop sums every partial into
    the input it was taken for; naive mode only the partials that reach the leaf it is
    walking toward (the others are path products passed down). In event order."""
    totals, stored, target = {}, {}, None
    for ev in entry["events"]:
        if ev["k"] == "target":
            target = ev["node"]
        elif ev["k"] == "partial" and (entry["mode"] == "backprop" or ev["to"] == target):
            pg = np.array(ev["pg"]["v"], dtype=np.float32 if ev.get("f32") else np.float64)
            pg = pg.reshape(ev["pg"]["s"])
            totals[ev["to"]] = pg if ev["to"] not in totals else totals[ev["to"]] + pg
        elif ev["k"] == "store":
            stored.update((n, totals[n]) for n in ev["nodes"])
    return stored


def toposort_order(root):
    """Backprop's walk as autograd defines it: nodes in toposort order, each op's inputs
    that require grad in input order."""
    g = walk(root)
    return [(g.op_id(n.grad_fn), i) for n in toposort(root) if n.grad_fn is not None
            for i, p in enumerate(n.grad_fn.parents) if p.requires_grad]


def lab_loss():
    loss = build_model("lab").loss()
    loss.name = "loss"
    return loss


# --------------------------------------------------------------------------- random graphs

@st.composite
def graphs(draw):
    """A small graph with fan-out (a tensor used by several ops, or twice by one), a
    constant input, broadcasting between (3,) and (2, 3), and a scalar loss."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    params = [Tensor(rng.standard_normal(s), requires_grad=True, name=f"p{k}")
              for k, s in enumerate([(3,), (2, 3), ()])]
    pool = params + [Tensor(rng.standard_normal(3), name="x")]
    for _ in range(draw(st.integers(1, 7))):
        a = pool[draw(st.integers(0, len(pool) - 1))]
        b = pool[draw(st.integers(0, len(pool) - 1))]
        kind = draw(st.sampled_from(["add", "mul", "sub", "tanh", "sigmoid", "half"]))
        ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b,
               "sub": lambda a, b: a - b, "tanh": lambda a, _: a.tanh(),
               "sigmoid": lambda a, _: a.sigmoid(), "half": lambda a, _: a * 0.5}
        pool.append(ops[kind](a, b))
    loss = pool[-1].sum() + params[draw(st.integers(0, 2))].sum()
    loss.name = "loss"
    return loss


@given(graphs())
def test_the_log_is_the_engines_walk_on_random_graphs(root):
    """Every property the page relies on, on graphs with fan-out and broadcasting."""
    page = mg.explore(root)
    bp, nv = logged(page, "backprop"), logged(page, "naive")
    assert partials_of(bp) == toposort_order(root)
    for entry in (bp, nv):
        order, grads = engine_walk(root, entry["mode"])
        assert partials_of(entry) == order
        with count_ops() as c:
            root.backward(mode=entry["mode"], retain_graph=True)
        assert entry["partials"] == len(partials_of(entry)) == c.partials
        sums = grads_from_log(entry)
        assert sums.keys() == grads.keys()
        for n, grad in grads.items():
            np.testing.assert_array_equal(sums[n], grad, err_msg=f"{entry['mode']} {n}")
    assert nv["partials"] == mg.estimate_partials(root, "naive")


# --------------------------------------------------------------------------- the families

@pytest.mark.parametrize("family, kw", [("lab", {}), ("lab", {"fused": True}),
                                        ("chain", {"depth": 3}), ("mlp", {}), ("ladder", {})])
def test_counts_order_and_sums_for_the_families(family, kw):
    loss = build_model(family, **kw).loss()
    page = mg.explore(loss)
    assert partials_of(logged(page, "backprop")) == toposort_order(loss)
    for mode in ("backprop", "naive"):
        entry = logged(page, mode)
        order, grads = engine_walk(loss, mode)
        assert partials_of(entry) == order
        with count_ops() as c:
            loss.backward(mode=mode, retain_graph=True)
        assert entry["partials"] == c.partials
        sums = grads_from_log(entry)
        for n, grad in grads.items():
            np.testing.assert_array_equal(sums[n], grad)


def test_naive_mode_walks_one_target_at_a_time_and_every_step_is_on_its_way():
    """Each partial logged under a target lies on a path from the output to that target:
    its input is the target, or a node from which the target can be reached."""
    loss = lab_loss()
    entry = logged(mg.explore(loss), "naive")
    g = walk(loss)
    by_id = {g.tensor_id(t): t for t in g.tensors}
    targets = [ev["node"] for ev in entry["events"] if ev["k"] == "target"]
    stores = [n for ev in entry["events"] if ev["k"] == "store" for n in ev["nodes"]]
    assert targets == stores  # walked and written in the same order, each once
    assert sorted(targets) == sorted(g.tensor_id(p) for p in g.tensors
                                     if p.is_leaf and p.requires_grad)

    def reaches(t, target):
        stack, seen = [t], set()
        while stack:
            n = stack.pop()
            if n is target:
                return True
            if n.grad_fn is not None and id(n) not in seen:
                seen.add(id(n))
                stack.extend(n.grad_fn.parents)
        return False

    target = None
    for ev in entry["events"]:
        if ev["k"] == "target":
            target = by_id[ev["node"]]
        elif ev["k"] == "partial":
            assert reaches(by_id[ev["to"]], target), (ev["op"], ev["i"], target.name)


def test_backprop_marks_each_node_complete_when_the_walk_pops_it():
    loss = lab_loss()
    page = mg.explore(loss)
    events, nodes = logged(page, "backprop")["events"], page.log["nodes"]
    # naive mode never has a complete gradient at an inner node: it keeps none
    assert not any(ev.get("first") for ev in logged(page, "naive")["events"])
    firsts = [ev["op"] for ev in events if ev.get("first")]
    g = walk(loss)
    popped = [g.op_id(n.grad_fn) for n in toposort(loss) if n.grad_fn is not None]
    assert firsts == popped
    # and by then every contribution to that node's gradient has been logged
    got = {}
    for ev in events:
        if ev["k"] == "partial":
            if ev.get("first"):
                out = nodes[ev["op"]]["output"]
                assert got.get(out, 0) == nodes[out]["uses"] or out == page.log["root"]
            got[ev["to"]] = got.get(ev["to"], 0) + 1


def test_the_forward_pass_is_recorded_as_it_runs():
    """Given a function, the forward events are the ops Function.apply ran, in order."""
    page = mg.explore(lab_loss)
    rec = Partials()
    with observe(rec):
        loss = lab_loss()
    names = [page.log["nodes"][ev["op"]]["name"] for ev in page.log["forward"]]
    assert names == [fn.name for fn in rec.forward]
    with count_ops() as c:
        lab_loss()
    assert len(page.log["forward"]) == c.forward
    assert page.log["forward_source"] == "recorded"
    # the values are those of the forward: the loss, last, is the loss
    assert page.log["forward"][-1]["v"]["v"][0] == pytest.approx(loss.item(), rel=1e-5)


def test_given_the_tensor_the_forward_is_replayed_in_graph_order_and_said_so():
    loss = lab_loss()
    page = mg.explore(loss)
    g = walk(loss)
    assert [ev["op"] for ev in page.log["forward"]] == [g.op_id(fn) for fn in g.ops]
    assert page.log["forward_source"] == "graph"
    assert any("forward steps follow the graph" in n for n in page.notes)


def test_explore_leaves_every_gradient_as_it_was():
    model = build_model("lab")
    loss = model.loss()
    sentinel = [np.full(p.shape, 7.0) for p in model.params]
    for p, s in zip(model.params, sentinel, strict=True):
        p.grad = s
    mg.explore(loss)
    for p, s in zip(model.params, sentinel, strict=True):
        assert p.grad is s and np.all(s == 7.0)
    loss.backward()  # the graph is still there, retained
    assert all(p.grad is not None for p in model.params)


def test_float32_gradients_are_summed_in_float32():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((3, 3)).astype(np.float32), requires_grad=True, name="w")
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32), name="x")
    h = (x @ w).tanh()
    loss = (h * h + h @ w).sum()
    page = mg.explore(loss)
    for mode in ("backprop", "naive"):
        entry = logged(page, mode)
        assert any(ev.get("f32") for ev in entry["events"])
        _, grads = engine_walk(loss, mode)
        sums = grads_from_log(entry)
        for n, grad in grads.items():
            assert sums[n].dtype == np.float32
            np.testing.assert_array_equal(sums[n], grad)


def test_a_retained_tensor_and_a_non_scalar_output_with_its_gradient():
    rng = np.random.default_rng(1)
    w = Tensor(rng.standard_normal((3, 3)), requires_grad=True, name="w")
    h = (w @ w).tanh().retain_grad()
    out = h * w + h
    seed = rng.standard_normal((3, 3))
    page = mg.explore(out, gradient=seed)
    g = walk(out)
    for mode in ("backprop", "naive"):
        entry = logged(page, mode)
        assert entry["events"][0]["k"] == "seed"
        np.testing.assert_array_equal(entry["events"][0]["g"]["v"], seed.reshape(-1))
        order, grads = engine_walk(out, mode, gradient=seed)
        assert partials_of(entry) == order
        assert g.tensor_id(h) in grads  # retained: its .grad is written too
        sums = grads_from_log(entry)
        for n, grad in grads.items():
            np.testing.assert_array_equal(sums[n], grad)


# --------------------------------------------------------------------------- sizes

def test_a_big_graph_is_collapsed_into_modules_with_a_note():
    loss = build_model("chain", depth=30).loss()  # 246 nodes
    page = mg.explore(loss)
    nodes = page.log["nodes"]
    assert any(n["at"].startswith("m") for n in nodes.values())
    assert len({n["at"] for n in nodes.values()}) <= explore_module.MAX_NODES
    assert any("drawn as one box" in n for n in page.notes)
    # the steps still count the real partials
    with count_ops() as c:
        loss.backward(retain_graph=True)
    assert logged(page, "backprop")["partials"] == c.partials


def test_a_graph_too_big_even_collapsed_is_refused_with_the_way_out():
    x = Tensor(np.ones(3), requires_grad=True, name="x")  # no modules to collapse
    for _ in range(120):
        x = x.tanh()
    with pytest.raises(DrawError, match=r"243 nodes, more than max_nodes=200.*max_nodes"):
        mg.explore(x.sum())


def test_a_mode_over_max_events_is_left_out_with_a_note_not_run():
    loss = build_model("ladder", depth=10).loss()
    need = mg.estimate_partials(loss, "naive")
    page = mg.explore(loss, max_events=need - 1)
    naive = logged(page, "naive")
    assert naive["events"] == [] and naive["partials"] == need
    assert f"{need:,} local partials, more than max_events={need - 1:,}" in naive["refused"]
    assert naive["refused"] in page.notes
    assert logged(page, "backprop")["events"]  # the other pane is still there


@pytest.mark.parametrize("call, message", [
    (lambda t: mg.explore(t, modes=("forward",)), "modes must be one or both of"),
    (lambda t: mg.explore(t, modes=("backprop", "backprop")), "each once"),
    (lambda t: mg.explore(t, modes=()), "modes must be"),
    (lambda t: mg.explore(t, "page.svg"), "name it .html"),
    (lambda t: mg.explore(t, max_nodes=1), "max_nodes must be a whole number >= 2"),
    (lambda t: mg.explore(t, max_events=0), "max_events must be a whole number >= 1"),
    (lambda t: mg.explore(t, rankdir="up"), "rankdir must be"),
    (lambda t: mg.explore(3.0), "expected a Tensor or a function"),
    (lambda t: mg.explore(lambda: 3.0), "must return a Tensor"),
    (lambda t: mg.explore(Tensor(np.ones(2), requires_grad=True)), "no graph to walk"),
    (lambda t: mg.explore(Tensor(np.ones(2)) * 2), "no graph to walk"),
])
def test_bad_arguments_are_refused_before_any_work(call, message):
    t = (Tensor(np.ones(3), requires_grad=True) * 2).sum()
    with pytest.raises(DrawError, match=message):
        call(t)


def test_without_graphviz_nothing_runs_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(explore_module, "find_dot", lambda: None)
    built = []
    with pytest.raises(mg.viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        mg.explore(lambda: built.append(1) or lab_loss(), tmp_path / "page.html")
    assert built == [] and not (tmp_path / "page.html").exists()


# --------------------------------------------------------------------------- the page

def test_the_page_is_one_file_that_needs_no_network(tmp_path):
    loss = lab_loss()
    page = mg.explore(loss, tmp_path / "lab.html")
    text = (tmp_path / "lab.html").read_text("utf-8")
    assert text == page.html
    # no external resource: nothing loaded from anywhere (xmlns are names, not loads)
    assert not re.search(r"""\b(src|href)\s*=\s*["'](?!data:|#)""", text), "external resource"
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    log = json.loads(re.search(r'<script type="application/json" id="mg-log">(.*?)</script>',
                               text, re.S).group(1))
    assert log["modes"] == json.loads(json.dumps(page.log["modes"]))
    assert "<iframe" in page._repr_html_() and "srcdoc=" in page._repr_html_()


def test_names_cannot_break_out_of_the_page():
    w = Tensor(np.ones(2), requires_grad=True, name="</script><script>alert(1)</script>")
    loss = (w * w).sum()
    loss.name = "<b>&</b>"
    html = mg.explore(loss).html
    assert "<script>alert(1)" not in html
    assert html.count("</script>") == 2  # the log's and the program's own
    assert "<b>&</b>" not in html


def test_non_finite_values_are_written_as_json_strings():
    x = Tensor(np.array([1.0, 0.0]), requires_grad=True, name="x")
    with np.errstate(divide="ignore"):  # log 0 = -inf, and its partial 1/0 = inf
        page = mg.explore(lambda: x.log().sum())
    text = json.dumps(page.log, allow_nan=False)  # raises on a bare nan or inf
    assert '"-inf"' in text and '"inf"' in text


# --------------------------------------------------------------------------- the command line

@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_micrograd_graph_html_writes_the_page_for_every_family(family, tmp_path, capsys):
    out = tmp_path / f"{family}.html"
    assert cli_main(["graph", "--model", family, "--html", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    text = out.read_text("utf-8")
    log = json.loads(re.search(r'id="mg-log">(.*?)</script>', text, re.S).group(1))
    member = build_model(family)
    loss = member.loss()
    for entry in log["modes"]:
        with count_ops() as c:
            loss.backward(mode=entry["mode"], retain_graph=True)
        assert entry["partials"] == c.partials, entry["mode"]


@pytest.mark.parametrize("argv, message", [
    (["graph"], "give -o FILE (a picture), --html FILE"),
    (["graph", "--html", "g.txt"], "cannot write a .txt file (g.txt); name it .html or .htm"),
    (["graph", "--html", "g.html", "--naive-counts"], "--naive-counts only applies to the -o"),
    (["graph", "--html", "g.html", "--direction", "backward"], "--direction only applies"),
])
def test_micrograd_graph_html_usage_errors(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli_main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "g.html").exists()


def test_the_demo_folder_gets_the_page_for_the_labs_trained_network(tmp_path):
    from micrograd.lab.demo import circles_experiment, explore_page
    from micrograd.lab.families import lab_model

    run = circles_experiment(out=None, fast=True, epochs=1, verbose=False)
    assert explore_page(run, tmp_path) == [tmp_path / "explore.html"]
    text = (tmp_path / "explore.html").read_text("utf-8")
    log = json.loads(re.search(r'id="mg-log">(.*?)</script>', text, re.S).group(1))
    X, y = run.split.train
    loss = lab_model(net=run.model, points=(X[:8], y[:8])).loss()
    for entry in log["modes"]:
        with count_ops() as c:
            loss.backward(mode=entry["mode"], retain_graph=True)
        assert entry["partials"] == c.partials
