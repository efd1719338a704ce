"""Every colour, shape and line style of the graph pictures, in one place, so the nodes
and the legend drawn beside them cannot disagree (docs/graphs.md shows the legend)."""
from __future__ import annotations

from typing import Any

FONT = "Helvetica,Arial,sans-serif"

# Node looks by role. A tensor's role: "param" (a leaf that requires grad), "input" (a leaf
# that does not: data or a lifted Python number), "tensor" (made by an op), "output".
STYLE: dict[str, dict[str, Any]] = {
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
# (name, meaning) of each role in the legend.
ROLE_TEXT = {
    "param": ("parameter", "leaf, requires grad"),
    "input": ("input / constant", "leaf, no grad (dashed)"),
    "tensor": ("intermediate", "made by an op"),
    "output": ("output", "double border"),
    "op": ("op", "ellipse: a Function"),
    "module": ("module", "one layer's ops, by parameter name"),
}

# Edge looks. Forward view: data flows. Backward view: gradient flows (red), or does not
# (grey dashed, into an input that needs no grad).
EDGE_FORWARD = dict(color="#444444")
EDGE_FORWARD_NO_GRAD = dict(color="#888888")
EDGE_GRAD = dict(color="#cc0000", penwidth="1.4")
EDGE_NO_GRAD = dict(color="#999999", style="dashed", arrowhead="none")
EDGE_MORE = dict(color="#999999", style="dashed")  # from the "… N more nodes" summary
EDGE_LABEL_COLOUR = "#555555"
CLUSTER = dict(style="rounded,dashed", color="#674ea7", fontcolor="#674ea7", labelloc="t")

# The naive-count overlay's scale: naive ÷ backprop evaluations of an op's local partials,
# in powers of two (ColorBrewer YlOrRd, light to dark). overlay.scale_bin picks the bin.
SCALE_COLOURS = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
SCALE_LABELS = ("×1", "≤×2", "≤×4", "≤×8", "≤×16", ">×16")
SCALE_DARK = 4  # bins from here on are dark enough to need white text
SCALE_BORDER = "#b45f06"
SCALE_BORDER_DARK = "#7f0000"
NOT_EVALUATED = "#ffffff"  # an op whose partials naive mode never evaluated

AUTO_LR_MAX = 13  # rankdir="auto": left to right up to this many nodes on the longest path
