"""The rows of `run_compare` as text: the table, the one-line trend, the whole report, JSON."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from .closed_forms import formula
from .compare import MODES

__all__ = ["format_table", "summary", "format_report", "to_json"]

FORM_NAMES = {"unfused": "unfused, every op written out",
              "fused": "fused, as micrograd.nn records it"}


def _fmt_int(r: dict[str, Any], key: str) -> str:
    return "skipped" if r["skipped"] else f"{r[key]:,}"


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None else (f"{x:.2f}" if x < 100 else f"{x:,.1f}")


def _fmt_ms(r: dict[str, Any]) -> str:
    return "-" if r["skipped"] else f"{1000 * r['seconds']:.1f}"


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned text table, with notes for skipped modes and disagreements."""
    if not rows:
        return "(no rows)"
    modes = [m for m in MODES if m in rows[0]]
    others = [m for m in modes if m != "backprop"]

    def group(label: str, n: int) -> list[str]:
        return ([label] + [""] * (n - 1)) if n else []
    head1 = ["", ""] + group("partials", len(modes)) + group("ratio", len(others)) \
        + group("flops", len(modes)) + group("time (ms)", len(modes)) + ["grads"]
    head2 = ["depth", "params"] + list(modes) + [f"{m}/bp" for m in others] \
        + list(modes) + list(modes) + ["agree"]
    table = [head1, head2]
    notes = []
    for row in rows:
        cells = [str(row["depth"]), f"{row['params']:,}"]
        cells += [_fmt_int(row[m], "partials") for m in modes]
        cells += [_fmt_ratio(row[f"{m}/backprop"]) for m in others]
        cells += [_fmt_int(row[m], "flops") for m in modes]
        cells += [_fmt_ms(row[m]) for m in modes]
        verdicts = [row["agree"][m] for m in others if row["agree"][m] is not None]
        cells.append("yes" if verdicts and all(verdicts) else ("NO" if verdicts else "-"))
        table.append(cells)
        for m in others:
            if row[m]["skipped"]:
                notes.append(f"depth {row['depth']}, {m}: skipped (would need "
                             f"{row[m]['need']:,} partials)")
            elif not row["agree"][m]:
                notes.append(f"depth {row['depth']}, {m}: gradients differ from backprop "
                             f"(max relative error {row['max_rel_err'][m]:.2e})")
    widths = [max(len(r[k]) for r in table) for k in range(len(head2))]
    # Column groups are separated by " | " so the two header lines read as groups.
    groups = [g for g in (2, len(modes), len(others), len(modes), len(modes), 1) if g]
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
             "time = one backward() call.",
             "", format_table(rows)]
    trend = summary(rows)
    if trend:
        lines += ["", trend]
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
