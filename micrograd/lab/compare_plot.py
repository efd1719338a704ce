"""The figure of `micrograd compare --plot`: partials per mode against depth, and the ratios.

Where the point is a slope, the axes make it a straight line: a family whose naive cost is
polynomial in depth (chain, mlp) is drawn on log-log axes, where a power L^k is a line of
slope k (the legend gives each mode's measured slope); an exponential one (ladder,
scalar-mlp) on a log y axis against a linear depth, where c^L is a line (the legend gives
the factor per level).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArgumentError
from ..viz.plots import pyplot, save_figure
from .compare import FD, MODES
from .families import FAMILIES

__all__ = ["plot_compare", "growth_label"]

_STYLE = {"backprop": dict(color="#1f77b4", marker="o"),
          "naive": dict(color="#d62728", marker="s"),
          "forward": dict(color="#2ca02c", marker="^"),
          FD: dict(color="#9467bd", marker="D")}
# Several groups of rows in one figure (two forms, or two families): the first solid, the
# second dashed and lighter.
_GROUP_STYLE = [dict(ls="-", alpha=0.85), dict(ls="--", alpha=0.6), dict(ls="-.", alpha=0.6)]


def _groups(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The rows by form (compare --form both), or by family when they are of several
    (a scalar-mlp beside an mlp, say); the key names the group in the legend."""
    models = {r["model"] for r in rows}
    forms = {r.get("form", "unfused") for r in rows}
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        form = r.get("form", "unfused")
        key = form if len(models) == 1 else (r["model"] if len(forms) == 1
                                             else f"{r['model']}, {form}")
        groups.setdefault(key, []).append(r)
    return groups


def growth_label(points: list[tuple[float, float]], scale: str) -> str:
    """How fast the counts grow over the last half of the points: "slope 2.0" on log-log
    axes (the exponent k of L^k), "×2.5 per level" on semilog ones; "" with too few."""
    tail = [(d, v) for d, v in points[len(points) // 2:] if v > 0]
    if len(tail) < 2:
        return ""
    (d0, v0), (d1, v1) = tail[0], tail[-1]
    if scale == "loglog":
        if d0 <= 0 or d1 == d0:
            return ""
        return f"slope {np.log(v1 / v0) / np.log(d1 / d0):.1f}"
    return f"×{(v1 / v0) ** (1 / (d1 - d0)):.2f} per level"


def _scale(rows: list[dict[str, Any]], scale: str) -> str:
    if scale not in ("auto", "loglog", "semilog"):
        raise ArgumentError(f"plot_compare: scale must be 'auto', 'loglog' or 'semilog', "
                            f"got {scale!r}")
    if scale != "auto":
        return scale
    family = FAMILIES.get(rows[0]["model"])
    return "semilog" if family is not None and family.growth == "exponential" else "loglog"


def plot_compare(rows: list[dict[str, Any]], path: Any, title: str | None = None,
                 scale: str = "auto") -> Path:
    """Write a figure to `path`: partials per mode against depth (and finite differences'
    forward ops, when the rows have them), with the closed forms drawn over the
    measurements as black dotted lines and a skipped mode's estimate as hollow markers;
    then one panel per slow mode with its partials divided by backprop's. Rows of both
    forms (compare --form both) share the panels: unfused solid, fused dashed.

    scale: "loglog" (a power of the depth is a straight line), "semilog" (an exponential
    is) or "auto": semilog for the families whose naive cost is exponential."""
    if not rows:
        raise ArgumentError("plot_compare: no rows to plot")
    scale = _scale(rows, scale)
    plt = pyplot()
    modes = [m for m in MODES if m in rows[0]]
    fd = FD in rows[0]
    others = [m for m in modes if m != "backprop"]
    forms = _groups(rows)
    both = len(forms) > 1
    style = {key: _GROUP_STYLE[k % len(_GROUP_STYLE)] for k, key in enumerate(forms)}
    depths = [r["depth"] for r in rows]
    fig, axes = plt.subplots(1, 1 + len(others), figsize=(5.2 + 3.6 * len(others), 4.4),
                             constrained_layout=True,
                             gridspec_kw={"width_ratios": [1.45] + [1] * len(others)})
    axes = list(axes) if len(others) else [axes]
    ax1 = axes[0]
    for form, frows in forms.items():
        fs = style[form]
        tag = f" ({form})" if both else ""
        for m in modes:
            st = _STYLE[m]
            ran = [(r["depth"], r[m]["partials"]) for r in frows if not r[m]["skipped"]]
            if ran:
                # on semilog axes only the exponential one has a rate worth reading
                rate = growth_label(ran, scale) if scale == "loglog" or m == "naive" else ""
                ax1.plot(*zip(*ran, strict=True), label=m + tag + (f" ({rate})" if rate else ""),
                         lw=2.5, ms=5, **fs, **st)
            skipped = [(r["depth"], r[m]["need"]) for r in frows if r[m]["skipped"]]
            if skipped:
                ax1.plot(*zip(*skipped, strict=True), ls="none", mfc="none", ms=7,
                         color=st["color"], marker=st["marker"],
                         label=f"{m}{tag}: skipped, estimate")
        if fd:
            ran = [(r["depth"], r[FD]["ops"]) for r in frows if not r[FD]["skipped"]]
            if ran:
                rate = growth_label(ran, scale) if scale == "loglog" else ""
                ax1.plot(*zip(*ran, strict=True), lw=1.8, ms=4, **fs, **_STYLE[FD],
                         label=f"finite differences: forward ops{tag}"
                               + (f" ({rate})" if rate else ""))
        for m in modes:
            ax1.plot([r["depth"] for r in frows], [r["closed_form"][m] for r in frows], ls=":",
                     lw=1.2, color="black", zorder=5,
                     label="closed form" if m == "backprop" and form == next(iter(forms)) else None)
    ax1.set_yscale("log")
    ax1.set_xlabel("depth" + (" (log scale)" if scale == "loglog" else ""))
    ax1.set_ylabel("local partials evaluated (count_ops)")
    ax1.set_title("work for one gradient")
    ax1.grid(True, which="major", alpha=0.4)
    ax1.grid(True, which="minor", alpha=0.12)
    ax1.legend(fontsize=8)

    for ax, m in zip(axes[1:], others, strict=True):
        values: list[float] = []
        for form, frows in forms.items():
            pts = [(r["depth"], r[f"{m}/backprop"]) for r in frows
                   if r[f"{m}/backprop"] is not None]
            if not pts:
                continue
            ax.plot(*zip(*pts, strict=True), lw=2, ms=5, label=form if both else None,
                    **style[form], **_STYLE[m])
            d, v = pts[-1]
            # above the last point and to its left: the lines rise or stay flat toward it,
            # so that corner is clear of the line (beside the point, it covered a flat one)
            ax.annotate(f"×{v:,.1f}" if v < 100 else f"×{v:,.0f}", (d, v),
                        textcoords="offset points", xytext=(-2, 7), ha="right", va="bottom",
                        fontsize=9, color=_STYLE[m]["color"])
            values += [v for _, v in pts]
        if values:
            if scale == "semilog" or max(values) / max(min(values), 1e-300) > 200:
                ax.set_yscale("log")
                # the line at 1 (backprop) in view, and room for the label above the last point
                ax.set_ylim(min(0.7, min(values) / 1.5), 3 * max(values))
            else:
                ax.set_ylim(0, 1.2 * max(values))  # room for the label above the last point
        if both:
            ax.legend(fontsize=8, loc="lower right")
        ax.axhline(1, color=_STYLE["backprop"]["color"], lw=1, ls="--")
        ax.annotate("backprop = 1", (0.02, 1), xycoords=("axes fraction", "data"),
                    textcoords="offset points", xytext=(0, 3), fontsize=8,
                    color=_STYLE["backprop"]["color"])
        ax.set_xlabel("depth")
        ax.set_ylabel(f"{m} partials / backprop partials")
        ax.set_title(f"{m} ÷ backprop")
        ax.grid(True, alpha=0.4)
    for ax in axes[1:]:
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(min(depths) - 0.5, max(depths) + 0.5)
    if scale == "loglog":
        from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

        ax1.set_xscale("log")
        ticks = [d for d in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
                 if min(depths) <= d <= max(depths)]
        ax1.xaxis.set_major_locator(FixedLocator(ticks))
        ax1.xaxis.set_major_formatter(ScalarFormatter())
        ax1.xaxis.set_minor_formatter(NullFormatter())
        ax1.set_xlim(min(depths) / 1.12, max(depths) * 1.12)
    else:
        ax1.xaxis.get_major_locator().set_params(integer=True)
        ax1.set_xlim(min(depths) - 0.5, max(depths) + 0.5)
    first = rows[0]
    default_title = f"{first['model']}: {first['description']}"
    if both:
        names = list(forms)
        default_title = (f"{first['model']}, unfused (solid) and fused (dashed)"
                         if names == ["unfused", "fused"]
                         else f"{names[0]} (solid) and {names[1]} (dashed)")
    fig.suptitle(title or default_title, fontsize=10)
    return save_figure(fig, path)
