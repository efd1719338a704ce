"""The text on the picture: value summaries, shape text, tensor labels and the legend."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import ReleasedTensor
from ..engine import Tensor
from .dot import html_escape
from .style import ROLE_TEXT, SCALE_COLOURS, SCALE_DARK, SCALE_LABELS, STYLE

__all__ = ["summarize", "shape_text", "tensor_label", "legend_rows"]

FREED = "data freed by backward()"


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
    with np.errstate(all="ignore"):  # inf and nan summarise as such, without warnings
        return f"mean {_fmt(a.mean().item())}, std {_fmt(a.std().item())}"


def shape_text(t: Tensor) -> str:
    """`(8, 10) float64`, or `scalar float64`."""
    shape = "scalar" if t.ndim == 0 else str(tuple(int(n) for n in t.shape))
    return f"{shape} {t.dtype}"


def tensor_label(t: Tensor, role: str, *, show_values: bool, show_grads: bool,
                 gradient_starts: bool) -> str:
    """Name (or role), shape and dtype; then, as asked, a summary of the data and of .grad,
    and "gradient starts here: 1" on the output of a backward view."""
    lines = []
    first = t.name or {"output": "output", "param": "parameter", "input": "input"}.get(role)
    if role == "input" and t.ndim == 0 and not show_values:
        # a lifted Python number: its value says more than any name
        first = f"{t.name or 'constant'} = {summarize(t.data)}"
    if first:
        lines.append(first)
    lines.append(shape_text(t))
    if show_values:
        # backward() frees large intermediates; their stand-ins keep shapes, not values
        lines.append(FREED if isinstance(t, ReleasedTensor) else "data " + summarize(t.data))
    if show_grads and t.grad is not None:
        lines.append("grad " + summarize(t.grad))
    if gradient_starts:
        lines.append("gradient starts here: 1")
    return "\n".join(lines)


def legend_rows(direction: str, *, overlay: bool, modules: bool) -> str:
    """The legend as rows of an HTML-like table, laid flat so it fits under a wide graph:
    the node roles, the arrows of this direction, and the overlay's scale when drawn."""
    def cell(role: str, name: str, meaning: str) -> str:
        st = STYLE[role]
        return (f'<TD BGCOLOR="{st["fillcolor"]}" COLOR="{st["color"]}">{html_escape(name)}'
                f'<BR/><FONT POINT-SIZE="9">{html_escape(meaning)}</FONT></TD>')

    def row(cells: Iterable[str]) -> str:
        return ('<TR><TD BORDER="0"><TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" '
                'CELLPADDING="3"><TR>' + "".join(cells) + "</TR></TABLE></TD></TR>")

    # with the overlay, op colours mean the scale, so the plain op cell would mislead
    roles = ["param", "input", "tensor", "output"] + ([] if overlay else ["op"])
    if modules:
        roles.append("module")
    rows = [row(['<TD BORDER="0"><B>legend</B></TD>'] + [cell(r, *ROLE_TEXT[r]) for r in roles])]
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
                 f'{html_escape(text)}</FONT></TD>'
                 for k, (c, text) in enumerate(zip(SCALE_COLOURS, SCALE_LABELS, strict=True))]
        rows.append(row(['<TD BORDER="0">op colour: local partials evaluated by naive mode '
                         '÷ by backprop</TD>'] + scale))
    return "".join(rows)
