"""draw(): the graph that produced a tensor, the graph backprop walks, as a Graphviz graph.

    g = micrograd.draw(loss)              # a graphviz.Digraph; shows inline in Jupyter
    micrograd.viz.render(g, "loss.svg")   # .svg, .png or .pdf through Graphviz's `dot`

One node per tensor (a box) and one per op (an ellipse), edges in the direction the
data flows: tensor → op → tensor. Parameters (leaves that require grad), inputs and
constants (leaves that do not) and the output each look different; docs/graphs.md
has the legend, and `legend=True` draws it into the picture.

This file puts the picture together; the other files of viz/ hold its parts: walk.py
(the tensors and ops), labels.py (their text and the legend), overlay.py (naive-count
colours), modules.py (layers as boxes or frames), dot.py (the DOT text), style.py (the
look) and rendering.py (Graphviz's `dot`, files, Jupyter).

Node ids are predictable: tensors are `t0, t1, …` and ops `f0, f1, …`, numbered
inputs-first (topological order); collapsed modules are `m0, m1, …`, the summary
node is `more`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import Function, Tensor
from ..errors import DrawError
from .dot import Html, Picture, html_escape
from .labels import legend_rows, tensor_label
from .modules import draw_boxes, draw_clusters, find_modules
from .overlay import Overlay
from .rendering import as_graph
from .style import AUTO_LR_MAX, FONT, STYLE
from .walk import walk

__all__ = ["draw", "DrawOptions"]

_RANKDIRS = ("LR", "TB", "RL", "BT", "auto")
_COLLAPSE = {False: None, None: None, "none": None, True: "box", "box": "box",
             "cluster": "cluster"}


@dataclass(frozen=True)
class DrawOptions:
    """draw()'s options, checked (see draw for their meaning); collapse is None, "box"
    or "cluster"."""
    rankdir: str = "LR"
    show_values: bool = False
    show_grads: bool = False
    direction: str = "forward"
    collapse: str | None = None
    max_nodes: int | None = None
    legend: bool = False
    title: str | None = None

    def __post_init__(self) -> None:
        if self.rankdir not in _RANKDIRS:
            raise DrawError(f"draw: rankdir must be 'LR', 'TB' or 'auto', got {self.rankdir!r}")
        if self.direction not in ("forward", "backward"):
            raise DrawError("draw: direction must be 'forward' or 'backward', "
                            f"got {self.direction!r}")
        if self.collapse not in (None, "box", "cluster"):
            raise DrawError("draw: collapse must be None, 'box' or 'cluster', "
                            f"got {self.collapse!r}")
        if self.max_nodes is not None and (not isinstance(self.max_nodes, int)
                                           or self.max_nodes < 2):
            raise DrawError("draw: max_nodes must be an integer of at least 2, "
                            f"got {self.max_nodes!r}")


def draw(tensor: Tensor, *, rankdir: str = "LR", show_values: bool = False,
         show_grads: bool = False, direction: str = "forward",
         collapse_modules: bool | str = False, max_nodes: int | None = None,
         naive_counts: Any = None, backprop_counts: Any = None, legend: bool = False,
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
    naive_counts      an OpCounts (or a mapping Function -> int) from
                      `with count_ops() as c: loss.backward(mode="naive", retain_graph=True)`:
                      each op is coloured by naive ÷ backprop evaluations of its partials,
                      both numbers in its label.
    backprop_counts   the OpCounts of a backprop run, for backprop's number; without it
                      backprop's count is the op's number of inputs that require grad (one
                      local partial per graph edge, which is what backprop evaluates).
    legend            draw the legend into the picture.
    title             a caption; by default one that says what the picture shows.
    """
    if not isinstance(tensor, Tensor):
        raise DrawError(f"draw: expected a Tensor, got {type(tensor).__name__}")
    try:
        collapse = _COLLAPSE[collapse_modules]
    except (KeyError, TypeError):  # TypeError: an unhashable value
        raise DrawError("draw: collapse_modules must be False, True, 'box' or 'cluster', "
                        f"got {collapse_modules!r}") from None
    opts = DrawOptions(rankdir=rankdir, show_values=show_values, show_grads=show_grads,
                       direction=direction, collapse=collapse, max_nodes=max_nodes,
                       legend=legend, title=title)
    overlay = Overlay.from_arguments(naive_counts, backprop_counts)
    return as_graph(_dot_body(tensor, opts, overlay))


def _dot_body(root: Tensor, opts: DrawOptions, overlay: Overlay | None) -> list[str]:
    """The DOT statements of root's graph drawn with `opts` (and the overlay, if any)."""
    g = walk(root)
    pic = Picture()
    for t in g.tensors:
        role = g.role(t)
        label = tensor_label(t, role, show_values=opts.show_values, show_grads=opts.show_grads,
                             gradient_starts=(opts.direction == "backward" and t is root
                                              and t.requires_grad and t.numel() == 1))
        pic.nodes[g.tensor_id(t)] = dict(STYLE[role], label=label)
    for fn in g.ops:
        attrs = dict(STYLE["op"], label=fn.name)
        if overlay is not None:
            n_naive, n_bp = overlay.counts([fn])
            attrs["label"] = f"{fn.name}\nnaive ×{n_naive}\nbackprop ×{n_bp}"
            overlay.colour(attrs, n_naive, n_bp)
        pic.nodes[g.op_id(fn)] = attrs
    # one edge per parent link (x * x has two from x), and one from each op to its output
    for t in g.tensors:
        op = t.grad_fn
        if op is not None:
            for p in op.parents:
                kind = "grad" if p.requires_grad else "nograd"
                pic.edges.append((g.tensor_id(p), g.op_id(op), kind))
            pic.edges.append((g.op_id(op), g.tensor_id(t), "grad"))

    n_modules = 0
    if opts.collapse is not None and g.ops:
        mods = find_modules(g)
        n_modules = len(mods.prefixes)
        if opts.collapse == "cluster":
            draw_clusters(pic, g, mods)
        else:
            draw_boxes(pic, g, mods, overlay)
    n_dropped = 0
    if opts.max_nodes is not None:
        n_dropped = pic.summarise_beyond(g.tensor_id(root), opts.max_nodes)

    title = opts.title
    if title is None:
        size = f"{len(g.tensors)} tensors, {len(g.ops)} ops"
        if n_modules:
            size += f", {n_modules} module{'s' if n_modules > 1 else ''} "
            size += "grouped" if opts.collapse == "cluster" else "collapsed"
        if n_dropped:
            size += f"; the {n_dropped} nodes furthest from the output are summarised"
        title = _title(root, opts.direction, overlay, g.ops) + f" — {size}"
    rankdir = opts.rankdir
    if rankdir == "auto":  # a long chain reads better down the page than across it
        rankdir = "LR" if pic.longest_path() <= AUTO_LR_MAX else "TB"
    graph_attrs: dict[str, Any] = dict(rankdir=rankdir, bgcolor="white", fontname=FONT,
                                       fontsize="12", labelloc="t", label=title,
                                       nodesep="0.2", ranksep="0.3")
    if opts.legend:  # title and legend together, as a caption under the picture
        graph_attrs["labelloc"] = "b"
        rows = legend_rows(opts.direction, overlay=overlay is not None,
                           modules=n_modules > 0 and opts.collapse == "box")
        graph_attrs["label"] = Html(
            '<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">'
            f"<TR><TD><B>{html_escape(title)}</B></TD></TR>{rows}</TABLE>")
    return pic.dot_source(opts.direction, graph_attrs)


def _title(root: Tensor, direction: str, overlay: Overlay | None,
           ops: Sequence[Function]) -> str:
    """The default caption: what the picture shows (without its size)."""
    if overlay is not None:
        n_naive, n_bp = overlay.counts(ops)
        return f"naive mode evaluated {n_naive} local partials, backprop {n_bp} (one per edge)"
    what = root.name or "the output"
    if direction == "forward":
        return f"forward: the data flows from the inputs to {what}"
    return f"backward: the gradient flows from {what} back to the leaves"
