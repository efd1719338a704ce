"""Draw the graph that produced a tensor, the graph that backprop walks, with Graphviz.

    g = micrograd.draw(loss)                      # a graphviz.Digraph; shows inline in Jupyter
    micrograd.viz.drawing.render(g, "loss.svg")       # .svg, .png or .pdf through Graphviz's `dot`

One node per tensor (a box) and one per op (an ellipse), edges in the direction the
data flows: tensor → op → tensor. Parameters (leaves that require grad), inputs and
constants (leaves that do not) and the output each look different; docs/graphs.md
has the legend, and `legend=True` draws it into the picture.

The DOT text is written here by hand, in one code path; it is wrapped in a
`graphviz.Digraph` when the graphviz Python package is installed, and in a small
stand-in with the same `.source` otherwise. Only rendering needs Graphviz's `dot`
program; without it `render` raises `GraphvizNotFoundError`, which says how to
install it, before anything is written.

Node ids are predictable: tensors are `t0, t1, …` and ops `f0, f1, …`, numbered
inputs-first (topological order); collapsed modules are `m0, m1, …`, the summary
node is `more` and the legend `legend`.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
from collections import deque
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..autograd import ReleasedTensor
from ..engine import Function, Tensor
from ..errors import DrawError, GraphvizNotFoundError

try:  # the Python package is optional: without it we return a stand-in with .source
    import graphviz as _graphviz
except ImportError:  # pragma: no cover - exercised by monkeypatching _graphviz in tests
    _graphviz = None

__all__ = ["draw", "render", "pipe", "DrawError", "GraphvizNotFoundError",
           "DotGraph", "FORMATS"]


INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH; it is needed to render pictures "
    "(the DOT text is still available as graph.source). Install Graphviz with one of: "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz`, or the installer from graphviz.org (Windows), "
    "then make sure `dot -V` works in a new shell.")

# Formats `render` writes: the image formats go through `dot`, DOT text does not.
FORMATS = ("svg", "png", "pdf", "dot", "gv")
_TEXT_FORMATS = ("dot", "gv")

# --------------------------------------------------------------------------- the look
# One place for every colour and shape, so the legend and the nodes cannot disagree.
FONT = "Helvetica,Arial,sans-serif"
STYLE = {
    "param": dict(shape="box", style="rounded,filled", fillcolor="#cfe2f3", color="#3d6fa6"),
    "input": dict(shape="box", style="filled,dashed", fillcolor="#eeeeee", color="#777777"),
    "tensor": dict(shape="box", style="rounded,filled", fillcolor="#ffffff", color="#555555"),
    "output": dict(shape="box", style="rounded,filled,bold", fillcolor="#d9ead3",
                   color="#38761d", peripheries="2"),
    "op": dict(shape="ellipse", style="filled", fillcolor="#e4dcf4", color="#674ea7"),
    "module": dict(shape="box3d", style="filled", fillcolor="#e4dcf4", color="#674ea7"),
    "more": dict(shape="note", style="filled,dashed", fillcolor="#ffffff", color="#999999",
                 fontcolor="#555555"),
}
ROLE_TEXT = {
    "param": ("parameter", "leaf, requires grad"),
    "input": ("input / constant", "leaf, no grad (dashed)"),
    "tensor": ("intermediate", "made by an op"),
    "output": ("output", "double border"),
    "op": ("op", "ellipse: a Function"),
    "module": ("module", "one layer's ops, by parameter name"),
}
EDGE_FORWARD = dict(color="#444444")
EDGE_GRAD = dict(color="#cc0000", penwidth="1.4")
EDGE_NO_GRAD = dict(color="#999999", style="dashed", arrowhead="none")
EDGE_MORE = dict(color="#999999", style="dashed")
CLUSTER = dict(style="rounded,dashed", color="#674ea7", fontcolor="#674ea7", labelloc="t")

# The naive-count colour scale: the ratio naive evaluations ÷ backprop evaluations of a
# node's local partials, in powers of two (ColorBrewer YlOrRd, light to dark).
SCALE_COLOURS = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
SCALE_LABELS = ("×1", "≤×2", "≤×4", "≤×8", "≤×16", ">×16")
SCALE_DARK = 4  # bins from here on get white text
AUTO_LR_MAX = 13  # rankdir="auto": left to right up to this many nodes on the longest path


def scale_bin(ratio: float) -> int:
    """Which colour of the scale a naive ÷ backprop ratio gets: ×1, ≤×2, ≤×4, … , >×16."""
    if ratio <= 1:
        return 0
    return min(len(SCALE_COLOURS) - 1, math.ceil(math.log2(ratio) - 1e-12))


# --------------------------------------------------------------------------- DOT text

def _quote(text: str) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r", "").replace("\n", "\\n") + '"'


def _attrs(attrs: Mapping[str, Any]) -> str:
    parts = []
    for k, v in attrs.items():
        if v is None:
            continue
        if k == "label" and isinstance(v, _Html):
            parts.append(f"label=<{v.text}>")
        else:
            parts.append(f"{k}={_quote(v)}")
    return " [" + " ".join(parts) + "]" if parts else ""


class _Html(str):
    """A Graphviz HTML-like label (written between < and > instead of quotes)."""

    @property
    def text(self) -> str:
        return str(self)


def _html_escape(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# --------------------------------------------------------------------------- summaries

def _fmt(v: Any) -> str:
    try:
        return f"{v:.3g}"
    except (TypeError, ValueError):
        return str(v)


def summarize(a: Any) -> str:
    """A short text for an array: the values when there are at most 3, else mean and std."""
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true" if a.size > 3 else str(a.tolist())
    if a.size == 1:
        return _fmt(a.reshape(()).item())
    if a.size <= 3:
        return "[" + ", ".join(_fmt(v) for v in a.reshape(-1).tolist()) + "]"
    with np.errstate(all="ignore"):
        return f"mean {_fmt(a.mean().item())}, std {_fmt(a.std().item())}"


def _shape_text(t: Tensor) -> str:
    shape = "scalar" if t.ndim == 0 else str(tuple(int(n) for n in t.shape))
    return f"{shape} {t.dtype}"


# --------------------------------------------------------------------------- traversal

def _collect(root: Tensor) -> tuple[list[Tensor], list[Function]]:
    """Every tensor and op of the graph that produced `root`, inputs first.

    An iterative depth-first walk (no recursion, so a 100,000-op chain is fine) that
    emits each tensor after all of its inputs; each op comes right before its output.
    """
    tensors: list[Tensor] = []
    ops: list[Function] = []
    seen = {id(root)}
    stack = [(root, iter(root._ctx.parents if root._ctx is not None else ()))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(p._ctx.parents if p._ctx is not None else ())))
                break
        else:
            stack.pop()
            if node._ctx is not None:
                ops.append(node._ctx)
            tensors.append(node)
    return tensors, ops


def _role(t: Tensor, root: Tensor) -> str:
    if t is root:
        return "output"
    if t._ctx is None:
        return "param" if t._rg else "input"
    return "tensor"


def _as_counts(counts: Any, what: str) -> Mapping[Function, int] | None:
    if counts is None:
        return None
    per_node = getattr(counts, "per_node", counts)
    if not isinstance(per_node, Mapping):
        raise DrawError(f"draw: {what}= must be an OpCounts from count_ops() or a mapping "
                        f"Function -> int, got {type(counts).__name__}")
    return per_node


def _module_prefix(t: Tensor) -> str | None:
    """`layers.0` for a parameter named `layers.0.weight`; None for leaves without a dotted name."""
    if t._ctx is None and t._rg and t.name and "." in t.name:
        return t.name.rsplit(".", 1)[0]
    return None


def _find_modules(tensors: list[Tensor], ops: list[Function],
                  consumers: dict[int, list[Function]]) -> dict[int, str]:
    """Which module (parameter-name prefix) each op belongs to: id(op) -> prefix.

    Seeds: the ops that take a parameter of the module directly (for a Linear layer the
    transpose of its weight, and the add of its bias). Then every op that lies on a path
    between two seeds of the same module joins it (the matmul between them). Ops whose
    parameters come from two modules stay ungrouped.
    """
    order = {id(fn): k for k, fn in enumerate(ops)}
    out_of = {id(t._ctx): t for t in tensors if t._ctx is not None}
    seeds: dict[str, list[Function]] = {}
    for fn in ops:
        prefixes = {_module_prefix(p) for p in fn.parents} - {None}
        if len(prefixes) == 1:
            seeds.setdefault(prefixes.pop(), []).append(fn)
    module_of: dict[int, str] = {}
    for prefix, members in seeds.items():
        lo = min(order[id(f)] for f in members)
        hi = max(order[id(f)] for f in members)
        # ancestors of the seeds, no earlier than the first seed (topological bound)
        up: set[int] = set()
        todo = list(members)
        while todo:
            fn = todo.pop()
            for p in fn.parents:
                q = p._ctx
                if q is not None and id(q) not in up and order[id(q)] >= lo:
                    up.add(id(q))
                    todo.append(q)
        # descendants of the seeds, no later than the last seed
        down: set[int] = set()
        todo = list(members)
        while todo:
            fn = todo.pop()
            for q in consumers.get(id(out_of[id(fn)]), ()):
                if id(q) not in down and order[id(q)] <= hi:
                    down.add(id(q))
                    todo.append(q)
        for fn in members:
            module_of.setdefault(id(fn), prefix)
        for fid in up & down:
            module_of.setdefault(fid, prefix)
    return module_of


# --------------------------------------------------------------------------- the builder

class _Picture:
    """Nodes, edges and clusters in the direction data flows; turned into DOT at the end."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[tuple[str, str, str]] = []  # (src, dst, kind) with kind grad/nograd/more
        self.cluster_of: dict[str, str] = {}
        self.clusters: dict[str, str] = {}  # cluster id -> label
        self.edge_labels: dict[tuple[str, str], str] = {}

    def longest_path(self) -> int:
        """The number of nodes on the longest chain of edges (Kahn's order, no recursion)."""
        indeg = {n: 0 for n in self.nodes}
        succ: dict[str, list[str]] = {}
        for s, d, _ in self.edges:
            indeg[d] += 1
            succ.setdefault(s, []).append(d)
        depth = {n: 1 for n in self.nodes}
        ready = [n for n, k in indeg.items() if k == 0]
        while ready:
            n = ready.pop()
            for d in succ.get(n, ()):
                depth[d] = max(depth[d], depth[n] + 1)
                indeg[d] -= 1
                if indeg[d] == 0:
                    ready.append(d)
        return max(depth.values(), default=0)

    def summarise_beyond(self, keep_from: str, max_nodes: int) -> int:
        """Keep the max_nodes - 1 nodes nearest `keep_from` (going against the data flow)
        and replace the rest by one `more` node; returns how many were dropped."""
        if len(self.nodes) <= max_nodes:
            return 0
        preds: dict[str, list[str]] = {}
        for s, d, _ in self.edges:
            preds.setdefault(d, []).append(s)
        keep: dict[str, None] = {keep_from: None}
        queue = deque([keep_from])
        budget = max(1, max_nodes - 1)
        while queue and len(keep) < budget:
            n = queue.popleft()
            for p in preds.get(n, ()):
                if p not in keep and len(keep) < budget:
                    keep[p] = None
                    queue.append(p)
        dropped = [n for n in self.nodes if n not in keep]
        edges = []
        fed: dict[str, None] = {}
        for s, d, kind in self.edges:
            if s in keep and d in keep:
                edges.append((s, d, kind))
            elif d in keep:
                fed[d] = None
        for d in fed:
            edges.append(("more", d, "more"))
        self.nodes = {n: a for n, a in self.nodes.items() if n in keep}
        self.nodes["more"] = dict(STYLE["more"], label=(
            f"… {len(dropped)} more nodes\n(max_nodes={max_nodes})"))
        self.edges = edges
        self.cluster_of = {n: c for n, c in self.cluster_of.items() if n in keep}
        return len(dropped)

    def dot_lines(self, direction: str, graph_attrs: Mapping[str, Any]) -> list[str]:
        lines = ["\t" + f"graph{_attrs(graph_attrs)}\n",
                 "\t" + f"node{_attrs(dict(fontname=FONT, fontsize='10', margin='0.08,0.03'))}\n",
                 "\t" + f"edge{_attrs(dict(fontname=FONT, fontsize='9', arrowsize='0.6'))}\n"]
        members: dict[str, list[str]] = {}
        for n, c in self.cluster_of.items():
            members.setdefault(c, []).append(n)
        for cid, label in self.clusters.items():
            if not members.get(cid):
                continue
            lines.append(f"\tsubgraph {cid} {{\n")
            lines.append(f"\t\tgraph{_attrs(dict(CLUSTER, label=label))}\n")
            for n in members[cid]:
                lines.append(f"\t\t{n}{_attrs(self.nodes[n])}\n")
            lines.append("\t}\n")
        for n, a in self.nodes.items():
            if n not in self.cluster_of:
                lines.append(f"\t{n}{_attrs(a)}\n")
        for s, d, kind in self.edges:
            if direction == "forward":
                style = EDGE_MORE if kind == "more" else EDGE_FORWARD
                if kind == "nograd":
                    style = dict(EDGE_FORWARD, color="#888888")
            else:  # the gradient flows against the data
                style = {"grad": EDGE_GRAD, "nograd": EDGE_NO_GRAD, "more": EDGE_MORE}[kind]
            label = self.edge_labels.get((s, d))
            if label:
                style = dict(style, label=label, fontcolor="#555555")
            if direction == "forward":
                lines.append(f"\t{s} -> {d}{_attrs(style)}\n")
            else:
                lines.append(f"\t{d} -> {s}{_attrs(style)}\n")
        return lines


def _legend(direction: str, overlay: bool, collapsed: bool) -> str:
    """The legend as rows of an HTML-like table, laid out flat so it fits under a wide graph."""
    def cell(role: str, name: str, meaning: str) -> str:
        st = STYLE[role]
        return (f'<TD BGCOLOR="{st["fillcolor"]}" COLOR="{st["color"]}">{_html_escape(name)}'
                f'<BR/><FONT POINT-SIZE="9">{_html_escape(meaning)}</FONT></TD>')

    def row(cells: Iterable[str]) -> str:
        return ('<TR><TD BORDER="0"><TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" '
                'CELLPADDING="3"><TR>' + "".join(cells) + "</TR></TABLE></TD></TR>")

    roles = ["param", "input", "tensor", "output"] + ([] if overlay else ["op"])
    cells = [cell(r, *ROLE_TEXT[r]) for r in roles]
    if collapsed:
        cells.append(cell("module", *ROLE_TEXT["module"]))
    rows = [row(['<TD BORDER="0"><B>legend</B></TD>'] + cells)]
    if direction == "forward":
        arrows = ['<TD BORDER="0"><FONT COLOR="#444444"><B>⟶</B></FONT> data flows '
                  '(forward pass: inputs to output)</TD>']
    else:
        arrows = ['<TD BORDER="0"><FONT COLOR="#cc0000"><B>⟶</B></FONT> gradient flows '
                  '(backward pass: from the output to the leaves)</TD>',
                  '<TD BORDER="0"><FONT COLOR="#999999"><B>- - -</B></FONT> no gradient '
                  '(into a constant)</TD>']
    rows.append(row(arrows))
    if overlay:
        scale = [f'<TD BGCOLOR="{c}"><FONT COLOR="{"white" if k >= SCALE_DARK else "black"}">'
                 f'{_html_escape(lbl)}</FONT></TD>'
                 for k, (c, lbl) in enumerate(zip(SCALE_COLOURS, SCALE_LABELS))]
        rows.append(row(['<TD BORDER="0">op colour: local partials evaluated by naive mode '
                         '÷ by backprop</TD>'] + scale))
    return "".join(rows)


# --------------------------------------------------------------------------- draw

_COLLAPSE = {False: None, None: None, True: "box", "box": "box", "cluster": "cluster",
             "none": None}


def draw(tensor: Tensor, *, rankdir: str = "LR", show_values: bool = False,
         show_grads: bool = False, direction: str = "forward",
         collapse_modules: bool | str = False, max_nodes: int | None = None,
         counts: Any = None, compare: Any = None, legend: bool = False,
         title: str | None = None) -> Any:
    """The graph that produced `tensor`, as a graphviz.Digraph (or a `DotGraph` stand-in
    with the same `.source` when the graphviz package is not installed).

    rankdir           "LR" (default, left to right), "TB" (top to bottom), or "auto": LR when
                      the longest path has at most 13 nodes, else TB.
    show_values       add a short summary of each tensor's data (values, or mean and std).
    show_grads        add a summary of `.grad` for the tensors that have one (after backward).
    direction         "forward": edges as data flows, inputs → output. "backward": the flow
                      of gradients, from the output back to the leaves (edges reversed, red;
                      grey dashed into constants, which get no gradient).
    collapse_modules  group the ops of each module, found from parameter names such as
                      `layers.0.weight` (prefix `layers.0`): True or "box" draws each module
                      as one 3-D box, "cluster" draws its nodes inside a labelled frame.
    max_nodes         draw only the nodes nearest the output and one "… N more nodes" node.
    counts            an OpCounts (or a mapping Function -> int) from
                      `with count_ops() as c: loss.backward(mode="naive", retain_graph=True)`:
                      each op is coloured by naive ÷ backprop evaluations of its partials,
                      both numbers in its label.
    compare           the OpCounts of a backprop run, for backprop's number; without it
                      backprop's count is the op's number of inputs that require grad (one
                      local partial per graph edge, which is what backprop evaluates).
    legend            draw the legend into the picture.
    title             a caption; by default one that says what the picture shows.
    """
    if not isinstance(tensor, Tensor):
        raise DrawError(f"draw: expected a Tensor, got {type(tensor).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT", "auto"):
        raise DrawError(f"draw: rankdir must be 'LR', 'TB' or 'auto', got {rankdir!r}")
    if direction not in ("forward", "backward"):
        raise DrawError(f"draw: direction must be 'forward' or 'backward', got {direction!r}")
    try:
        collapse = _COLLAPSE[collapse_modules]
    except (KeyError, TypeError):
        raise DrawError("draw: collapse_modules must be False, True, 'box' or 'cluster', "
                        f"got {collapse_modules!r}") from None
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 2):
        raise DrawError(f"draw: max_nodes must be an integer of at least 2, got {max_nodes!r}")
    naive = _as_counts(counts, "counts")
    backprop = _as_counts(compare, "compare")

    root = tensor
    tensors, ops = _collect(root)
    tid = {id(t): f"t{k}" for k, t in enumerate(tensors)}
    fid = {id(fn): f"f{k}" for k, fn in enumerate(ops)}
    consumers: dict[int, list[Function]] = {}
    for fn in ops:
        for p in fn.parents:
            consumers.setdefault(id(p), []).append(fn)

    pic = _Picture()

    # -- tensors
    for t in tensors:
        role = _role(t, root)
        lines = []
        if t.name:
            first = t.name
        else:
            first = {"output": "output", "param": "parameter", "input": "input"}.get(role)
        if role == "input" and t.ndim == 0 and not show_values:
            # a lifted Python number: its value says more than any name
            first = f"{t.name or 'constant'} = {summarize(t.data)}"
        if first:
            lines.append(first)
        lines.append(_shape_text(t))
        if show_values:
            # backward() frees large intermediates; their stand-ins have no values
            freed = isinstance(t, ReleasedTensor)
            lines.append("data freed by backward()" if freed else "data " + summarize(t.data))
        if show_grads and t.grad is not None:
            lines.append("grad " + summarize(t.grad))
        if direction == "backward" and t is root and root._rg and root.size == 1:
            lines.append("gradient starts here: 1")
        pic.nodes[tid[id(t)]] = dict(STYLE[role], label="\n".join(lines))

    # -- ops
    totals = [0, 0]
    for fn in ops:
        a = dict(STYLE["op"], label=fn.name)
        if naive is not None:
            n_naive = int(naive.get(fn, 0))
            n_bp = (int(backprop.get(fn, 0)) if backprop is not None
                    else sum(1 for p in fn.parents if p._rg))
            totals[0] += n_naive
            totals[1] += n_bp
            a["label"] = f"{fn.name}\nnaive ×{n_naive}\nbackprop ×{n_bp}"
            _colour_by_ratio(a, n_naive, n_bp)
        pic.nodes[fid[id(fn)]] = a

    # -- edges: one per parent link, one per op output
    out_of: dict[int, Tensor] = {}
    for t in tensors:
        if t._ctx is not None:
            out_of[id(t._ctx)] = t
            for p in t._ctx.parents:
                pic.edges.append((tid[id(p)], fid[id(t._ctx)], "grad" if p._rg else "nograd"))
            pic.edges.append((fid[id(t._ctx)], tid[id(t)], "grad"))

    # -- modules
    n_modules = 0
    if collapse is not None and ops:
        module_of = _find_modules(tensors, ops, consumers)
        prefixes = list(dict.fromkeys(module_of[id(fn)] for fn in ops if id(fn) in module_of))
        n_modules = len(prefixes)
        if collapse == "cluster":
            _clusters(pic, prefixes, module_of, tensors, ops, tid, fid, consumers, root)
        else:
            _boxes(pic, prefixes, module_of, tensors, ops, tid, fid, consumers, root,
                   naive, backprop)

    # -- summary beyond max_nodes
    dropped = 0
    if max_nodes is not None:
        dropped = pic.summarise_beyond(tid[id(root)], max_nodes)

    if title is None:
        what = root.name or "the output"
        size = f"{len(tensors)} tensors, {len(ops)} ops"
        if n_modules:
            size += f", {n_modules} modules " + ("grouped" if collapse == "cluster" else "collapsed")
        if dropped:
            size += f"; the {dropped} nodes furthest from the output are summarised"
        if naive is not None:
            title = (f"naive mode evaluated {totals[0]} local partials, backprop "
                     f"{totals[1]} (one per edge) — {size}")
        elif direction == "forward":
            title = f"forward: the data flows from the inputs to {what} — {size}"
        else:
            title = f"backward: the gradient flows from {what} back to the leaves — {size}"
    if rankdir == "auto":  # a long chain reads better down the page than across it
        rankdir = "LR" if pic.longest_path() <= AUTO_LR_MAX else "TB"
    graph_attrs = dict(rankdir=rankdir, bgcolor="white", fontname=FONT, fontsize="12",
                       labelloc="t", label=title, nodesep="0.2", ranksep="0.3")
    if legend:  # title and legend together, as a caption under the picture
        graph_attrs["labelloc"] = "b"
        graph_attrs["label"] = _Html(
            '<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">'
            f'<TR><TD><B>{_html_escape(title)}</B></TD></TR>'
            + _legend(direction, naive is not None, n_modules > 0 and collapse == "box")
            + "</TABLE>")
    lines = pic.dot_lines(direction, graph_attrs)
    return _wrap(lines)


def _colour_by_ratio(a: dict[str, Any], n_naive: int, n_bp: int) -> None:
    if n_naive == 0:
        a["fillcolor"] = "#ffffff"
        return
    k = scale_bin(n_naive / max(n_bp, 1))
    a["fillcolor"] = SCALE_COLOURS[k]
    a["color"] = "#7f0000" if k >= SCALE_DARK else "#b45f06"
    if k >= SCALE_DARK:
        a["fontcolor"] = "white"


def _absorbed_params(prefix: str, tensors: list[Tensor], module_of: dict[int, str],
                     consumers: dict[int, list[Function]], root: Tensor) -> list[Tensor]:
    """The module's parameters that only its own ops use."""
    return [t for t in tensors if t is not root and _module_prefix(t) == prefix
            and all(module_of.get(id(f)) == prefix for f in consumers.get(id(t), ()))]


def _clusters(pic: _Picture, prefixes: list[str], module_of: dict[int, str],
              tensors: list[Tensor], ops: list[Function], tid: dict[int, str],
              fid: dict[int, str], consumers: dict[int, list[Function]], root: Tensor) -> None:
    cid = {p: f"cluster_m{k}" for k, p in enumerate(prefixes)}
    for p in prefixes:
        pic.clusters[cid[p]] = p
    for fn in ops:
        if id(fn) in module_of:
            pic.cluster_of[fid[id(fn)]] = cid[module_of[id(fn)]]
    for t in tensors:
        if t._ctx is not None and id(t._ctx) in module_of and t is not root:
            pic.cluster_of[tid[id(t)]] = cid[module_of[id(t._ctx)]]
    for p in prefixes:
        for t in _absorbed_params(p, tensors, module_of, consumers, root):
            pic.cluster_of[tid[id(t)]] = cid[p]


def _boxes(pic: _Picture, prefixes: list[str], module_of: dict[int, str],
           tensors: list[Tensor], ops: list[Function], tid: dict[int, str],
           fid: dict[int, str], consumers: dict[int, list[Function]], root: Tensor,
           naive: Mapping | None, backprop: Mapping | None) -> None:
    """Replace each module's ops, its own parameters and the tensors used only inside it
    by one box; tensors it hands to the rest of the graph stay visible."""
    mid = {p: f"m{k}" for k, p in enumerate(prefixes)}
    replace: dict[str, str] = {}  # old node id -> box id
    members: dict[str, list[Function]] = {p: [] for p in prefixes}
    for fn in ops:
        if id(fn) in module_of:
            members[module_of[id(fn)]].append(fn)
            replace[fid[id(fn)]] = mid[module_of[id(fn)]]
    params: dict[str, list[Tensor]] = {}
    for p in prefixes:
        params[p] = _absorbed_params(p, tensors, module_of, consumers, root)
        for t in params[p]:
            replace[tid[id(t)]] = mid[p]
    for t in tensors:
        fn = t._ctx
        if fn is None or id(fn) not in module_of or t is root:
            continue
        users = consumers.get(id(t), ())
        if users and all(module_of.get(id(f)) == module_of[id(fn)] for f in users):
            replace[tid[id(t)]] = mid[module_of[id(fn)]]
    for p in prefixes:
        plen = len(p) + 1
        ps = ", ".join(f"{t.name[plen:]} {_shape_text(t).rsplit(' ', 1)[0]}" for t in params[p])
        lines = [p, "ops: " + ", ".join(f.name for f in members[p])]
        if ps:
            lines.append(ps)
        a = dict(STYLE["module"])
        if naive is not None:
            n_naive = sum(int(naive.get(f, 0)) for f in members[p])
            n_bp = sum(int(backprop.get(f, 0)) if backprop is not None
                       else sum(1 for q in f.parents if q._rg) for f in members[p])
            lines.append(f"naive ×{n_naive}, backprop ×{n_bp}")
            _colour_by_ratio(a, n_naive, n_bp)
        a["label"] = "\n".join(lines)
        pic.nodes[mid[p]] = a
    # the box replaces its members; edges inside it disappear, the rest are deduplicated
    first_box = {}
    nodes: dict[str, dict[str, Any]] = {}
    for n, a in pic.nodes.items():
        box = replace.get(n)
        if box is None:
            if n not in mid.values():
                nodes[n] = a
        elif box not in first_box:
            first_box[box] = None
            nodes[box] = pic.nodes[box]
    pic.nodes = nodes
    edges, seen = [], set()
    for s, d, kind in pic.edges:
        s2, d2 = replace.get(s, s), replace.get(d, d)
        if s2 == d2 or (s2, d2) in seen:
            continue
        seen.add((s2, d2))
        edges.append((s2, d2, kind))
    pic.edges = edges
    _fold_plain_tensors(pic, tensors, tid, root)


def _fold_plain_tensors(pic: _Picture, tensors: list[Tensor], tid: dict[int, str],
                        root: Tensor) -> None:
    """With modules collapsed, an unnamed intermediate tensor between two nodes (one edge
    in, one out) becomes the label of a single edge: its shape. Halves a deep MLP's length."""
    n_in: dict[str, int] = {}
    n_out: dict[str, int] = {}
    for s, d, _ in pic.edges:
        n_out[s] = n_out.get(s, 0) + 1
        n_in[d] = n_in.get(d, 0) + 1
    fold = {tid[id(t)]: _shape_text(t) for t in tensors
            if t._ctx is not None and t is not root and not t.name
            and tid[id(t)] in pic.nodes and n_in.get(tid[id(t)]) == 1
            and n_out.get(tid[id(t)]) == 1}
    if not fold:
        return
    into = {d: (s, kind) for s, d, kind in pic.edges if d in fold}
    edges = []
    for s, d, kind in pic.edges:
        if d in fold:
            continue
        if s in fold:
            src, _ = into[s]
            edges.append((src, d, kind))
            pic.edge_labels[(src, d)] = fold[s]
        else:
            edges.append((s, d, kind))
    pic.edges = edges
    pic.nodes = {n: a for n, a in pic.nodes.items() if n not in fold}


# --------------------------------------------------------------------------- wrapping

class DotGraph:
    """What draw() returns when the graphviz Python package is not installed: the same
    `.source` text, `render(path)`, and inline display in Jupyter when `dot` exists."""

    def __init__(self, source: str):
        self.source = source

    def __str__(self) -> str:
        return self.source

    def render(self, path: str | os.PathLike) -> Path:
        return render(self, path)

    def pipe(self, format: str = "svg") -> bytes:
        return pipe(self, format)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict:
        return _mimebundle(self.source)


def _mimebundle(source: str) -> dict:
    try:
        return {"image/svg+xml": pipe(source, "svg").decode("utf-8")}
    except (GraphvizNotFoundError, DrawError):
        return {"text/plain": source}


if _graphviz is not None:
    class Graph(_graphviz.Digraph):
        """A graphviz.Digraph that shows its DOT text in Jupyter instead of failing when
        Graphviz's `dot` is not installed."""

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kw: Any) -> dict:
            if _find_dot() is None:
                return {"text/plain": self.source}
            return super()._repr_mimebundle_(include=include, exclude=exclude, **kw)
else:  # pragma: no cover
    Graph = None


def _wrap(body: list[str]) -> Any:
    if _graphviz is not None:
        return Graph(name="micrograd", body=body)
    return DotGraph("digraph micrograd {\n" + "".join(body) + "}\n")


# --------------------------------------------------------------------------- rendering

def _find_dot() -> str | None:
    """The path of Graphviz's `dot`, or None."""
    return shutil.which("dot")


def pipe(graph: Any, format: str = "svg") -> bytes:
    """The picture as bytes in `format` (svg, png, pdf), made by Graphviz's `dot`."""
    source = graph if isinstance(graph, str) else graph.source
    if format in _TEXT_FORMATS:
        return source.encode("utf-8")
    if format not in FORMATS:
        raise DrawError(f"render: cannot write format {format!r}; use one of {', '.join(FORMATS)}")
    exe = _find_dot()
    if exe is None:
        raise GraphvizNotFoundError(INSTALL_HINT)
    try:
        done = subprocess.run([exe, f"-T{format}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=300)
    except FileNotFoundError:
        raise GraphvizNotFoundError(INSTALL_HINT) from None
    except (OSError, subprocess.TimeoutExpired) as e:
        raise DrawError(f"render: running {exe} failed: {e}") from None
    if done.returncode != 0 or not done.stdout:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise DrawError(f"render: `dot -T{format}` failed (exit {done.returncode}): {err}")
    return done.stdout


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def render(graph: Any, path: str | os.PathLike, format: str | None = None) -> Path:
    """Write `graph` (from draw(), a Digraph, or DOT text) to `path`; the format is
    the extension (.svg, .png, .pdf; .dot/.gv write the DOT text without Graphviz).

    The picture is made in memory first and the file written in one step, so a
    missing `dot` (GraphvizNotFoundError) or a failing one (DrawError) leaves no file.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if not fmt:
        raise DrawError(f"render: {str(path)!r} has no extension; name it .svg, .png or .pdf")
    data = pipe(graph, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
