"""The naive-count overlay: each op coloured by naive ÷ backprop evaluations of its local
partials, both numbers in its label (docs/graphs.md, "The naive-count overlay")."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..engine import Function
from ..errors import DrawError
from .style import (
    NOT_EVALUATED,
    SCALE_BORDER,
    SCALE_BORDER_DARK,
    SCALE_COLOURS,
    SCALE_DARK,
)

__all__ = ["Overlay", "scale_bin"]


def scale_bin(ratio: float) -> int:
    """Which colour of the scale a naive ÷ backprop ratio gets: ×1, ≤×2, ≤×4, … , >×16."""
    if ratio <= 1:
        return 0
    # 1e-12: a ratio of exactly 2**k belongs to the bin "≤×2**k", despite rounding in log2
    return min(len(SCALE_COLOURS) - 1, math.ceil(math.log2(ratio) - 1e-12))


def _per_node(counts: Any, keyword: str) -> Mapping[Function, int]:
    per_node = getattr(counts, "per_node", counts)
    if not isinstance(per_node, Mapping):
        raise DrawError(f"draw: {keyword}= must be an OpCounts from count_ops() or a mapping "
                        f"Function -> int, got {type(counts).__name__}")
    return per_node


@dataclass(frozen=True)
class Overlay:
    """Per-op counts of local-partial evaluations. Without measured backprop counts,
    backprop's number is the op's inputs that require grad: one partial per graph edge,
    which is what backprop evaluates."""
    naive: Mapping[Function, int]
    backprop: Mapping[Function, int] | None = None

    @classmethod
    def from_arguments(cls, naive_counts: Any, backprop_counts: Any) -> Overlay | None:
        """The overlay draw(naive_counts=, backprop_counts=) asks for; None without naive counts."""
        if naive_counts is None:
            if backprop_counts is not None:  # would be silently ignored otherwise
                raise DrawError("draw: backprop_counts= needs naive_counts= (the overlay "
                                "compares the two)")
            return None
        backprop = (None if backprop_counts is None
                    else _per_node(backprop_counts, "backprop_counts"))
        return cls(_per_node(naive_counts, "naive_counts"), backprop)

    def counts(self, ops: Iterable[Function]) -> tuple[int, int]:
        """(naive, backprop) evaluations summed over `ops`."""
        n_naive = n_bp = 0
        for fn in ops:
            n_naive += int(self.naive.get(fn, 0))
            if self.backprop is not None:
                n_bp += int(self.backprop.get(fn, 0))
            else:
                n_bp += len([p for p in fn.parents if p.requires_grad])
        return n_naive, n_bp

    @staticmethod
    def colour(attrs: dict[str, Any], n_naive: int, n_bp: int) -> None:
        """Fill, border and font of a node whose partials cost n_naive ÷ n_bp, in place."""
        if n_naive == 0:
            attrs["fillcolor"] = NOT_EVALUATED
            return
        k = scale_bin(n_naive / max(n_bp, 1))
        attrs["fillcolor"] = SCALE_COLOURS[k]
        attrs["color"] = SCALE_BORDER_DARK if k >= SCALE_DARK else SCALE_BORDER
        if k >= SCALE_DARK:
            attrs["fontcolor"] = "white"
