"""The rows of `run_compare` as text: the table, the one-line trend, the whole report, JSON."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from .closed_forms import formula
from .compare import FD, MODES

__all__ = ["format_table", "summary", "cheap_gradient", "format_report", "to_json"]

FORM_NAMES = {"unfused": "unfused, every op written out",
              "fused": "fused, as micrograd.nn records it"}


def _fmt_int(r: dict[str, Any], key: str) -> str:
    return "skipped" if r["skipped"] else f"{r[key]:,}"


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None else (f"{x:.2f}" if x < 100 else f"{x:,.1f}")


def _fmt_ms(r: dict[str, Any]) -> str:
    return "-" if r["skipped"] else f"{1000 * r['seconds']:.1f}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table, with notes for skipped modes and disagreements.
    Finite differences (when the rows have them) get a column of loss evaluations after
    the partials, a ratio, and a column in flops and in time."""
    if not rows:
        return "(no rows)"
    modes = [m for m in MODES if m in rows[0]]
    others = [m for m in modes if m != "backprop"]
    fd = [FD] if FD in rows[0] else []

    def group(label: str, n: int) -> list[str]:
        return ([label] + [""] * (n - 1)) if n else []
    head1 = ["", ""] + group("partials", len(modes)) + group("fd", len(fd)) \
        + group("ratio", len(others) + len(fd)) + group("flops", len(modes) + len(fd)) \
        + group("time (ms)", len(modes) + len(fd)) + ["grads"]
    head2 = ["depth", "params"] + list(modes) + ["evals"] * len(fd) \
        + [f"{m}/bp" for m in others + fd] + list(modes + fd) + list(modes + fd) + ["agree"]
    table = [head1, head2]
    notes = []
    for row in rows:
        cells = [str(row["depth"]), f"{row['params']:,}"]
        cells += [_fmt_int(row[m], "partials") for m in modes]
        cells += [_fmt_int(row[m], "evals") for m in fd]
        cells += [_fmt_ratio(row[f"{m}/backprop"]) for m in others + fd]
        cells += [_fmt_int(row[m], "flops") for m in modes + fd]
        cells += [_fmt_ms(row[m]) for m in modes + fd]
        verdicts = [row["agree"][m] for m in others if row["agree"][m] is not None]
        verdicts += [row[m]["agree"] for m in fd if not row[m]["skipped"]]
        cells.append("yes" if verdicts and all(verdicts) else ("NO" if verdicts else "-"))
        table.append(cells)
        for m in others:
            if row[m]["skipped"]:
                notes.append(f"depth {row['depth']}, {m}: skipped (would need "
                             f"{row[m]['need']:,} partials)")
            elif not row["agree"][m]:
                notes.append(f"depth {row['depth']}, {m}: gradients differ from backprop "
                             f"(max relative error {row['max_rel_err'][m]:.2e})")
        for m in fd:
            if row[m]["skipped"]:
                notes.append(f"depth {row['depth']}, fd: skipped ({row[m]['evals']:,} loss "
                             f"evaluations would run {row[m]['need']:,} forward ops)")
            elif not row[m]["agree"]:
                notes.append(f"depth {row['depth']}, fd: differs from backprop by more than "
                             f"a difference quotient's error (max|Δg| / max|g| = "
                             f"{row[m]['max_rel_err']:.2e})")
    widths = [max(len(r[k]) for r in table) for k in range(len(head2))]
    # Column groups are separated by " | " so the two header lines read as groups.
    groups = [g for g in (2, len(modes), len(fd), len(others) + len(fd), len(modes) + len(fd),
                          len(modes) + len(fd), 1) if g]
    lines = []
    for r in table:
        parts, k = [], 0
        for g in groups:
            parts.append("  ".join(r[k + j].rjust(widths[k + j]) for j in range(g)))
            k += g
        lines.append(" | ".join(parts).rstrip())
    return "\n".join(lines + notes)


def summary(rows: list[dict[str, Any]]) -> str:
    """One sentence on how the naive/backprop ratio grows: by a step (linear) or a factor."""
    pts = [(r["depth"], r["naive/backprop"]) for r in rows if r.get("naive/backprop")]
    if len(pts) < 3:
        return ""
    (d0, r0), (d1, r1) = pts[0], pts[-1]
    tail = pts[len(pts) // 2:]  # the trend, after the small-depth start-up terms
    steps = [(b - a) / (e - d) for (d, a), (e, b) in zip(tail, tail[1:], strict=False)]
    factors = [(b / a) ** (1 / (e - d)) for (d, a), (e, b) in zip(tail, tail[1:], strict=False)]

    def spread(xs: list[float]) -> float:
        return (max(xs) - min(xs)) / abs(float(np.mean(xs)))
    if spread(steps) <= spread(factors) - 1e-12 or max(factors) < 1.05:
        trend = f"it grows linearly, by about {np.mean(steps):.2f} per level"
    else:
        trend = f"it grows geometrically, about x{np.mean(factors):.2f} per level"
    return (f"naive/backprop went from {r0:,.2f} at depth {d0} to {r1:,.2f} at depth {d1}: "
            f"{trend}.")


def cheap_gradient(rows: list[dict[str, Any]]) -> str:
    """One sentence on the cheap-gradient constant: backprop's flops over a forward pass's."""
    ratios = [r["backprop/forward flops"] for r in rows if r.get("backprop/forward flops")]
    if not ratios:
        return ""
    low, high = min(ratios), max(ratios)
    span = f"{low:.2f}" if high - low < 0.005 else f"{low:.2f} to {high:.2f}"
    return (f"backprop's partials cost {span} times the flops of one forward pass "
            f"(the cheap-gradient constant; docs/complexity.md).")


def format_report(rows: list[dict[str, Any]]) -> str:
    """What `micrograd compare` prints for one family in one form: what was measured, the
    table, the trend and the closed forms."""
    if not rows:
        return "(no rows)"
    first = rows[0]
    lines = [f"model {first['model']} ({FORM_NAMES[first['form']]}): {first['description']}",
             "partials = local partials evaluated (VJPs for backprop and naive, JVPs for "
             "forward),",
             "flops = multiply-adds in them, as counted by count_ops(); "
             "time = one backward() call."]
    if FD in first:
        lines += ["fd = central finite differences: evals = loss evaluations (2 per scalar "
                  "parameter), flops and time",
                  "those of all their forward ops; fd/bp = fd's flops over one forward pass "
                  "plus backprop's."]
    lines += ["", format_table(rows)]
    trend = summary(rows)
    if trend:
        lines += ["", trend]
    cheap = cheap_gradient(rows)
    if cheap:
        lines.append(cheap)
    closed = formula(first["model"], first["form"] == "fused")
    lines.append(f"closed forms (docs/complexity.md): {closed}")
    return "\n".join(lines)


def _plain(x: Any) -> Any:
    """JSON-safe copy: non-finite floats (an infinite relative error) become strings."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, float) and not np.isfinite(x):
        return str(x)
    return x


def to_json(rows: list[dict[str, Any]]) -> str:
    """The rows as JSON: {"rows": [...]} (see run_compare for the keys)."""
    return json.dumps({"rows": _plain(rows)}, indent=1)
