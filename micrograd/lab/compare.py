"""Backprop, naive mode, forward mode and finite differences on the same loss, counted: the
rows of `micrograd compare`.

For each depth of a family (families.py), the same loss is differentiated three ways
under `count_ops()`; a row records how many local partials (and flops) each way really
evaluated, how long it took, whether the gradients agree with backprop, and the closed
forms (closed_forms.py) next to the measurements. A fourth way needs no graph at all:
central finite differences, (f(θ + ε) − f(θ − ε)) / 2ε for each scalar parameter, two
evaluations of the loss each; its row counts those evaluations and the forward ops and
flops they ran.

    rows = run_compare("chain", range(1, 17))           # report.format_table(rows) prints them
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..engine import no_grad
from ..errors import ArgumentError, BudgetError
from ..gradients.counting import count_ops
from ..gradients.modes import DEFAULT_MAX_PARTIALS
from .closed_forms import closed_form
from .families import FAMILIES, Model, build_model

__all__ = ["MODES", "FD", "RTOL", "ATOL", "FD_EPS", "FD_RTOL", "run_compare", "agreement",
           "finite_differences"]

MODES = ("backprop", "naive", "forward")

# Gradients "agree" when |g - g_backprop| <= RTOL·|g_backprop| + ATOL·s entrywise, where s
# is the largest |entry| of that parameter's backprop gradient: the atol only matters for
# entries that are near 0 by cancellation, where summing paths in another order leaves
# rounding noise of the size of the other entries, not of the tiny result.
RTOL = 1e-12
ATOL = 1e-13

FD = "fd"  # the row key of finite differences, which is not a backward() mode
# Central differences in float64 with ε = 1e-6: the truncation error is ~ε² times the third
# derivative and the rounding error ~1e-16·|f|/ε, both far under 1e-6 of the largest
# gradient entry at the sizes compare measures.
FD_EPS = 1e-6
FD_RTOL = 1e-6


def agreement(grads: list[np.ndarray | None], ref: list[np.ndarray | None],
              rtol: float = RTOL, atol: float = ATOL) -> tuple[bool, float]:
    """(every entry within |g - r| <= rtol·|r| + atol·max|r|, the largest normwise relative
    error max|g - r| / max|r|)."""
    ok, worst = True, 0.0
    for g, r in zip(grads, ref, strict=True):
        if g is None or r is None:
            ok = ok and g is None and r is None
            continue
        scale = float(np.max(np.abs(r), initial=0.0))
        err = np.abs(g - r)
        ok = ok and bool(np.all(err <= rtol * np.abs(r) + atol * scale))
        e = float(np.max(err, initial=0.0))
        worst = max(worst, e / scale if scale else (0.0 if e == 0 else float("inf")))
    return ok, worst


Grads = list[np.ndarray | None]


def _fd_agreement(grads: Grads, ref: Grads) -> tuple[bool, float]:
    """(max|g - r| <= FD_RTOL·max|r|, max|g - r| / max|r|), both over every entry of every
    parameter: the error of a difference quotient is absolute, about the same for every
    entry, so a tiny gradient entry is measured against the largest, not against itself."""
    pairs = [(g, r) for g, r in zip(grads, ref, strict=True) if r is not None]
    scale = max((float(np.max(np.abs(r), initial=0.0)) for _, r in pairs), default=0.0)
    err = max((float(np.max(np.abs(np.asarray(g) - r), initial=0.0)) for g, r in pairs),
              default=0.0)
    worst = err / scale if scale else (0.0 if err == 0 else float("inf"))
    return worst <= FD_RTOL, worst


def _run_mode(m: Model, mode: str, max_partials: int) -> tuple[dict[str, Any], Grads | None]:
    """Record a fresh graph and differentiate it in `mode` under count_ops()."""
    m.zero_grad()
    root = m.loss()
    try:
        with count_ops() as c:
            t0 = time.perf_counter()
            if mode == "backprop":  # the reference: no budget, one partial per edge
                root.backward()
            else:
                root.backward(mode=mode, max_partials=max_partials)
            seconds = time.perf_counter() - t0
    except BudgetError as e:  # raised before any partial is evaluated
        return {"skipped": True, "need": e.need}, None
    grads: Grads = [None if p.grad is None else p.grad.copy() for p in m.params]
    return {"skipped": False, "partials": c.partials, "flops": c.flops,
            "seconds": seconds}, grads


def finite_differences(m: Model, eps: float = FD_EPS) -> tuple[Grads, int]:
    """(∂loss/∂θ for every parameter by central differences, the loss evaluations made):
    two evaluations per scalar parameter, each nudging one entry by ±eps, through the
    tensor (under no_grad) so that its version counter sees it; every value is put back."""
    grads: Grads = []
    evals = 0
    with no_grad():
        for p in m.params:
            original = np.array(p.data, copy=True)
            g = np.zeros(p.shape, dtype=np.float64)
            try:
                for j in np.ndindex(*p.shape):
                    p[j] = original[j] + eps
                    up = m.loss().item()
                    p[j] = original[j] - eps
                    down = m.loss().item()
                    p[j] = original[j]
                    g[j] = (up - down) / (2 * eps)
                    evals += 2
            finally:
                p.copy_(original)
            grads.append(g)
    return grads, evals


def _run_fd(m: Model, forward_ops: int, max_partials: int) -> tuple[dict[str, Any], Grads | None]:
    """Finite differences under count_ops(); skipped, before any work, when its forward ops
    (two loss evaluations per scalar parameter) would exceed max_partials."""
    need = 2 * m.num_parameters * forward_ops
    if need > max_partials:
        return {"skipped": True, "need": need, "evals": 2 * m.num_parameters}, None
    with count_ops() as c:
        t0 = time.perf_counter()
        grads, evals = finite_differences(m)
        seconds = time.perf_counter() - t0
    return {"skipped": False, "evals": evals, "ops": c.forward, "flops": c.forward_flops,
            "seconds": seconds}, grads


def run_compare(model: str = "chain", depths: Iterable[int] | None = None,
                width: int | None = None, batch: int | None = None, seed: int = 0,
                max_partials: int = DEFAULT_MAX_PARTIALS, modes: Sequence[str] = MODES,
                fused: bool = False, fd: bool = True) -> list[dict[str, Any]]:
    """Differentiate each depth's member of family `model` in every mode; one dict per depth.

    `depths` None: the family's default depths (FAMILIES[model].default_depths), or one
    row for a family without a depth (lab). Each row: model, form
    ("unfused" or "fused"), depth, width, params (scalar parameter count), description,
    forward_ops and forward_flops (of one forward pass), closed_form (partials per mode),
    one entry per mode — {"skipped": False, "partials", "flops", "seconds"} or
    {"skipped": True, "need"} when the mode would exceed max_partials — then
    "naive/backprop" and "forward/backprop" (ratios of partials, None if skipped),
    "flops naive/backprop" and "flops forward/backprop", "agree" {mode: bool} (every entry
    within |g - g_backprop| <= 1e-12·|g_backprop| + 1e-13·max|g_backprop|) and
    "max_rel_err" {mode: max|g - g_backprop| / max|g_backprop|, the worst over the parameters}.

    With fd (the default), also "fd": central finite differences, {"skipped": False,
    "evals" (loss evaluations, 2 per scalar parameter), "ops" and "flops" (the forward ops
    they ran), "seconds", "agree" (max|g - g_backprop| <= 1e-6·max|g_backprop| over all the
    entries), "max_rel_err" (that ratio)} or
    {"skipped": True, "need" (forward ops), "evals"}; "fd/backprop", fd's flops over those
    of one forward pass and one backprop; and "backprop/forward flops", backprop's flops
    over one forward pass's: the constant of the cheap-gradient principle.
    """
    if "backprop" not in modes:
        raise ArgumentError("run_compare: the modes must include 'backprop', the reference")
    for mode in modes:
        if mode not in MODES:
            raise ArgumentError(f"run_compare: unknown mode {mode!r}; choose from {list(MODES)}")
    if (isinstance(max_partials, bool) or not isinstance(max_partials, (int, np.integer))
            or max_partials < 1):
        raise ArgumentError(f"run_compare: max_partials must be a whole number >= 1, "
                            f"got {max_partials!r}")
    if model in FAMILIES and not FAMILIES[model].takes("depth"):
        if depths is not None:
            raise ArgumentError(f"run_compare: {model} has no depth to vary; pass depths=None")
        depth_list: list[int | None] = [None]
    else:
        default = FAMILIES[model].default_depths if model in FAMILIES else range(1, 17)
        depth_list = list(default if depths is None else depths)
    # Build every member before running any: a bad option fails before the work.
    members = [build_model(model, depth, width, batch=batch, seed=seed, fused=fused)
               for depth in depth_list]
    return [_row(m, modes, max_partials, fd) for m in members]


def _row(m: Model, modes: Sequence[str], max_partials: int, fd: bool = True) -> dict[str, Any]:
    with count_ops() as fc:
        m.loss()
    row: dict[str, Any] = {
        "model": m.family, "form": m.form, "depth": m.depth, "width": m.width,
        "params": m.num_parameters, "description": m.description,
        "forward_ops": fc.forward, "forward_flops": fc.forward_flops,
        "closed_form": closed_form(m.family, m.depth, m.width, fused=m.fused),
    }
    results: dict[str, dict[str, Any]] = {}
    grads: dict[str, Grads | None] = {}
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
        ran, ref = grads[mode], grads["backprop"]
        assert ran is not None and ref is not None  # neither was skipped
        row["agree"][mode], row["max_rel_err"][mode] = agreement(ran, ref)
    whole = fc.forward_flops + bp["flops"]  # one gradient by backprop: forward, then backward
    row["backprop/forward flops"] = bp["flops"] / fc.forward_flops if fc.forward_flops else None
    if fd:
        r, fd_grads = _run_fd(m, fc.forward, max_partials)
        row[FD] = r
        row["fd/backprop"] = None
        if not r["skipped"]:
            assert fd_grads is not None and grads["backprop"] is not None
            r["agree"], r["max_rel_err"] = _fd_agreement(fd_grads, grads["backprop"])
            row["fd/backprop"] = r["flops"] / whole if whole else None
    return row
