"""The figure of `micrograd compare --plot`: partials per mode against depth, and the ratios."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ArgumentError
from ..viz.plots import pyplot, save_figure
from .compare import MODES

__all__ = ["plot_compare"]

_STYLE = {"backprop": dict(color="#1f77b4", marker="o"),
          "naive": dict(color="#d62728", marker="s"),
          "forward": dict(color="#2ca02c", marker="^")}
# Two forms in one figure: the unfused one solid, the fused one dashed and lighter.
_FORM_STYLE = {"unfused": dict(ls="-", alpha=0.85), "fused": dict(ls="--", alpha=0.6)}


def _by_form(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    forms: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        forms.setdefault(r.get("form", "unfused"), []).append(r)
    return forms


def plot_compare(rows: list[dict[str, Any]], path: Any, title: str | None = None) -> Path:
    """Write a figure to `path`: partials per mode against depth (log y; the closed forms
    drawn over the measurements as black dotted lines; a skipped mode's estimate as hollow
    markers), then one panel per slow mode with its partials divided by backprop's. Rows of
    both forms (compare --form both) share the panels: unfused solid, fused dashed."""
    if not rows:
        raise ArgumentError("plot_compare: no rows to plot")
    plt = pyplot()
    modes = [m for m in MODES if m in rows[0]]
    others = [m for m in modes if m != "backprop"]
    forms = _by_form(rows)
    both = len(forms) > 1
    depths = [r["depth"] for r in rows]
    fig, axes = plt.subplots(1, 1 + len(others), figsize=(5.2 + 3.6 * len(others), 4.4),
                             constrained_layout=True,
                             gridspec_kw={"width_ratios": [1.45] + [1] * len(others)})
    axes = list(axes) if len(others) else [axes]
    ax1 = axes[0]
    for form, frows in forms.items():
        fs = _FORM_STYLE[form]
        tag = f" ({form})" if both else ""
        for m in modes:
            st = _STYLE[m]
            ran = [(r["depth"], r[m]["partials"]) for r in frows if not r[m]["skipped"]]
            if ran:
                ax1.plot(*zip(*ran, strict=True), label=m + tag, lw=2.5, ms=5, **fs, **st)
            skipped = [(r["depth"], r[m]["need"]) for r in frows if r[m]["skipped"]]
            if skipped:
                ax1.plot(*zip(*skipped, strict=True), ls="none", mfc="none", ms=7,
                         color=st["color"], marker=st["marker"],
                         label=f"{m}{tag}: skipped, estimate")
        for m in modes:
            ax1.plot([r["depth"] for r in frows], [r["closed_form"][m] for r in frows], ls=":",
                     lw=1.2, color="black", zorder=5,
                     label="closed form" if m == "backprop" and form == next(iter(forms)) else None)
    ax1.set_yscale("log")
    ax1.set_xlabel("depth")
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
                    **_FORM_STYLE[form], **_STYLE[m])
            d, v = pts[-1]
            ax.annotate(f"×{v:,.1f}" if v < 100 else f"×{v:,.0f}", (d, v),
                        textcoords="offset points", xytext=(-9, 0), ha="right", va="center",
                        fontsize=9, color=_STYLE[m]["color"])
            values += [v for _, v in pts]
        if values:
            if max(values) / max(min(values), 1e-300) > 200:
                ax.set_yscale("log")
            else:
                ax.set_ylim(0, 1.12 * max(values))
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
    for ax in axes:
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(min(depths) - 0.5, max(depths) + 0.5)
    first = rows[0]
    default_title = f"{first['model']}: {first['description']}"
    if both:
        default_title = f"{first['model']}, unfused (solid) and fused (dashed)"
    fig.suptitle(title or default_title, fontsize=10)
    return save_figure(fig, path)
