"""micrograd.draw: the DOT it writes (parsed here by hand), rendering through Graphviz's
`dot`, life without `dot` or without the graphviz package, and `micrograd graph`.

Graphs are built here from micrograd.nn and plain tensor ops, so these tests check the
drawing, not how the lab's model families are defined (tests of `draw_model` and the CLI
at the end take the families as they come)."""
from __future__ import annotations

import importlib
import pathlib
import re
import shutil
import time
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import micrograd as mg
from micrograd import Tensor, count_ops
from micrograd.cli import main as cli_main

rendering = importlib.import_module("micrograd.viz.rendering")
overlay = importlib.import_module("micrograd.viz.overlay")
style = importlib.import_module("micrograd.viz.style")
graphs = importlib.import_module("micrograd.lab.graphs")
VIZ = pathlib.Path(mg.__file__).parent / "viz"

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's `dot` is not installed "
                               "(apt-get install graphviz / brew install graphviz)")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- a DOT reader

NODE_RE = re.compile(r"^\t+([tfm]\d+|more) \[(.*)\]$")
EDGE_RE = re.compile(r"^\t+(\w+) -> (\w+)(?: \[(.*)\])?$")
LABEL_RE = re.compile(r'(?:^| )label="((?:[^"\\]|\\.)*)"')


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def parse(source: str):
    """(nodes: id -> label, edges: [(src, dst, attrs)]) of the graph's nodes and edges
    (the graph/node/edge default statements and the legend caption are skipped)."""
    nodes, edges = {}, []
    for line in source.splitlines():
        m = NODE_RE.match(line)
        if m:
            assert m.group(1) not in nodes, f"node {m.group(1)} declared twice"
            lab = LABEL_RE.search(m.group(2))
            nodes[m.group(1)] = _unescape(lab.group(1)) if lab else ""
            continue
        m = EDGE_RE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
    return nodes, edges


def walk(root: Tensor):
    """The tensors and ops of root's graph, found independently of micrograd.draw."""
    tensors, ops, stack = {id(root): root}, {}, [root]
    while stack:
        t = stack.pop()
        fn = t.grad_fn
        if fn is not None and id(fn) not in ops:
            ops[id(fn)] = fn
            for p in fn.parents:
                if id(p) not in tensors:
                    tensors[id(p)] = p
                    stack.append(p)
    return list(tensors.values()), list(ops.values())


def shape_text(t: Tensor) -> str:
    return ("scalar" if t.ndim == 0 else str(tuple(t.shape))) + f" {t.dtype}"


# --------------------------------------------------------------------------- random graphs

NAME = st.one_of(st.none(), st.text(alphabet='ab1."\\ <>{}[];=', min_size=1, max_size=6))


@st.composite
def random_graph(draw):
    shape = draw(st.sampled_from([(), (3,), (2, 3)]))
    pool = []
    for k in range(draw(st.integers(1, 4))):
        s = shape if draw(st.booleans()) else shape[-1:]
        t = Tensor(np.linspace(-1, 1, int(np.prod(s))).reshape(s) + k,
                   requires_grad=(k == 0) or draw(st.booleans()), name=draw(NAME))
        pool.append(t)
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["add", "mul", "sub", "tanh", "exp", "neg", "square", "const"]))
        a = draw(st.sampled_from(pool))
        if op in ("add", "mul", "sub"):
            b = draw(st.sampled_from(pool))  # reuse: b may be a
            out = {"add": a + b, "mul": a * b, "sub": a - b}[op]
        elif op == "square":
            out = a * a
        elif op == "const":
            out = a * 2.0
        else:
            out = {"tanh": a.tanh(), "exp": (a * 0.1).exp(), "neg": -a}[op]
        if draw(st.booleans()):
            out.name = draw(NAME)
        pool.append(out)
    root = draw(st.sampled_from(pool[-2:]))
    return root.sum()


@given(random_graph(), st.booleans(), st.booleans(), st.booleans(), st.sampled_from(["LR", "TB"]))
def test_dot_has_one_node_per_tensor_and_op_and_one_edge_per_link(root, show_values, show_grads,
                                                                 run_backward, rankdir):
    if run_backward and root.requires_grad:
        root.backward(retain_graph=True)
    tensors, ops = walk(root)
    g = mg.draw(root, show_values=show_values, show_grads=show_grads, rankdir=rankdir)
    nodes, edges = parse(g.source)
    tnodes = {k: v for k, v in nodes.items() if k[0] == "t"}
    fnodes = {k: v for k, v in nodes.items() if k[0] == "f"}
    assert len(tnodes) == len(tensors) and len(fnodes) == len(ops)
    assert set(nodes) == set(tnodes) | set(fnodes)
    assert len(edges) == sum(len(fn.parents) + 1 for fn in ops)
    assert all(s in nodes and d in nodes for s, d, _ in edges)
    assert f'rankdir="{rankdir}"' in g.source
    # ids are predictable: t0..tN-1 and f0..fM-1
    assert set(tnodes) == {f"t{k}" for k in range(len(tensors))}
    assert set(fnodes) == {f"f{k}" for k in range(len(ops))}
    # every op feeds exactly one tensor; every tensor is made by at most one op
    assert Counter(s for s, d, _ in edges if s[0] == "f") == Counter({f: 1 for f in fnodes})
    # labels: names, shapes, values and grads as asked
    labels = list(tnodes.values())
    for t in tensors:
        if t.name:
            assert any(lab.split("\n")[0].startswith(t.name) for lab in labels), t.name
    assert Counter(shape_text(t) for t in tensors) == Counter(
        line for lab in labels for line in lab.split("\n") if line.endswith(("float64",)))
    assert sum(1 for lab in labels if "\ndata " in lab) == (len(tensors) if show_values else 0)
    with_grad = sum(1 for t in tensors if t.grad is not None)
    assert sum(1 for lab in labels if "\ngrad " in lab) == (with_grad if show_grads else 0)
    assert Counter(fn.name for fn in ops) == Counter(fnodes.values())


def test_backward_view_reverses_every_edge_and_marks_gradient_flow():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    c = Tensor([3.0, 4.0], name="c")
    loss = ((x * c).tanh() + x).sum()
    loss.name = "loss"
    _, fwd = parse(mg.draw(loss).source)
    nodes, bwd = parse(mg.draw(loss, direction="backward").source)
    assert Counter((d, s) for s, d, _ in fwd) == Counter((s, d) for s, d, _ in bwd)
    red = [e for e in bwd if "#cc0000" in e[2]]
    dashed = [e for e in bwd if "dashed" in e[2]]
    assert len(red) + len(dashed) == len(bwd) and len(dashed) == 1  # only c gets no gradient
    assert "gradient starts here: 1" in nodes["t" + str(len(walk(loss)[0]) - 1)]


def test_roles_look_different_and_values_summarised():
    W = Tensor(np.ones((3, 2)), requires_grad=True, name="layer.weight")
    x = Tensor(np.arange(6.0).reshape(2, 3), name="x")
    out = (x @ W).sum() * 2.0
    src = mg.draw(out, show_values=True).source
    line = {n: next(ln for ln in src.splitlines() if re.match(rf"^\t{n} \[", ln))
            for n in parse(src)[0]}
    by_label = {parse(ln)[0][n].split("\n")[0]: ln for n, ln in line.items()}
    assert "#cfe2f3" in by_label["layer.weight"] and "rounded" in by_label["layer.weight"]
    assert "dashed" in by_label["x"] and "#eeeeee" in by_label["x"]
    assert 'peripheries="2"' in by_label["output"]
    assert 'shape="ellipse"' in by_label["matmul"]
    assert "data mean 2.5, std 1.71" in src  # x = 0..5
    assert "constant = 2\\n" in mg.draw(out).source  # a lifted Python number shows its value


def test_bad_options_raise_micrograd_errors():
    x = Tensor([1.0], requires_grad=True)
    for kw in [dict(rankdir="XY"), dict(direction="up"), dict(collapse_modules="boxes"),
               dict(max_nodes=1), dict(naive_counts=42),
               dict(naive_counts={}, backprop_counts=42),
               dict(backprop_counts={})]:  # without naive counts it would be ignored
        with pytest.raises(mg.MicrogradError):
            mg.draw(x.tanh(), **kw)
    with pytest.raises(mg.MicrogradError):
        mg.draw(np.ones(3))


def test_freed_intermediates_are_drawn_with_their_shape_and_no_values():
    x = Tensor(np.linspace(-1, 1, 400), requires_grad=True, name="x")
    h = x.tanh()  # 3,200 bytes: backward() frees it, leaving a shape-only stand-in
    h.name = "h"
    loss = (h * h).sum()
    loss.backward()
    nodes, _ = parse(mg.draw(loss, show_values=True).source)
    freed = [lab.split("\n") for lab in nodes.values() if "data freed by backward()" in lab]
    # h and the unnamed h * h: the intermediates; the leaf x and the output keep their values
    assert sorted(lines[:2] for lines in freed) == [["(400,) float64", "data freed by backward()"],
                                                    ["h", "(400,) float64"]]
    kept = sorted(lab.split("\n")[0] for k, lab in nodes.items()
                  if k[0] == "t" and "data freed" not in lab)
    assert kept == ["output", "x"] and all("\ndata " in nodes[k] for k in nodes if k[0] == "t")


def test_a_tensor_and_its_freed_stand_in_are_one_node():
    x = Tensor(np.linspace(0, 1, 400), requires_grad=True, name="x")
    h = x.tanh()
    h.name = "h"
    first, second = h.sum(), (h * 2.0).sum()
    first.backward()  # frees h in `first`'s graph only: `second` still holds h itself
    nodes, edges = parse(mg.draw(first + second, show_values=True).source)
    assert [v for v in nodes.values() if v.startswith("h\n")] == \
        ["h\n(400,) float64\ndata mean 0.434, std 0.225"]
    # parent links + one out of each op: tanh 1+1, sum 1+1, mul 2+1, sum 1+1, add 2+1
    assert len(edges) == len(set(edges)) == 12
    assert Counter(v for k, v in nodes.items() if k[0] == "f") == Counter(
        ["tanh", "sum", "mul", "sum", "add"])


def test_viz_reads_the_tensor_only_through_its_public_api():
    """Tensor internals (`_ctx`, `_rg`, `_retain`, `_data`) may change; viz/ must not see them."""
    private = re.compile(r"\.(_ctx|_rg|_retain|_data|_ver)\b")
    found = [f"{f.name}:{k}: {line.strip()}" for f in sorted(VIZ.glob("*.py"))
             for k, line in enumerate(f.read_text().splitlines(), 1) if private.search(line)]
    assert found == []


def test_viz_helpers_take_few_positional_arguments():
    """More than five positional parameters is a sign the helper wants an options object."""
    import ast

    wide = []
    for f in sorted(VIZ.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = [a.arg for a in node.args.posonlyargs + node.args.args
                              if a.arg not in ("self", "cls")]
                if len(positional) > 5:
                    wide.append(f"{f.name}: {node.name}({', '.join(positional)})")
    assert wide == []


# --------------------------------------------------------------------------- size

def test_a_10000_op_chain_draws_without_recursion():
    x = Tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(10_000):
        y = y * 0.999 if _ % 2 else y.tanh()
    t0 = time.perf_counter()
    g = mg.draw(y)
    nodes, edges = parse(g.source)
    assert time.perf_counter() - t0 < 10
    n_tensors = 10_001 + 5_000  # every other op adds a lifted constant
    assert len(nodes) == n_tensors + 10_000
    assert len(edges) == 10_000 + 5_000 + 10_000
    # max_nodes keeps the nodes nearest the output and one summary node
    nodes, edges = parse(mg.draw(y, max_nodes=40, direction="backward").source)
    assert len(nodes) == 40 and "more" in nodes
    assert f"… {n_tensors + 10_000 - 39} more nodes" in nodes["more"]
    assert f"t{n_tensors - 1}" in nodes  # the output is kept
    assert all(s in nodes and d in nodes for s, d, _ in edges)


def test_max_nodes_is_a_no_op_when_the_graph_is_small():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a, b = parse(mg.draw(x.tanh().sum()).source), parse(mg.draw(x.tanh().sum(), max_nodes=5).source)
    assert len(a[0]) == len(b[0]) == 5 and "more" not in b[0]


# --------------------------------------------------------------------------- modules

def _mlp_loss(sizes, n_points=4):
    """Softmax cross-entropy of an nn.MLP (tanh, fused `linear` layers named layers.K.*),
    written out: log_softmax, getitem (each point's label), mean, neg."""
    from micrograd.nn import MLP

    rng = np.random.default_rng(1)
    model = MLP(sizes, seed=1)
    x = Tensor(rng.standard_normal((n_points, sizes[0])).astype(np.float32), name="x")
    labels = rng.integers(0, sizes[-1], n_points)
    loss = -model(x).log_softmax(axis=1)[np.arange(n_points), labels].mean()
    loss.name = "loss"
    return loss


def test_collapse_modules_draws_each_linear_layer_as_one_box():
    sizes = [2, 8, 8, 8, 2]
    loss = _mlp_loss(sizes)
    tensors, ops = walk(loss)
    nodes, edges = parse(mg.draw(loss, collapse_modules=True).source)
    boxes = {k: v for k, v in nodes.items() if k[0] == "m"}
    assert len(boxes) == len(sizes) - 1
    prefixes = sorted(v.split("\n")[0] for v in boxes.values())
    assert prefixes == sorted({t.name.rsplit(".", 1)[0] for t in tensors
                               if t.requires_grad and t.is_leaf})
    for v in boxes.values():
        assert "ops: linear" in v and "weight (" in v and "bias (" in v  # nn.Linear is one op
    # parameters and the layer's own ops are inside the boxes; tanh and the loss ops are not
    labels = list(nodes.values())
    assert not any(lab.startswith(("layers.", "linear")) for k, lab in
                   nodes.items() if k[0] != "m")
    assert Counter(lab for k, lab in nodes.items() if k[0] == "f") == Counter(
        ["tanh"] * 3 + ["log_softmax", "getitem", "mean", "neg"])
    # the boxes form one chain from x to the loss: each box has one way in and one out
    assert all(sum(1 for s, d, _ in edges if d == m) == 1 for m in boxes)
    assert len(labels) < len(tensors) + len(ops)


def test_collapse_modules_cluster_keeps_the_nodes_inside_labelled_frames():
    loss = _mlp_loss([2, 4, 3])
    tensors, ops = walk(loss)
    src = mg.draw(loss, collapse_modules="cluster").source
    nodes, edges = parse(src)
    assert len(nodes) == len(tensors) + len(ops)  # nothing hidden
    clusters = re.findall(r"subgraph (cluster_m\d+) \{(.*?)\n\t\}", src, re.S)
    assert len(clusters) == 2
    for _, body in clusters:
        assert "weight" in body and "bias" in body and "linear" in body  # nn.Linear is one op
        assert "tanh" not in body and "log_softmax" not in body


def test_a_fresh_nn_mlp_is_drawn_with_qualified_parameter_names():
    nn = pytest.importorskip("micrograd.nn")
    model = nn.MLP([2, 3, 2], seed=0)  # no parameters() call before drawing
    loss = model(Tensor(np.ones((4, 2), np.float32))).sum()
    nodes, _ = parse(mg.draw(loss, collapse_modules=True).source)
    assert sorted(v.split("\n")[0] for k, v in nodes.items() if k[0] == "m") == \
        ["layers.0", "layers.2"]


def test_a_written_out_layer_takes_the_ops_between_its_parameters():
    W = Tensor(np.ones((3, 2)), requires_grad=True, name="layer.W")
    b = Tensor(np.zeros(3), requires_grad=True, name="layer.b")
    x = Tensor(np.ones((4, 2)), name="x")
    loss = (x @ W.T + b).tanh().sum()
    nodes, _ = parse(mg.draw(loss, collapse_modules=True).source)
    # matmul takes no parameter itself: it joins because it lies between transpose and add
    assert [v for k, v in nodes.items() if k[0] == "m"] == \
        ["layer\nops: transpose, matmul, add\nW (3, 2), b (3,)"]
    assert sorted(v for k, v in nodes.items() if k[0] == "f") == ["sum", "tanh"]
    src = mg.draw(loss, collapse_modules="cluster").source
    (body,) = re.findall(r"subgraph cluster_m0 \{(.*?)\n\t\}", src, re.S)
    assert all(op in body for op in ("transpose", "matmul", "add")) and "tanh" not in body
    assert "1 module grouped" in src
    # a parameter also used outside its module (by an op that mixes two modules'
    # parameters, so belongs to neither) stays a node of its own
    V = Tensor(np.ones((3, 2)), requires_grad=True, name="other.V")
    nodes, edges = parse(mg.draw(loss + (W * V).sum(), collapse_modules=True).source)
    (w,) = [k for k, v in nodes.items() if v.startswith("layer.W\n")]
    assert [v for k, v in nodes.items() if k[0] == "m"] == \
        ["layer\nops: transpose, matmul, add\nb (3,)"]
    assert sorted(nodes[d] for s, d, _ in edges if s == w) == [
        "layer\nops: transpose, matmul, add\nb (3,)", "mul"]


def test_parameters_without_dotted_names_are_not_grouped():
    W = Tensor(np.ones((2, 2)), requires_grad=True, name="W")
    x = Tensor(np.ones((1, 2)))
    src = mg.draw((x @ W).sum(), collapse_modules=True).source
    assert not any(k[0] == "m" for k in parse(src)[0])


# --------------------------------------------------------------------------- naive overlay

def _counts_from_labels(nodes):
    out = Counter()
    for k, lab in nodes.items():
        if k[0] == "f":
            m = re.fullmatch(r"(\w+)\nnaive ×(\d+)\nbackprop ×(\d+)", lab)
            assert m, lab
            out[(m.group(1), int(m.group(2)), int(m.group(3)))] += 1
    return out


@pytest.mark.parametrize("with_compare", [False, True])
def test_naive_overlay_labels_carry_the_measured_counts(with_compare):
    loss = _mlp_loss([2, 5, 3])
    with count_ops() as naive:
        loss.backward(mode="naive", retain_graph=True)
    with count_ops() as bp:
        loss.backward(retain_graph=True)
    _, ops = walk(loss)
    g = mg.draw(loss, naive_counts=naive, backprop_counts=bp if with_compare else None,
                legend=True)
    nodes, _ = parse(g.source)
    expected = Counter((fn.name, naive.per_node[fn], bp.per_node[fn] if with_compare
                        else sum(p.requires_grad for p in fn.parents)) for fn in ops)
    assert _counts_from_labels(nodes) == expected
    # backprop evaluates each edge once: both ways of counting it agree
    assert all(bp.per_node[fn] == sum(p.requires_grad for p in fn.parents) for fn in ops)
    assert f"naive mode evaluated {naive.partials} local partials, backprop {bp.partials}" \
        in g.source
    # colours follow the scale: naive ÷ backprop in powers of two
    for k, lab in nodes.items():
        if k[0] == "f":
            name, n, b = next(iter(_counts_from_labels({k: lab})))
            line = next(ln for ln in g.source.splitlines() if ln.startswith(f"\t{k} ["))
            assert style.SCALE_COLOURS[overlay.scale_bin(n / b)] in line
    # a plain mapping Function -> int works as well
    nodes2, _ = parse(mg.draw(loss, naive_counts=dict(naive.per_node)).source)
    assert _counts_from_labels(nodes2) == _counts_from_labels(
        parse(mg.draw(loss, naive_counts=naive).source)[0])


def test_scale_bins():
    assert [overlay.scale_bin(r) for r in (0, 1, 1.5, 2, 3, 4, 5, 8, 9, 16, 17, 1e9)] == \
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


# --------------------------------------------------------------------------- rendering

@needs_dot
def test_svg_has_one_node_group_per_node_and_png_pdf_are_valid(tmp_path):
    loss = _mlp_loss([2, 10, 2])
    for legend in (False, True):
        g = mg.draw(loss, legend=legend, show_values=True)
        nodes, _ = parse(g.source)
        svg = mg.viz.render(g, tmp_path / f"g{legend}.svg")
        root = ET.parse(svg).getroot()
        groups = [e for e in root.iter("{http://www.w3.org/2000/svg}g") if e.get("class") == "node"]
        assert len(groups) == len(nodes)
    png = mg.viz.render(g, tmp_path / "g.png")
    assert png.read_bytes()[:8] == PNG_MAGIC
    pdf = mg.viz.render(g.source, tmp_path / "g.pdf")  # DOT text works too
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "g.pdf", "g.png", "gFalse.svg", "gTrue.svg"]


@needs_dot
def test_odd_names_are_escaped_so_dot_accepts_them(tmp_path):
    x = Tensor([1.0], requires_grad=True, name='a "quoted" \\ name <b>{x}</b>\nline')
    out = mg.viz.render(mg.draw(x.tanh(), legend=True), tmp_path / "odd.svg")
    assert "quoted" in out.read_text()


@needs_dot
def test_jupyter_display_is_svg():
    g = mg.draw(Tensor([1.0], requires_grad=True).exp())
    bundle = g._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_without_dot_draw_still_works_and_render_says_how_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None
    loss = _mlp_loss([2, 3, 2])
    g = mg.draw(loss, legend=True)
    assert g.source.startswith("digraph")
    out = tmp_path / "out"
    for ext in ("svg", "png", "pdf"):
        with pytest.raises(mg.viz.GraphvizNotFoundError) as e:
            mg.viz.render(g, out / f"graph.{ext}")
        assert isinstance(e.value, mg.MicrogradError)
        assert "apt-get install graphviz" in str(e.value)
        assert "brew install graphviz" in str(e.value)
    assert not out.exists()  # nothing written, not even the directory
    assert g._repr_mimebundle_() == {"text/plain": g.source}  # Jupyter shows the text
    # the DOT text itself needs no Graphviz
    assert mg.viz.render(g, out / "graph.dot").read_text() == g.source
    assert cli_main(["graph", "--out", str(tmp_path / "cli.png")]) == 1
    assert not (tmp_path / "cli.png").exists()


def test_without_the_graphviz_package_draw_returns_the_same_source(monkeypatch, tmp_path):
    loss = _mlp_loss([2, 3, 2])
    real = mg.draw(loss, show_values=True).source
    monkeypatch.setattr(rendering, "_graphviz", None)
    g = mg.draw(loss, show_values=True)
    assert isinstance(g, mg.viz.DotGraph) and g.source == real
    if HAS_DOT:
        assert g.render(tmp_path / "x.png").read_bytes()[:8] == PNG_MAGIC
        assert "image/svg+xml" in g._repr_mimebundle_()


def test_failing_dot_and_bad_extensions_leave_no_file(tmp_path):
    with pytest.raises(mg.viz.DrawError):
        mg.viz.render("digraph { a -> }", tmp_path / "bad.xyz")
    with pytest.raises(mg.viz.DrawError):
        mg.viz.render("digraph { a -> }", tmp_path / "noext")
    if HAS_DOT:
        with pytest.raises(mg.viz.DrawError, match="failed"):
            mg.viz.render("digraph { a -> }", tmp_path / "bad.svg")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- models and CLI

@needs_dot
def test_cli_graph_writes_svg_and_naive_png(tmp_path, capsys):
    svg, png = tmp_path / "x.svg", tmp_path / "y.png"
    assert cli_main(["graph", "--model", "mlp", "--sizes", "2,10,2", "--out", str(svg)]) == 0
    ET.parse(svg)
    assert cli_main(["graph", "--naive-counts", "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert cli_main(["graph", "--model", "chain", "--depth", "4", "--direction", "backward",
                     "--show-values", "--show-grads", "--collapse-modules", "--out",
                     str(tmp_path / "c.pdf")]) == 0
    assert "wrote" in capsys.readouterr().out


def test_cli_bad_sizes_is_a_clean_error(tmp_path, capsys):
    assert cli_main(["graph", "--sizes", "2,x", "--out", str(tmp_path / "a.dot")]) == 2
    assert "sizes" in capsys.readouterr().err


def test_draw_model_families():
    g = graphs.draw_model("chain", depth=3, width=2, naive_counts=True, legend=False)
    nodes, _ = parse(g.source)
    counts = _counts_from_labels(nodes)
    # a chain: naive work grows towards the loss (the tanh of layer k is walked once for
    # each of the 2k parameters at or below it, times what the loss adds); backprop stays
    # at one per edge
    tanh = sorted((n, b) for (name, n, b) in counts.elements() if name == "tanh")
    assert [b for _, b in tanh] == [1, 1, 1]
    assert [n / tanh[0][0] for n, _ in tanh] == [1, 2, 3]
    g = graphs.draw_model("mlp", sizes=(2, 10, 2), show_grads=True)
    assert "\ngrad " in parse(g.source)[0]["t1"] or "grad mean" in g.source
    with pytest.raises(mg.MicrogradError):
        graphs.draw_model("resnet")
