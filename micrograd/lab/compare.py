"""`micrograd compare`: backprop, naive mode and forward mode side by side, counted.

For each depth of a model family, the same loss is differentiated three ways under
`count_ops()`, and the table shows how many local partials (and flops) each way
really evaluated, how long it took, and whether the gradients agree with backprop.

Models (all float64, built directly from Tensors so that every op is visible):
  chain   depth L: h ← tanh(h @ W_l + b_l) for l = 1..L, W_l of shape (width, width),
          from a constant input x of shape (batch, width); loss = mean(h²).
  mlp     the lab's MLP 2-10-2 with tanh, with `depth` hidden layers of `width` units
          (depth 1 is 2-10-2), softmax cross-entropy on a few labelled 2-D points.
  ladder  depth L rungs of x ← (x + x) / 2 from a leaf x of shape (width,); loss = Σ x.
          Every rung doubles the number of paths from the loss down to x.

Python use (for example from `micrograd demo`):
    rows = run_compare("chain", range(1, 17))
    print(format_table(rows)); plot_compare(rows, "chain.png")
The closed forms of the partial counts are derived in docs/complexity.md and
returned by `closed_form`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..engine import Tensor
from ..errors import BudgetError
from ..grad.counting import count_ops
from ..grad.modes import DEFAULT_MAX_PARTIALS
from ..viz.plots import pyplot, save_figure

__all__ = ["MODELS", "MODES", "Model", "build_model", "closed_form", "run_compare",
           "format_table", "plot_compare", "parse_depths", "add_compare_parser", "cmd_compare"]

MODES = ("backprop", "naive", "forward")
MODELS = ("chain", "mlp", "ladder")
DEFAULT_WIDTH = {"chain": 4, "mlp": 10, "ladder": 4}

# Gradients "agree" when |g - g_backprop| <= RTOL·|g_backprop| + ATOL·s entrywise, where s
# is the largest |entry| of that parameter's backprop gradient: the atol only matters for
# entries that are near 0 by cancellation, where summing paths in another order leaves
# rounding noise of the size of the other entries, not of the tiny result.
RTOL = 1e-12
ATOL = 1e-13


# --------------------------------------------------------------------------- models

@dataclass
class Model:
    """A model family member: parameters, and `loss()` that builds a fresh graph each call."""
    name: str
    depth: int
    width: int
    params: list[Tensor]
    loss: Callable[[], Tensor]
    description: str  # the family, with L (or D) standing for the depth

    @property
    def num_parameters(self) -> int:
        return sum(p.size for p in self.params)


def _chain(depth: int, width: int, batch: int, rng: np.random.Generator) -> Model:
    x = Tensor(rng.standard_normal((batch, width)))
    params = []
    for l in range(1, depth + 1):
        params.append(Tensor(rng.standard_normal((width, width)) / np.sqrt(width),
                             requires_grad=True, name=f"W{l}"))
        params.append(Tensor(0.1 * rng.standard_normal(width), requires_grad=True, name=f"b{l}"))

    def loss() -> Tensor:
        h = x
        for W, b in zip(params[::2], params[1::2]):
            h = (h @ W + b).tanh()
        return (h ** 2).mean()

    return Model("chain", depth, width, params, loss,
                 f"L × [h @ W + b, tanh] of width {width} on a batch of {batch}, "
                 f"loss = mean(h**2)")


def _mlp(depth: int, width: int, batch: int, rng: np.random.Generator) -> Model:
    x_np = rng.uniform(-1, 1, (batch, 2))
    labels = (x_np[:, 0] * x_np[:, 1] > 0).astype(int)  # XOR-like quadrants, as in the lab
    x = Tensor(x_np)
    rows = np.arange(batch)
    sizes = [2] + [width] * depth + [2]
    params = []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        bound = 1 / np.sqrt(n_in)
        name = "y" if l == len(sizes) - 1 else str(l)
        params.append(Tensor(rng.uniform(-bound, bound, (n_in, n_out)),
                             requires_grad=True, name=f"W{name}"))
        params.append(Tensor(rng.uniform(-bound, bound, n_out), requires_grad=True,
                             name=f"b{name}"))

    def loss() -> Tensor:
        h = x
        pairs = list(zip(params[::2], params[1::2]))
        for W, b in pairs[:-1]:
            h = (h @ W + b).tanh()
        W, b = pairs[-1]
        logits = h @ W + b
        # softmax cross-entropy = mean over points of -log softmax(logits)[label]
        return -logits.log_softmax(axis=1)[rows, labels].mean()

    return Model("mlp", depth, width, params, loss,
                 f"MLP 2-{width}-...-{width}-2 (D hidden layers of {width}) with tanh, "
                 f"softmax cross-entropy on {batch} points")


def _ladder(depth: int, width: int, batch: int, rng: np.random.Generator) -> Model:
    x0 = Tensor(rng.standard_normal(width), requires_grad=True, name="x")

    def loss() -> Tensor:
        x = x0
        for _ in range(depth):
            x = (x + x) / 2
        return x.sum()

    return Model("ladder", depth, width, [x0], loss,
                 f"L rungs of x = (x + x) / 2 on x of shape ({width},), loss = sum(x)")


_BUILDERS = {"chain": _chain, "mlp": _mlp, "ladder": _ladder}


def build_model(model: str, depth: int, width: int | None = None, batch: int = 8,
                seed: int = 0) -> Model:
    """One member of a model family (see the module docstring)."""
    if model not in _BUILDERS:
        raise ValueError(f"compare: unknown model {model!r}; choose one of {list(MODELS)}")
    if depth < 1:
        raise ValueError(f"compare: depth must be at least 1, got {depth}")
    width = DEFAULT_WIDTH[model] if width is None else int(width)
    if width < 1 or batch < 1:
        raise ValueError(f"compare: width and batch must be positive, got {width} and {batch}")
    return _BUILDERS[model](int(depth), width, int(batch), np.random.default_rng(seed))


# --------------------------------------------------------------------------- closed forms

def closed_form(model: str, depth: int, width: int | None = None) -> dict[str, int]:
    """The exact number of local partials each mode evaluates (derived in docs/complexity.md).

    chain (L layers, width w):  backprop 5L + 1,   naive 3L² + 6L,
                                forward (w² + w)·3L(L-1)/2 + (5w² + 4w)·L
    mlp (D hidden layers of h): backprop 5D + 7,   naive 3D² + 14D + 11,
                                forward Σ over parameters of size × (edges above it)
    ladder (L rungs, width w):  backprop 3L + 1,   naive 3·2^L - 2,   forward w·(3L + 1)
    """
    L = int(depth)
    w = DEFAULT_WIDTH[model] if width is None else int(width)
    if model == "chain":
        return {"backprop": 5 * L + 1, "naive": 3 * L * L + 6 * L,
                "forward": (w * w + w) * 3 * L * (L - 1) // 2 + (5 * w * w + 4 * w) * L}
    if model == "mlp":
        # Edges from the loss down to each parameter: Wy 6, by 5; hidden layer l of D:
        # W_l 9 + 3(D - l), b_l 8 + 3(D - l).
        fwd = 6 * w * 2 + 5 * 2
        for l in range(1, L + 1):
            n_in = 2 if l == 1 else w
            fwd += n_in * w * (9 + 3 * (L - l)) + w * (8 + 3 * (L - l))
        return {"backprop": 5 * L + 7, "naive": 3 * L * L + 14 * L + 11, "forward": fwd}
    if model == "ladder":
        return {"backprop": 3 * L + 1, "naive": 3 * 2 ** L - 2, "forward": w * (3 * L + 1)}
    raise ValueError(f"closed_form: unknown model {model!r}")


# --------------------------------------------------------------------------- running

def _agreement(grads: list[np.ndarray | None], ref: list[np.ndarray | None]) -> tuple[bool, float]:
    """(every entry within tolerance, the largest normwise relative error max|g - r| / max|r|)."""
    ok, worst = True, 0.0
    for g, r in zip(grads, ref):
        if g is None or r is None:
            ok = ok and g is None and r is None
            continue
        scale = float(np.max(np.abs(r), initial=0.0))
        err = np.abs(g - r)
        ok = ok and bool(np.all(err <= RTOL * np.abs(r) + ATOL * scale))
        e = float(np.max(err, initial=0.0))
        worst = max(worst, e / scale if scale else (0.0 if e == 0 else float("inf")))
    return ok, worst


def _run_mode(m: Model, mode: str, max_partials: int) -> tuple[dict[str, Any], list | None]:
    """Build a fresh graph and differentiate it in `mode` under count_ops()."""
    for p in m.params:
        p.grad = None
    root = m.loss()
    options = {} if mode == "backprop" else {"max_partials": max_partials}
    try:
        with count_ops() as c:
            t0 = time.perf_counter()
            root.backward(mode=mode, **options)
            seconds = time.perf_counter() - t0
    except BudgetError as e:  # raised before any partial is evaluated
        return {"skipped": True, "need": e.need}, None
    grads = [None if p.grad is None else p.grad.copy() for p in m.params]
    return {"skipped": False, "partials": c.partials, "flops": c.flops,
            "seconds": seconds}, grads


def run_compare(model: str = "chain", depths: Iterable[int] = range(1, 17),
                width: int | None = None, batch: int = 8, seed: int = 0,
                max_partials: int = DEFAULT_MAX_PARTIALS,
                modes: Sequence[str] = MODES) -> list[dict[str, Any]]:
    """Differentiate each depth's model in every mode under count_ops(); one dict per depth.

    Each row: model, depth, width, params (scalar parameter count), forward_ops and
    forward_flops (of one forward pass), closed_form (partials per mode), one entry per
    mode — {"skipped": False, "partials", "flops", "seconds"} or {"skipped": True,
    "need"} when the mode would exceed max_partials — then "naive/backprop" and
    "forward/backprop" (ratios of partials, None if skipped), "flops naive/backprop"
    and "flops forward/backprop", "agree" {mode: bool} (every entry within
    |g - g_backprop| <= 1e-12·|g_backprop| + 1e-13·max|g_backprop|) and "max_rel_err"
    {mode: max|g - g_backprop| / max|g_backprop|, the worst over the parameters}.
    """
    if "backprop" not in modes:
        raise ValueError("run_compare: the modes must include 'backprop', the reference")
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"run_compare: unknown mode {mode!r}; choose from {list(MODES)}")
    rows = []
    for depth in depths:
        m = build_model(model, depth, width, batch=batch, seed=seed)
        with count_ops() as fc:
            m.loss()
        row: dict[str, Any] = {
            "model": model, "depth": int(depth), "width": m.width, "params": m.num_parameters,
            "description": m.description, "forward_ops": fc.forward,
            "forward_flops": fc.forward_flops,
            "closed_form": closed_form(model, depth, m.width),
        }
        results, grads = {}, {}
        for mode in modes:
            results[mode], grads[mode] = _run_mode(m, mode, max_partials)
            row[mode] = results[mode]
        bp = results["backprop"]
        row["agree"], row["max_rel_err"] = {}, {}
        for mode in modes:
            if mode == "backprop":
                continue
            r = results[mode]
            if r["skipped"]:
                row[f"{mode}/backprop"] = row[f"flops {mode}/backprop"] = None
                row["agree"][mode] = row["max_rel_err"][mode] = None
                continue
            row[f"{mode}/backprop"] = r["partials"] / bp["partials"]
            row[f"flops {mode}/backprop"] = r["flops"] / bp["flops"] if bp["flops"] else None
            row["agree"][mode], row["max_rel_err"][mode] = _agreement(grads[mode], grads["backprop"])
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- output

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
    short = {"backprop": "backprop", "naive": "naive", "forward": "forward"}
    def group(label: str, n: int) -> list[str]:
        return ([label] + [""] * (n - 1)) if n else []
    head1 = ["", ""] + group("partials", len(modes)) + group("ratio", len(others)) \
        + group("flops", len(modes)) + group("time (ms)", len(modes)) + ["grads"]
    head2 = ["depth", "params"] + [short[m] for m in modes] + [f"{m}/bp" for m in others] \
        + [short[m] for m in modes] + [short[m] for m in modes] + ["agree"]
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


def _summary(rows: list[dict[str, Any]]) -> str:
    """One sentence on how the naive/backprop ratio grows: by a step (linear) or a factor."""
    pts = [(r["depth"], r["naive/backprop"]) for r in rows if r.get("naive/backprop")]
    if len(pts) < 3:
        return ""
    (d0, r0), (d1, r1) = pts[0], pts[-1]
    tail = pts[len(pts) // 2:]  # the trend, after the small-depth start-up terms
    steps = [(b - a) / (e - d) for (d, a), (e, b) in zip(tail, tail[1:])]
    factors = [(b / a) ** (1 / (e - d)) for (d, a), (e, b) in zip(tail, tail[1:])]
    spread = lambda xs: (max(xs) - min(xs)) / abs(np.mean(xs))  # noqa: E731
    if spread(steps) <= spread(factors) - 1e-12 or max(factors) < 1.05:
        trend = f"it grows linearly, by about {np.mean(steps):.2f} per level"
    else:
        trend = f"it grows geometrically, about x{np.mean(factors):.2f} per level"
    return (f"naive/backprop went from {r0:,.2f} at depth {d0} to {r1:,.2f} at depth {d1}: "
            f"{trend}.")


_STYLE = {"backprop": dict(color="#1f77b4", marker="o"),
          "naive": dict(color="#d62728", marker="s"),
          "forward": dict(color="#2ca02c", marker="^")}


def plot_compare(rows: list[dict[str, Any]], path: Any, title: str | None = None) -> Path:
    """Write a figure to `path`: partials per mode against depth (log y; the closed forms
    drawn over the measurements as black dotted lines; a skipped mode's estimate as hollow
    markers), then one panel per slow mode with its partials divided by backprop's."""
    plt = pyplot()
    if not rows:
        raise ValueError("plot_compare: no rows to plot")
    modes = [m for m in MODES if m in rows[0]]
    others = [m for m in modes if m != "backprop"]
    depths = [r["depth"] for r in rows]
    fig, axes = plt.subplots(1, 1 + len(others), figsize=(5.2 + 3.6 * len(others), 4.4),
                             constrained_layout=True,
                             gridspec_kw={"width_ratios": [1.45] + [1] * len(others)})
    ax1 = axes[0]
    for m in modes:
        st = _STYLE[m]
        ran = [(r["depth"], r[m]["partials"]) for r in rows if not r[m]["skipped"]]
        if ran:
            ax1.plot(*zip(*ran), label=m, lw=2.5, ms=5, alpha=0.85, **st)
        skipped = [(r["depth"], r[m]["need"]) for r in rows if r[m]["skipped"]]
        if skipped:
            ax1.plot(*zip(*skipped), ls="none", mfc="none", ms=7, color=st["color"],
                     marker=st["marker"], label=f"{m}: skipped, estimate")
    for m in modes:
        ax1.plot(depths, [r["closed_form"][m] for r in rows], ls=":", lw=1.2, color="black",
                 zorder=5, label="closed form" if m == "backprop" else None)
    ax1.set_yscale("log")
    ax1.set_xlabel("depth")
    ax1.set_ylabel("local partials evaluated (count_ops)")
    ax1.set_title("work for one gradient")
    ax1.grid(True, which="major", alpha=0.4)
    ax1.grid(True, which="minor", alpha=0.12)
    ax1.legend(fontsize=8)

    for ax, m in zip(axes[1:], others):
        pts = [(r["depth"], r[f"{m}/backprop"]) for r in rows if r[f"{m}/backprop"] is not None]
        if pts:
            ax.plot(*zip(*pts), lw=2, ms=5, **_STYLE[m])
            d, v = pts[-1]
            ax.annotate(f"×{v:,.1f}" if v < 100 else f"×{v:,.0f}", (d, v),
                        textcoords="offset points", xytext=(-9, 0), ha="right", va="center",
                        fontsize=9, color=_STYLE[m]["color"])
            values = [v for _, v in pts]
            if max(values) / max(min(values), 1e-300) > 200:
                ax.set_yscale("log")
            else:
                ax.set_ylim(0, 1.12 * max(values))
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
    fig.suptitle(title or f"{rows[0]['model']}: {rows[0]['description']}", fontsize=10)
    return save_figure(fig, path)


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


# --------------------------------------------------------------------------- command line

def parse_depths(text: str) -> list[int]:
    """'8' → [8];  '1:16' → 1..16 inclusive;  '2:16:2' → 2, 4, …, 16;  '1,2,4,8' → that list."""
    try:
        if "," in text:
            depths = [int(t) for t in text.split(",") if t.strip()]
        elif ":" in text:
            parts = [int(t) for t in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            step = parts[2] if len(parts) == 3 else 1
            if step < 1:
                raise ValueError
            depths = list(range(parts[0], parts[1] + 1, step))
        else:
            depths = [int(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"depth must be N, A:B, A:B:STEP or a list A,B,C, got {text!r}") from None
    if not depths or min(depths) < 1:
        raise argparse.ArgumentTypeError(f"depths must be at least 1, got {text!r}")
    return depths


def add_compare_parser(sub: Any) -> argparse.ArgumentParser:
    """Register `micrograd compare` on a subparsers object."""
    p = sub.add_parser(
        "compare", help="count the work of backprop, naive and forward mode against depth",
        description="Differentiate a model family at each depth with backprop, naive mode "
                    "and forward mode under count_ops(), and print partials, flops, their "
                    "ratios, wall time and whether the gradients agree.")
    p.add_argument("--model", choices=MODELS, default="chain",
                   help="chain: Linear+tanh layers; mlp: the lab's 2-10-2 MLP with DEPTH "
                        "hidden layers; ladder: x = (x + x) / 2 repeated (default chain)")
    p.add_argument("--depth", type=parse_depths, default=parse_depths("1:16"),
                   help="N, A:B (inclusive), A:B:STEP or A,B,C (default 1:16)")
    p.add_argument("--width", type=int, default=None,
                   help="layer width (chain 4, mlp 10, ladder 4 by default)")
    p.add_argument("--batch", type=int, default=8, help="input rows (chain, mlp; default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-partials", type=int, default=DEFAULT_MAX_PARTIALS,
                   help=f"skip a mode that would evaluate more partials (default "
                        f"{DEFAULT_MAX_PARTIALS:,})")
    p.add_argument("--plot", metavar="FILE", help="write the curves (PNG, needs matplotlib)")
    p.add_argument("--json", metavar="FILE", help="write the numbers as JSON")
    p.set_defaults(run=cmd_compare)
    return p


def cmd_compare(args: argparse.Namespace) -> int:
    if args.plot:
        try:
            pyplot()  # fail before the work, not after
        except ImportError as e:
            print(f"micrograd compare: {e}", file=sys.stderr)
            return 1
    try:
        rows = run_compare(args.model, args.depth, args.width, batch=args.batch,
                           seed=args.seed, max_partials=args.max_partials)
    except ValueError as e:
        print(f"micrograd compare: {e}", file=sys.stderr)
        return 2
    print(f"model {args.model}: {rows[0]['description']}")
    print("partials = local partials evaluated (VJPs for backprop and naive, JVPs for "
          "forward),\nflops = multiply-adds in them, as counted by count_ops(); "
          "time = one backward() call.\n")
    print(format_table(rows))
    summary = _summary(rows)
    if summary:
        print("\n" + summary)
    print(f"closed forms (docs/complexity.md): {_CLOSED_FORM_TEXT[args.model]}")
    if args.json:
        with open(args.json, "w") as f:
            f.write(to_json(rows))
        print(f"wrote {args.json}")
    if args.plot:
        plot_compare(rows, args.plot)
        print(f"wrote {args.plot}")
    disagree = any(v is False for r in rows for v in r["agree"].values())
    return 1 if disagree else 0


_CLOSED_FORM_TEXT = {
    "chain": "backprop 5L+1, naive 3L²+6L, forward (w²+w)·3L(L-1)/2 + (5w²+4w)·L",
    "mlp": "backprop 5D+7, naive 3D²+14D+11, forward Σ size(θ)·(edges above θ)",
    "ladder": "backprop 3L+1, naive 3·2^L-2, forward w·(3L+1)",
}
