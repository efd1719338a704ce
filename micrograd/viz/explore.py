"""explore(): a web page that steps through the forward pass and each mode's backward walk.

    page = micrograd.explore(loss, "loss.html")        # or explore(model_loss_function, ...)
    page                                               # in Jupyter: the page, inline

The page is one self-contained HTML file: the graph laid out by Graphviz (SVG), the event
log as JSON and a small hand-written script and style sheet (explore_page/), all inline,
so it opens from disk with no server and no network.

The events come from the engine's dispatch points, through `engine.observe`:
  forward   Function.apply ran an op (recorded when explore is given a function that
            builds the tensor; given the tensor itself, the forward has already run and
            its ops are replayed in graph order, inputs first).
  partial   Function.call_backward evaluated one local partial g · ∂out/∂input_i.
Three more are derived, not observed, each from the walk's own rules:
  seed      the walk starts: ∂L/∂L = 1 (or the `gradient` given) at the output.
  target    naive mode starts walking every path from the output to one leaf: the
            leaf after the last one whose `.grad` the engine has written, in the order
            naive mode takes them (gradients.modes._targets).
  store     the engine wrote `.grad`: for backprop all at the end of its walk, for naive
            mode each leaf when its walk is done (seen as its `.grad` no longer None).
A partial's result is added into the gradient of the input it was taken for: backprop
sums every contribution into one gradient per node (∂L/∂x = Σ over consumers of
g · ∂y/∂x); naive mode passes each path's product down and sums only at the target. The
page does these sums itself from the logged partials, in the engine's order and dtype,
and explore checks, before writing anything, that they equal the `.grad` the engine
computed, so the page cannot show a gradient the engine did not compute.
"""
from __future__ import annotations

import html
import json
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd import consumer_counts, unbroadcast
from ..engine import Function, Tensor, observe
from ..errors import DrawError, GraphvizNotFoundError, MicrogradError
from ..files import write_atomically
from ..gradients.modes import _graph, _targets, estimate_partials
from .dot import Picture, attrs_text
from .modules import draw_boxes, find_modules
from .rendering import INSTALL_HINT, find_dot, pipe
from .style import AUTO_LR_MAX, EDGE_FORWARD, EDGE_FORWARD_NO_GRAD, EDGE_MORE, FONT, STYLE
from .walk import GraphNodes, walk

__all__ = ["explore", "Exploration", "MODES", "MAX_NODES", "MAX_EVENTS", "MAX_NUMBERS"]

MODES = ("backprop", "naive")
MAX_NODES = 200       # nodes in the picture; above it modules are collapsed, or the page refused
MAX_EVENTS = 5_000    # local partials one mode may log; a mode that needs more is left out
MAX_NUMBERS = 400_000  # numbers in the whole log (about 8 MB of JSON); more is refused

# Room the page's script fills in on each node (figure spaces: Graphviz sizes the node
# for them, and they are as wide as digits).
_ROOM = "\u2007" * 16
_VALUE_LINE = "value: not computed" + _ROOM
_GRAD_LINE = "grad: none yet" + _ROOM
_OP_LINE = "∂ evaluated ×0"


# --------------------------------------------------------------------------- numbers

def _numbers(a: Any, exact: bool) -> dict[str, Any]:
    """An array as JSON: {"s": shape, "v": flat values}; `exact` keeps every digit (the
    partials the page sums), else 6 significant digits (values only shown). nan and ±inf,
    which JSON lacks, are the strings "nan", "inf", "-inf"; booleans are 0 and 1."""
    a = np.asarray(a)
    out: dict[str, Any] = {"s": [int(n) for n in a.shape]}
    if a.dtype.kind == "c":  # complex values are shown, never summed: as text
        out["v"] = [str(v) for v in a.reshape(-1).tolist()]
        return out
    flat = a.reshape(-1)
    if flat.dtype.kind in "biu":
        out["v"] = flat.astype(np.int64).tolist()
        return out
    values = flat.astype(np.float64).tolist()
    if not exact:
        values = [float(f"{v:.6g}") for v in values]
    if not np.isfinite(flat).all():
        values = [v if math.isfinite(v) else ("nan" if v != v else ("inf" if v > 0 else "-inf"))
                  for v in values]
    out["v"] = values
    return out


def _formula(fn: Function) -> tuple[str, str]:
    """(what the op computes, its partials), from the first paragraph of its docstring in
    ops.py, written `z = x · y;  ∂z/∂x = y, ∂z/∂y = x`."""
    doc = (type(fn).__doc__ or "").strip().split("\n\n")[0]
    doc = " ".join(line.strip() for line in doc.splitlines())
    what, _, partials = doc.partition(";")
    return what.strip(), partials.strip()


# --------------------------------------------------------------------------- the picture

@dataclass
class _Layout:
    """The graph as drawn: DOT text, and where each logical node and edge ended up (a
    module box when collapsed; None for an edge inside a box)."""
    dot: str
    node_at: dict[str, str]
    edge_at: dict[tuple[str, int], str | None]  # (op id, input index); -1: op -> its output
    collapsed: int  # modules collapsed into boxes
    rankdir: str


def _tensor_text(t: Tensor, role: str) -> str:
    first = t.name or {"output": "output", "param": "parameter", "input": "input"}.get(
        role, "intermediate")
    if role == "input" and t.ndim == 0 and not t.name:
        first = "constant"
    shape = "scalar" if t.ndim == 0 else str(tuple(int(n) for n in t.shape))
    return "\n".join([first, f"{shape} {t.dtype}", _VALUE_LINE, _GRAD_LINE])


def _layout(g: GraphNodes, rankdir: str, collapse: bool, max_nodes: int) -> _Layout:
    """Nodes and edges with ids the page finds them by: `n_t3`, `n_f2`, and `e_t3_f2_0` for
    input 0 of op f2 (`e_f2_t4` for its output); collapsed, `e_m0_f5` between two shown
    nodes. Collapses the modules when asked or when the graph has more than max_nodes."""
    pic = Picture()
    for t in g.tensors:
        role = g.role(t)
        pic.nodes[g.tensor_id(t)] = dict(STYLE[role], label=_tensor_text(t, role))
    for fn in g.ops:
        pic.nodes[g.op_id(fn)] = dict(STYLE["op"], label=f"{fn.name}\n{_OP_LINE}")
    edge_ids: list[str] = []
    for fn in g.ops:
        fid = g.op_id(fn)
        for i, p in enumerate(fn.parents):
            pic.edges.append((g.tensor_id(p), fid, "grad" if p.requires_grad else "nograd"))
            edge_ids.append(f"e_{g.tensor_id(p)}_{fid}_{i}")
        tid = g.tensor_id(g.output[id(fn)])
        pic.edges.append((fid, tid, "grad"))
        edge_ids.append(f"e_{fid}_{tid}")
    n_all = len(pic.nodes)
    replace: dict[str, str] = {}
    n_modules = 0
    if collapse or n_all > max_nodes:
        mods = find_modules(g)
        n_modules = len(mods.prefixes)
        if n_modules:
            replace = draw_boxes(pic, g, mods, None)
            edge_ids = [f"e_{s}_{d}" for s, d, _ in pic.edges]
    if len(pic.nodes) > max_nodes:
        after = f" ({len(pic.nodes)} with its {n_modules} modules collapsed)" if n_modules else ""
        raise DrawError(
            f"explore: the graph has {n_all} nodes{after}, more than max_nodes={max_nodes}; "
            "a page that size would be slow to step through. Explore a smaller model (fewer "
            "layers or units, or a graph whose parameters are named by module, such as "
            "micrograd.nn's, so that its layers can be collapsed), or pass a larger max_nodes")

    made_by = {g.tensor_id(g.output[id(fn)]): g.op_id(fn) for fn in g.ops}

    def shown(n: str) -> str:
        if n in pic.nodes:
            return n
        if n in replace:
            return replace[n]
        # an intermediate folded into an edge label: shown as the op that made it
        return shown(made_by[n]) if n in made_by else n

    node_at = {n: shown(n) for n in [g.tensor_id(t) for t in g.tensors] + list(made_by.values())}
    edges = {(s, d): eid for (s, d, _), eid in zip(pic.edges, edge_ids, strict=True)}
    edge_at: dict[tuple[str, int], str | None] = {}
    for fn in g.ops:
        fid = g.op_id(fn)
        ends = [(g.tensor_id(p), k) for k, p in enumerate(fn.parents)]
        for pid, k in ends:
            edge_at[(fid, k)] = (f"e_{pid}_{fid}_{k}" if not n_modules
                                 else edges.get((node_at[pid], node_at[fid])))
        tid = g.tensor_id(g.output[id(fn)])
        edge_at[(fid, -1)] = (f"e_{fid}_{tid}" if not n_modules
                              else edges.get((node_at[fid], node_at[tid])))
    if rankdir == "auto":  # a long chain reads better down the page than across it
        rankdir = "LR" if pic.longest_path() <= AUTO_LR_MAX else "TB"
    looks = {"grad": EDGE_FORWARD, "nograd": EDGE_FORWARD_NO_GRAD, "more": EDGE_MORE}
    lines = ["digraph explore {\n",
             f"\tgraph{attrs_text(dict(rankdir=rankdir, bgcolor='white', fontname=FONT, nodesep='0.25', ranksep='0.3'))}\n",  # noqa: E501
             f"\tnode{attrs_text(dict(fontname=FONT, fontsize='10', margin='0.08,0.03'))}\n",
             f"\tedge{attrs_text(dict(fontname=FONT, fontsize='9', arrowsize='0.6'))}\n"]
    lines += [f"\t{n}{attrs_text(dict(a, id='n_' + n))}\n" for n, a in pic.nodes.items()]
    for (s, d, kind), eid in zip(pic.edges, edge_ids, strict=True):
        look = dict(looks[kind], id=eid)
        if (s, d) in pic.edge_labels:
            look["label"] = pic.edge_labels[(s, d)]
        lines.append(f"\t{s} -> {d}{attrs_text(look)}\n")
    lines.append("}\n")
    return _Layout("".join(lines), node_at, edge_at, n_modules, rankdir)


# --------------------------------------------------------------------------- recording

class _ForwardLog:
    """Observer: each op Function.apply ran, with a copy of its output as it was then."""

    def __init__(self) -> None:
        self.ran: list[tuple[Function, np.ndarray]] = []

    def on_forward(self, fn: Function, parents: Sequence[Tensor], out: Tensor) -> None:
        self.ran.append((fn, np.array(out.data, copy=True)))

    def on_partial(self, fn: Function, i: int, a: Any, b: Any, kind: str) -> None:
        pass


class _WalkLog:
    """Observer of one mode's backward(): every local partial Function.call_backward
    evaluates, as an event, and (naive mode) which target each belongs to."""

    def __init__(self, mode: str, g: GraphNodes, targets: list[Tensor], budget: int):
        self.mode, self.g, self.targets = mode, g, targets
        self.events: list[dict[str, Any]] = []
        self.partials = 0
        self.numbers = 0
        self.budget = budget  # numbers this mode may log; past it the mode is left out
        self._last_g: Any = None
        self._last_fn: Function | None = None
        self._k = 0          # naive: the target being walked, as an index into targets
        self._walking = -1   # naive: the target whose "target" event was logged last

    def _count(self, a: dict[str, Any]) -> dict[str, Any]:
        self.numbers += len(a["v"])
        return a

    def seed(self, root: Tensor, seed: np.ndarray) -> None:
        self.events.append({"k": "seed", "node": self.g.tensor_id(root),
                            "g": self._count(_numbers(seed, exact=True))})

    def _stores_so_far(self) -> None:
        """Naive mode: the targets whose .grad the engine has written since the last event."""
        while self._k < len(self.targets) and self.targets[self._k].grad is not None:
            self.events.append({"k": "store", "nodes": [self.g.tensor_id(self.targets[self._k])]})
            self._k += 1

    def on_forward(self, fn: Function, parents: Sequence[Tensor], out: Tensor) -> None:
        pass

    def on_partial(self, fn: Function, i: int, g: Any, pg: Any, kind: str) -> None:
        if kind != "vjp":
            raise DrawError(f"explore: {self.mode} evaluated a {kind}; the page shows VJPs only")
        if self.mode == "naive":
            self._stores_so_far()
            if self._walking != self._k and self._k < len(self.targets):
                self.events.append({"k": "target",
                                    "node": self.g.tensor_id(self.targets[self._k])})
                self._walking = self._k
        self.partials += 1
        if self.numbers > self.budget:
            return  # over budget: keep counting, stop logging (the mode will be left out)
        p = fn.parents[i]
        pg = np.asarray(pg)
        summed = unbroadcast(pg, p.shape) if pg.shape != p.shape else pg
        ev: dict[str, Any] = {"k": "partial", "op": self.g.op_id(fn), "i": i,
                              "to": self.g.tensor_id(p),
                              "pg": self._count(_numbers(summed, exact=True))}
        if np.asarray(summed).dtype == np.float32:
            ev["f32"] = 1  # the page adds float32 partials in float32, as numpy does
        if pg.shape != p.shape:
            ev["bshape"] = list(pg.shape)  # summed over the broadcast axes (unbroadcast)
        if g is not self._last_g:  # absent: the same incoming gradient as the event before
            ev["g"] = self._count(_numbers(g, exact=False))
            self._last_g = g
        if self.mode == "backprop" and fn is not self._last_fn:
            ev["first"] = 1  # backprop pops a node once: its gradient is complete now
        self._last_fn = fn
        self.events.append(ev)

    def finish(self) -> None:
        if self.mode == "naive":
            self._stores_so_far()
        else:
            stored = [self.g.tensor_id(t) for t in self.targets if t.grad is not None]
            self.events.append({"k": "store", "nodes": stored})


def _sums(events: list[dict[str, Any]], mode: str) -> dict[str, np.ndarray]:
    """The gradient the log adds up to for each stored node, the way the page adds it: in
    event order, float64 (float32 when both sides are float32)."""
    total: dict[str, np.ndarray] = {}
    stored: dict[str, np.ndarray] = {}
    target = None
    for ev in events:
        if ev["k"] == "target":
            target = ev["node"]
        elif ev["k"] == "partial":
            if mode == "naive" and ev["to"] != target:
                continue  # a path gradient passed down, not a contribution to a target
            pg = np.array(ev["pg"]["v"], dtype=np.float32 if ev.get("f32") else np.float64)
            pg = pg.reshape(ev["pg"]["s"])
            prev = total.get(ev["to"])
            total[ev["to"]] = pg if prev is None else prev + pg
        elif ev["k"] == "store":
            for n in ev["nodes"]:
                stored[n] = total[n]
    return stored


def _check_sums(events: list[dict[str, Any]], mode: str, g: GraphNodes,
                targets: list[Tensor]) -> None:
    """Raise if the page's sums would differ from the engine's .grad (a bug here, never a
    difference to show)."""
    sums = _sums(events, mode)
    for t in targets:
        tid = g.tensor_id(t)
        if t.grad is None:
            continue
        mine = sums.get(tid)
        grad = np.asarray(t.grad)
        ok = mine is not None and mine.shape == grad.shape and (
            np.array_equal(mine.astype(grad.dtype), grad, equal_nan=True)
            if grad.dtype.kind == "f" else np.allclose(mine, grad, equal_nan=True))
        if not ok:
            raise MicrogradError(
                f"explore: internal error: the {mode} log adds up to {mine!r:.120} for "
                f"{t.name or tid}, but the engine's .grad is {grad!r:.120}; please report it")


# --------------------------------------------------------------------------- explore

@dataclass
class Exploration:
    """What explore() made: the page (`html`), the event log it holds (`log`), the file it
    was written to (`path`, or None), and notes on what was left out or collapsed."""
    html: str
    log: dict[str, Any]
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to `path` (.html) in one step."""
        self.path = _check_path(path)
        data = self.html.encode("utf-8")
        return write_atomically(self.path, lambda f: f.write(data))

    def _repr_html_(self) -> str:
        """Jupyter: the page in a sandboxed frame of its own (scripts, no network)."""
        return ('<iframe sandbox="allow-scripts" style="width:100%;height:760px;border:1px '
                f'solid #ccc" srcdoc="{html.escape(self.html, quote=True)}"></iframe>')

    def __repr__(self) -> str:
        where = f", written to {self.path}" if self.path else ""
        return f"<Exploration: {self.log['title']}{where}>"


def _check_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if p.suffix.lower() not in (".html", ".htm"):
        raise DrawError(f"explore: the page is HTML; name it .html, got {str(p)!r}")
    return p


def _check_modes(modes: Any) -> tuple[str, ...]:
    if isinstance(modes, str):
        modes = (modes,)
    try:
        modes = tuple(modes)
    except TypeError:
        raise DrawError(f"explore: modes must be a sequence of {MODES}, got {modes!r}") from None
    if not modes or any(m not in MODES for m in modes) or len(set(modes)) != len(modes):
        raise DrawError(f"explore: modes must be one or both of {', '.join(MODES)} (each once), "
                        f"got {modes!r}; forward mode's tangents flow the other way and are "
                        "counted by count_ops and `micrograd compare`, not drawn here")
    return modes


def _whole(value: Any, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise DrawError(f"explore: {name} must be a whole number >= {least}, got {value!r}")
    return int(value)


def explore(tensor: Tensor | Callable[[], Tensor], path: str | os.PathLike | None = None,
            modes: Sequence[str] = MODES, *, gradient: Any = None,
            collapse_modules: bool = False, max_nodes: int = MAX_NODES,
            max_events: int = MAX_EVENTS, rankdir: str = "auto",
            title: str | None = None) -> Exploration:
    """A page that steps through the forward pass and each mode's backward walk of
    `tensor`'s graph: one self-contained HTML file, written to `path` when given.

    tensor            the output (usually a scalar loss), or a function of no arguments
                      that builds it: then the forward pass is recorded as it runs.
    modes             "backprop", "naive" or both (the default), one synchronised pane each.
    gradient          the seed for a non-scalar output, as for backward().
    collapse_modules  draw each module (parameters named `layer.weight`) as one box;
                      done anyway when the graph has more than max_nodes nodes.
    max_nodes         refuse (DrawError) a graph with more nodes than this even collapsed.
    max_events        leave out, with a note on the page, a mode that would evaluate more
                      local partials than this (naive mode on a deep graph).
    rankdir           "LR", "TB" or "auto" (LR when the longest path has at most 13 nodes).

    Nothing of the caller's changes: each mode runs on the retained graph, and every
    tensor's .grad is put back as it was. Returns an Exploration (shown inline in Jupyter).
    """
    modes = _check_modes(modes)
    max_nodes = _whole(max_nodes, "max_nodes", 2)
    max_events = _whole(max_events, "max_events", 1)
    if rankdir not in ("LR", "TB", "auto"):
        raise DrawError(f"explore: rankdir must be 'LR', 'TB' or 'auto', got {rankdir!r}")
    if path is not None:
        path = _check_path(path)
    if find_dot() is None:  # before any work: the page is laid out by Graphviz
        raise GraphvizNotFoundError(INSTALL_HINT)
    forward_log = None
    if isinstance(tensor, Tensor):
        root = tensor
    elif callable(tensor):
        with observe(_ForwardLog()) as forward_log:
            root = tensor()
        if not isinstance(root, Tensor):
            raise DrawError(f"explore: the function must return a Tensor, got "
                            f"{type(root).__name__}")
    else:
        raise DrawError(f"explore: expected a Tensor or a function that returns one, got "
                        f"{type(tensor).__name__}")
    if not root.requires_grad or root.is_leaf:
        raise DrawError("explore: this tensor has no graph to walk (it was not made by ops on "
                        "tensors that require grad); build it from parameters created with "
                        "requires_grad=True")
    g = walk(root)
    layout = _layout(g, rankdir, bool(collapse_modules), max_nodes)
    notes: list[str] = []
    if layout.collapsed:
        why = "as asked" if collapse_modules else f"to stay under {max_nodes} nodes"
        notes.append(f"{layout.collapsed} modules are drawn as one box each ({why}); the steps "
                     "inside a box light up the box")
    log = _log(root, g, layout, forward_log, notes)
    budget = MAX_NUMBERS - log["numbers"]
    if budget < 0:
        raise DrawError(f"explore: the values of this graph are {log['numbers']:,} numbers, more "
                        f"than a page can hold ({MAX_NUMBERS:,}); use fewer points or units")
    log["modes"] = []
    saved = {t: t.grad for t in g.tensors}
    try:
        for mode in modes:
            entry = _record_mode(mode, root, g, gradient, max_events=max_events, budget=budget)
            budget -= entry.pop("numbers")
            if entry.get("refused"):
                notes.append(entry["refused"])
            log["modes"].append(entry)
    finally:
        for t, grad in saved.items():
            t.grad = grad
    log["notes"] = notes
    log["title"] = title or _title(root, g, modes)
    page = Exploration(_page(log, pipe(layout.dot, "svg").decode("utf-8")), log, None, notes)
    if path is not None:
        page.save(path)
    return page


def _title(root: Tensor, g: GraphNodes, modes: Sequence[str]) -> str:
    what = root.name or "the output"
    walks = " and ".join("naive mode" if m == "naive" else m for m in modes)
    return (f"Watch {walks} walk the graph of {what} "
            f"({len(g.tensors)} tensors, {len(g.ops)} ops)")


def _log(root: Tensor, g: GraphNodes, layout: _Layout, forward_log: _ForwardLog | None,
         notes: list[str]) -> dict[str, Any]:
    """The nodes, the edges and the forward events, with the values the page shows."""
    numbers = 0

    def value(a: Any) -> dict[str, Any]:
        nonlocal numbers
        v = _numbers(a, exact=False)
        numbers += len(v["v"])
        return v

    ran: list[tuple[Function, np.ndarray]]
    if forward_log is not None:
        ops = {id(fn) for fn in g.ops}
        ran = [(fn, data) for fn, data in forward_log.ran if id(fn) in ops]
        source = "recorded"
    else:  # the forward has run already: replay it in graph order, inputs first
        ran = [(fn, g.output[id(fn)].data) for fn in g.ops]
        source = "graph"
        notes.append("explore was given the tensor, after its forward pass had run, so the "
                     "forward steps follow the graph (inputs first); give it a function that "
                     "builds the tensor to see the ops in the order they ran")
    computed = {id(g.output[id(fn)]) for fn, _ in ran}
    uses = consumer_counts(root)
    nodes: dict[str, dict[str, Any]] = {}
    for t in g.tensors:
        tid = g.tensor_id(t)
        meta: dict[str, Any] = {
            "kind": "tensor", "role": g.role(t), "name": t.name or "",
            "shape": [int(n) for n in t.shape], "dtype": str(t.dtype),
            "grad": bool(t.requires_grad), "uses": uses.get(t, 0), "at": layout.node_at[tid]}
        if id(t) not in computed:  # a leaf, or made before the recorded function ran
            meta["v"] = value(t.data)
        nodes[tid] = meta
    for fn in g.ops:
        fid = g.op_id(fn)
        math_text, partials = _formula(fn)
        nodes[fid] = {
            "kind": "op", "name": fn.name, "math": math_text, "partials": partials,
            "inputs": [g.tensor_id(p) for p in fn.parents],
            "output": g.tensor_id(g.output[id(fn)]), "at": layout.node_at[fid],
            "edges": [layout.edge_at[(fid, k)] for k in range(len(fn.parents))],
            "out_edge": layout.edge_at[(fid, -1)]}
    forward = [{"k": "forward", "op": g.op_id(fn), "v": value(data)} for fn, data in ran]
    return {"version": 1, "root": g.tensor_id(root), "nodes": nodes, "forward": forward,
            "forward_source": source, "rankdir": layout.rankdir, "numbers": numbers}


def _record_mode(mode: str, root: Tensor, g: GraphNodes, gradient: Any, *, max_events: int,
                 budget: int) -> dict[str, Any]:
    """Run one mode's backward on the retained graph under an observer; its events, or a
    note saying why it was left out."""
    need = (sum(consumer_counts(root).values()) if mode == "backprop"
            else estimate_partials(root, mode))
    entry: dict[str, Any] = {"mode": mode, "events": [], "partials": 0, "numbers": 0}
    label = "naive mode" if mode == "naive" else mode
    if need > max_events:
        entry["refused"] = (f"{label} would evaluate {need:,} local partials, more than "
                            f"max_events={max_events:,}: it is left out of this page "
                            "(a smaller graph, or a larger max_events, shows it)")
        entry["partials"] = need
        return entry
    for t in g.tensors:
        t.grad = None
    # where both modes write .grad (leaves and retained tensors), in naive mode's order
    order, _ = _graph(root)
    targets = _targets(order, root)
    rec = _WalkLog(mode, g, targets, budget)
    seed = _seed(root, gradient)
    rec.seed(root, seed)
    options: dict[str, Any] = {} if mode == "backprop" else {"max_partials": max(need, 1)}
    with observe(rec):
        root.backward(gradient, retain_graph=True, mode=mode, **options)
    rec.finish()
    if rec.numbers > budget:
        entry["refused"] = (f"{label} evaluated {rec.partials:,} local partials, too many "
                            f"numbers for one page with the rest: it is left out (use fewer "
                            "points or units)")
        entry["partials"] = rec.partials
        return entry
    _check_sums(rec.events, mode, g, targets)
    entry.update(events=rec.events, partials=rec.partials, numbers=rec.numbers)
    return entry


def _seed(root: Tensor, gradient: Any) -> np.ndarray:
    """What backward() starts from (autograd.seed_gradient checks it when it runs)."""
    if gradient is None:
        return np.ones(root.shape, dtype=root.dtype)
    return np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=root.dtype)


# --------------------------------------------------------------------------- the page

def _asset(name: str) -> str:
    return (resources.files("micrograd.viz") / "explore_page" / name).read_text("utf-8")


def _svg_body(svg: str) -> tuple[str, float, float]:
    """The <svg> element of dot's output without its XML prologue, its size removed (the
    page scales it), and that natural size in CSS pixels."""
    svg = svg[svg.index("<svg"):]
    m = re.match(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    width, height = (float(m.group(1)), float(m.group(2))) if m else (800.0, 600.0)
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', "<svg", svg)
    return svg, width * 4 / 3, height * 4 / 3


def _page(log: dict[str, Any], svg: str) -> str:
    """The page: template, style sheet, SVG, log and script, all inline."""
    body, width, height = _svg_body(svg)
    log["size"] = [round(width), round(height)]
    # "<" only ever occurs inside JSON strings, where \u003c means the same: no "</script>"
    data = json.dumps(log, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    parts = {"title": html.escape(log["title"]), "css": _asset("explore.css"),
             "svg": body, "log": data, "js": _asset("explore.js")}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("page.html"))
