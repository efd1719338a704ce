"""Modules in the picture: which ops belong to which layer (found from parameter names),
drawn as labelled frames (clusters) or collapsed into one box each.

Tensors do not know which module made them; docs/graphs.md, "Big graphs", gives the rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine import Function, Tensor
from .dot import Picture
from .labels import shape_text
from .overlay import Overlay
from .style import STYLE
from .walk import GraphNodes

__all__ = ["Modules", "find_modules", "draw_clusters", "draw_boxes"]


@dataclass
class Modules:
    """module_of: id(op) -> its module's prefix; prefixes: the modules in op order."""
    module_of: dict[int, str]
    prefixes: list[str]

    def of(self, fn: Function) -> str | None:
        return self.module_of.get(id(fn))


def module_prefix(t: Tensor) -> str | None:
    """`layers.0` for a parameter named `layers.0.weight`; None for tensors that are not
    parameters with a dotted name."""
    if t.is_leaf and t.requires_grad and t.name and "." in t.name:
        return t.name.rsplit(".", 1)[0]
    return None


def find_modules(g: GraphNodes) -> Modules:
    """Which module (parameter-name prefix) each op belongs to.

    Seeds: the ops that take parameters of exactly one module directly (a Linear layer's
    `linear`; written out, the `matmul` of its weight and the `add` of its bias). Then
    every op on a path between two seeds of the same module joins it.
    """
    order = {id(fn): k for k, fn in enumerate(g.ops)}
    seeds: dict[str, list[Function]] = {}
    for fn in g.ops:
        named = {module_prefix(p) for p in fn.parents} - {None}
        if len(named) == 1:
            seeds.setdefault(str(named.pop()), []).append(fn)
    module_of: dict[int, str] = {}
    for prefix, members in seeds.items():
        lo = min(order[id(f)] for f in members)
        hi = max(order[id(f)] for f in members)
        # ancestors of the seeds no earlier than the first seed (ops are in topological
        # order, so nothing earlier can lie between two seeds) ...
        up: set[int] = set()
        todo = list(members)
        while todo:
            for p in todo.pop().parents:
                q = p.grad_fn
                if q is not None and id(q) not in up and order[id(q)] >= lo:
                    up.add(id(q))
                    todo.append(q)
        # ... and descendants no later than the last: the ops between are in both
        down: set[int] = set()
        todo = list(members)
        while todo:
            for q in g.consumers.get(id(g.output[id(todo.pop())]), ()):
                if id(q) not in down and order[id(q)] <= hi:
                    down.add(id(q))
                    todo.append(q)
        for fn in members:
            module_of.setdefault(id(fn), prefix)
        for fid in up & down:
            module_of.setdefault(fid, prefix)
    prefixes = list(dict.fromkeys(module_of[id(fn)] for fn in g.ops if id(fn) in module_of))
    return Modules(module_of, prefixes)


def _own_params(g: GraphNodes, mods: Modules, prefix: str) -> list[Tensor]:
    """The module's parameters that only its own ops use (the rest stay outside it)."""
    return [t for t in g.tensors if t is not g.root and module_prefix(t) == prefix
            and all(mods.of(f) == prefix for f in g.consumers.get(id(t), ()))]


def draw_clusters(pic: Picture, g: GraphNodes, mods: Modules) -> None:
    """Put each module's ops, the tensors they make and its own parameters in a frame."""
    cid = {p: f"cluster_m{k}" for k, p in enumerate(mods.prefixes)}
    pic.clusters.update((cid[p], p) for p in mods.prefixes)
    for fn in g.ops:
        prefix = mods.of(fn)
        if prefix is not None:
            pic.cluster_of[g.op_id(fn)] = cid[prefix]
            out = g.output[id(fn)]
            if out is not g.root:
                pic.cluster_of[g.tensor_id(out)] = cid[prefix]
    for p in mods.prefixes:
        for t in _own_params(g, mods, p):
            pic.cluster_of[g.tensor_id(t)] = cid[p]


def draw_boxes(pic: Picture, g: GraphNodes, mods: Modules,
               overlay: Overlay | None) -> dict[str, str]:
    """Replace each module's ops, its own parameters and the tensors used only inside it
    by one box; tensors it hands to the rest of the graph stay visible. Then fold the
    unnamed tensors left between two nodes into edge labels. Returns node id -> its box."""
    box_of = {p: f"m{k}" for k, p in enumerate(mods.prefixes)}
    replace: dict[str, str] = {}  # node id -> the box that swallows it
    members: dict[str, list[Function]] = {p: [] for p in mods.prefixes}
    for fn in g.ops:
        prefix = mods.of(fn)
        if prefix is None:
            continue
        members[prefix].append(fn)
        replace[g.op_id(fn)] = box_of[prefix]
        out = g.output[id(fn)]
        users = g.consumers.get(id(out), ())
        if out is not g.root and users and all(mods.of(f) == prefix for f in users):
            replace[g.tensor_id(out)] = box_of[prefix]
    boxes: dict[str, dict[str, Any]] = {}
    for p in mods.prefixes:
        params = _own_params(g, mods, p)
        replace.update((g.tensor_id(t), box_of[p]) for t in params)
        boxes[box_of[p]] = _box(p, params, members[p], overlay)
    # each box takes the place of its first member; edges inside a box disappear
    nodes: dict[str, dict[str, Any]] = {}
    for n, a in pic.nodes.items():
        box = replace.get(n)
        if box is None:
            nodes[n] = a
        elif box not in nodes:
            nodes[box] = boxes[box]
    pic.nodes = nodes
    edges, seen = [], set()
    for s, d, kind in pic.edges:
        s, d = replace.get(s, s), replace.get(d, d)
        if s != d and (s, d) not in seen:
            seen.add((s, d))
            edges.append((s, d, kind))
    pic.edges = edges
    _fold_plain_tensors(pic, g)
    return replace


def _box(prefix: str, params: list[Tensor], ops: list[Function],
         overlay: Overlay | None) -> dict[str, Any]:
    """A module box: its prefix, ops, own parameters' shapes, and the overlay's sums."""
    cut = len(prefix) + 1
    lines = [prefix, "ops: " + ", ".join(f.name for f in ops)]
    if params:  # `weight (3, 2)`: the name within the module, and the shape without dtype
        lines.append(", ".join(f"{str(t.name)[cut:]} {shape_text(t).rsplit(' ', 1)[0]}"
                               for t in params))
    attrs = dict(STYLE["module"])
    if overlay is not None:
        n_naive, n_bp = overlay.counts(ops)
        lines.append(f"naive ×{n_naive}, backprop ×{n_bp}")
        overlay.colour(attrs, n_naive, n_bp)
    attrs["label"] = "\n".join(lines)
    return attrs


def _fold_plain_tensors(pic: Picture, g: GraphNodes) -> None:
    """An unnamed intermediate tensor between two nodes (one edge in, one out) becomes
    the label of a single edge: its shape. Halves the length of a deep MLP's picture."""
    n_in: dict[str, int] = {}
    n_out: dict[str, int] = {}
    for s, d, _ in pic.edges:
        n_out[s] = n_out.get(s, 0) + 1
        n_in[d] = n_in.get(d, 0) + 1
    fold = {}
    for t in g.tensors:
        n = g.tensor_id(t)
        if (not t.is_leaf and t is not g.root and not t.name and n in pic.nodes
                and n_in.get(n) == 1 and n_out.get(n) == 1):
            fold[n] = shape_text(t)
    if not fold:
        return
    into = {d: s for s, d, _ in pic.edges if d in fold}
    edges = []
    for s, d, kind in pic.edges:
        if d in fold:
            continue
        if s in fold:
            s, label = into[s], fold[s]
            pic.edge_labels[(s, d)] = label
        edges.append((s, d, kind))
    pic.edges = edges
    pic.nodes = {n: a for n, a in pic.nodes.items() if n not in fold}
