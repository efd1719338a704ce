"""Count the work really done: forward ops, local partials and their flops.

`count_ops()` observes the engine's dispatch points (`Function.apply`,
`Function.call_backward`, `Function.call_jvp`) through `engine.observe`, so every number comes
from the computation as it runs, never from a formula. A counter sees only its
own thread's ops inside its own block; blocks nest, each counting exactly its block.
"""
from __future__ import annotations

import weakref
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Function, observe

__all__ = ["OpCounts", "count_ops"]


@dataclass
class OpStats:
    """Counts for one kind of op."""
    forward: int = 0
    partials: int = 0
    flops: int = 0
    forward_flops: int = 0


@dataclass
class OpCounts:
    """What ran inside a `count_ops()` block.

    forward        forward op evaluations
    partials       local partial evaluations (a VJP in backprop and naive mode, a JVP in
                   forward mode)
    flops          multiply-adds spent in those partials (2mnk for a matmul, n for elementwise)
    forward_flops  the same for the forward ops
    by_op          the same four numbers per op name
    per_node       how many times each graph node (a Function) had a partial evaluated
    """
    forward: int = 0
    partials: int = 0
    flops: int = 0
    forward_flops: int = 0
    by_op: dict[str, OpStats] = field(default_factory=lambda: defaultdict(OpStats))
    # Weak keys: counting 1,000 training steps must not keep 1,000 graphs alive.
    per_node: weakref.WeakKeyDictionary[Function, int] = field(
        default_factory=weakref.WeakKeyDictionary)

    # -- observer protocol (called by the engine) ---------------------------------
    def on_forward(self, fn: Function, parents: tuple, out: Any) -> None:
        n_in = max((p._data.size for p in parents), default=0)
        f = fn.flops(out._data.size, n_in)
        self.forward += 1
        self.forward_flops += f
        stats = self.by_op[fn.name]
        stats.forward += 1
        stats.forward_flops += f

    def on_partial(self, fn: Function, i: int, a: np.ndarray, b: np.ndarray, kind: str) -> None:
        # For a VJP, a is the upstream gradient (output-shaped) and b the result;
        # for a JVP, a is the input tangent and b the output-shaped result.
        out_size, in_size = (np.size(a), np.size(b)) if kind == "vjp" else (np.size(b), np.size(a))
        f = fn.flops(out_size, in_size, i)
        self.partials += 1
        self.flops += f
        stats = self.by_op[fn.name]
        stats.partials += 1
        stats.flops += f
        self.per_node[fn] = self.per_node.get(fn, 0) + 1

    # -- reading ----------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        return {
            "forward": self.forward, "partials": self.partials, "flops": self.flops,
            "forward_flops": self.forward_flops,
            "by_op": {k: vars(v).copy() for k, v in sorted(self.by_op.items())},
        }

    def table(self) -> str:
        """The per-op breakdown as aligned text."""
        rows = [("op", "forward", "partials", "flops")]
        for name, s in sorted(self.by_op.items()):
            rows.append((name, str(s.forward), str(s.partials), str(s.flops)))
        rows.append(("total", str(self.forward), str(self.partials), str(self.flops)))
        widths = [max(len(r[k]) for r in rows) for k in range(4)]
        return "\n".join("  ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in
                                   enumerate(zip(r, widths, strict=True))) for r in rows)

    def __repr__(self) -> str:
        return (f"OpCounts(forward={self.forward}, partials={self.partials}, "
                f"flops={self.flops}, forward_flops={self.forward_flops})")


@contextmanager
def count_ops() -> Iterator[OpCounts]:
    """Count every forward op and local partial run inside the block.

    >>> with count_ops() as c:
    ...     loss.backward()
    >>> c.partials
    """
    with observe(OpCounts()) as counts:
        yield counts
