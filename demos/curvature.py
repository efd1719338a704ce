#!/usr/bin/env python
"""Curvature and the learning rate: the sharpness λ_max beside the largest rate that converges.

On a quadratic, full-batch gradient descent converges exactly for η < 2/λ_max, λ_max the
largest eigenvalue of the loss Hessian. This demo measures both sides on the lab's network
(2-10-2 tanh MLP, cross-entropy, two circles): λ_max by power iteration on Hessian-vector
products, at initialisation and along training, and the learning rate at which gradient
descent from the same start stops converging. The two-parameter toy L(u, v) = ½ (uv - 1)²
shows the same in a picture you can see whole. Writes curvature.png and curvature_toy.png.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a checkout, installed or not

from micrograd import Tensor, data, float64, functional, nn  # noqa: E402
from micrograd.cli.options import demo_options  # noqa: E402
from micrograd.lab import curvature as C  # noqa: E402
from micrograd.viz.plots import pyplot, save_figure  # noqa: E402


class Settings(NamedTuple):
    points: int                   # circles drawn; 60% of them are the training set
    steps: int                    # gradient-descent steps that decide "converges"
    track: int                    # steps of the runs whose λ_max is followed
    every: int                    # λ_max is measured every this many steps of those runs
    checkpoints: tuple[int, ...]  # steps of the slow run at which η_crit is measured again
    scan: int                     # the η grids: 2/λ₀ · 2^(k/scan), and η_crit's walk up


FULL = Settings(600, 500, 2000, 10, (0, 100, 200, 500, 1000, 2000), 4)
FAST = Settings(200, 150, 200, 20, (0, 100), 2)
TRACK = (0.6, 1.2, 2.4)  # the runs whose λ_max is followed, in units of 2/λ_max at init
SLOW = 0.3               # the run along which η_crit is measured again, in the same unit
ONSET = 20               # "the loss rises": within this many steps (the local test)
TOY_START, TOY_STEPS, TOY_RATES = (2.8, 0.2), 100, (0.9, 1.5, 2.05)


# --------------------------------------------------------------------------- the toy

def toy_sharpness(u: Tensor, v: Tensor) -> float:
    """λ_max of the toy's 2 × 2 Hessian, from micrograd.functional.hessian."""
    H = functional.hessian(lambda a, b: C.saddle_loss(a, b)(), (u, v))
    return float(np.linalg.eigvalsh([[h.item() for h in row] for row in H])[-1])


def toy_path(loss: C.LossFn, params: list[Tensor], lr: float) -> tuple[np.ndarray, ...]:
    """Gradient descent on the toy: the points (u, v), λ_max at each, the losses."""
    points, sharp = [], []

    def record(t: int) -> None:
        points.append([p.item() for p in params])
        sharp.append(toy_sharpness(*params))

    losses = C.gradient_descent(loss, params, lr, TOY_STEPS, every=1, on_step=record)
    return np.array(points), np.array(sharp), losses


def toy_study() -> dict:
    """GD paths on ½ (uv - 1)² from one sharp start, at rates on both sides of 2/λ_max."""
    u, v = (Tensor(x, dtype=float64, requires_grad=True) for x in TOY_START)
    loss, params = C.saddle_loss(u, v), [u, v]
    lam0 = toy_sharpness(u, v)
    start = C.snapshot(params)
    paths = {}
    for factor in TOY_RATES:
        paths[factor * 2 / lam0] = toy_path(loss, params, factor * 2 / lam0)
        C.restore(params, start)
    crit = C.critical_learning_rate(C.gd_check(loss, params, TOY_STEPS), 0.5 * 2 / lam0,
                                    rel_tol=1e-3)
    return {"lam0": lam0, "paths": paths, "crit": crit}


def draw_toy(toy: dict, path: Path) -> Path:
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    gu, gv = np.meshgrid(np.linspace(-3.2, 3.2, 400), np.linspace(-2.2, 2.2, 300))
    surface = 0.5 * (gu * gv - 1) ** 2
    ax1.contourf(gu, gv, np.log10(surface + 1e-3), levels=24, cmap="Greys", alpha=0.55)
    for branch in (1, -1):
        s = branch * np.linspace(1 / 2.2, 3.2, 200)
        ax1.plot(s, 1 / s, "k--", lw=1, label="minima uv = 1 (λ_max = u² + v²)" if branch > 0
                 else None)
    edge = 2 / toy["lam0"]
    for k, (lr, (points, sharp, losses)) in enumerate(toy["paths"].items()):
        color = f"C{k}"
        verdict = "converges" if C.converges(losses, TOY_STEPS) else "diverges"
        ax1.plot(*points.T, "-o", color=color, ms=2.5, lw=1,
                 label=f"η = {lr:.3f} = {lr / edge:.2f} × 2/λ₀: {verdict}")
        ax2.plot(np.arange(len(sharp)), sharp, color=color, lw=1.6, label=f"λ_max, η = {lr:.3f}")
        ax2.axhline(2 / lr, color=color, ls=":", lw=1.2)
    ax1.plot(*TOY_START, "k*", ms=14, label=f"start: λ₀ = {toy['lam0']:.2f}, 2/λ₀ = {edge:.3f}")
    ax1.set(xlim=(-3.2, 3.2), ylim=(-2.2, 2.2), xlabel="u", ylabel="v",
            title="L(u, v) = ½ (uv − 1)²: log L, and gradient-descent paths")
    ax1.legend(fontsize=7.5, loc="lower left")
    ax2.set(yscale="log", xlim=(0, 40), ylim=(0.3, 200), xlabel="step",
            ylabel="λ_max of the Hessian (dotted: 2/η)",
            title=f"the sharpness along each path\n(measured η_crit = {toy['crit'].lr:.3f} "
                  f"= {toy['crit'].lr / edge:.2f} × 2/λ₀)")
    ax2.grid(alpha=0.3, which="both")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


# --------------------------------------------------------------------------- the lab network

class Checkpoint(NamedTuple):
    step: int
    loss: float
    lam: float
    onset: C.Bracket  # the smallest η at which the loss rises within ONSET steps
    crit: C.Bracket   # the smallest η at which gradient descent does not converge


def network_study(s: Settings, seed: int) -> dict:
    """λ_max and the measured critical learning rate of the lab network, at init and later."""
    parts = data.split(*data.circles(s.points, noise=0.1, factor=0.5, seed=seed), seed=seed)
    X, y = parts.train
    model = nn.MLP([2, 10, 2], activation="tanh", dtype=float64, seed=seed)
    params = list(model.parameters())
    loss = C.circles_loss(model, X, y)
    start = C.snapshot(params)
    lam0 = C.sharpness(loss, params)
    edge = 2 / lam0

    scan = []  # every rate of a grid, run to the end: does it converge, and how sharp is it there?
    for lr in edge * 2.0 ** (np.arange(-2 * s.scan, 4 * s.scan + 1) / s.scan):
        losses = C.gradient_descent(loss, params, lr, s.steps)
        ok = C.converges(losses, s.steps)
        scan.append((lr, losses[-1], ok, C.sharpness(loss, params) if ok else np.nan))
        C.restore(params, start)

    checkpoints, done = [], 0  # η_crit from later points of one slow, stable run
    for step in s.checkpoints:
        C.gradient_descent(loss, params, SLOW * edge, step - done)
        done = step
        lam = C.sharpness(loss, params)
        onset, crit = (C.critical_learning_rate(C.gd_check(loss, params, steps, criterion),
                                                0.5 * 2 / lam, factor=2 ** (1 / s.scan))
                       for steps, criterion in ((ONSET, C.descends), (s.steps, C.converges)))
        checkpoints.append(Checkpoint(step, loss().item(), lam, onset, crit))
    C.restore(params, start)

    tracks = {}  # λ_max along training at a few rates
    for factor in TRACK:
        tracks[factor * edge] = C.sharpness_along(loss, params, factor * edge, s.track, s.every)
        C.restore(params, start)
    return {"n": len(X), "lam0": lam0, "scan": scan, "checkpoints": checkpoints,
            "tracks": tracks, "slow": SLOW * edge}


def draw_network(net: dict, s: Settings, path: Path) -> Path:
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    edge = 2 / net["lam0"]
    (ax1, ax2), (ax3, ax4) = axes
    for k, (lr, (at, sharp, losses)) in enumerate(net["tracks"].items()):
        color, label = f"C{k}", f"η = {lr:.2f} = {lr / edge:.1f} × 2/λ₀"
        ax1.plot(at, sharp, color=color, lw=1.6, label=label)
        ax1.axhline(2 / lr, color=color, ls=":", lw=1.2)
        ax2.plot(np.arange(len(losses)), losses, color=color, lw=1.2, label=label)
    ax1.set(yscale="log", xlabel="step", ylabel="λ_max (dotted: 2/η, the edge of stability)",
            title="the sharpness along full-batch gradient descent")
    ax2.set(yscale="log", xlabel="step", ylabel="training loss", title="the loss of those runs")
    ticks = [t for t in (0, 20, 40, 60, 80, 100, 500, 2000) if t <= s.track]
    for ax in (ax1, ax2):  # the first hundred steps, where the catapults happen, at full width
        ax.set_xscale("symlog", linthresh=100, linscale=2)
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set_xlim(0, s.track)

    lrs, _, ok, ends = (np.array(col) for col in zip(*net["scan"], strict=True))
    ok = ok.astype(bool)
    first = net["checkpoints"][0]
    grid = np.geomspace(lrs[0], lrs[-1], 100)
    ax3.plot(grid, 2 / grid, "k:", lw=1.2, label="2/η: the most a stable minimum can curve")
    ax3.axhline(net["lam0"], color="grey", lw=1, label=f"λ_max at init = {net['lam0']:.2f}")
    ax3.plot(lrs[ok], ends[ok], "o", color="C2", label=f"λ_max after {s.steps} steps: converged")
    ax3.plot(lrs[~ok], np.full((~ok).sum(), net["lam0"]), "x", color="C3", ms=8, mew=2,
             label="does not converge (drawn at λ₀)")
    ax3.axvline(edge, color="k", ls="--", lw=1, label=f"2/λ₀ = {edge:.2f}")
    ax3.axvline(first.onset.lr, color="C1", lw=1.2,
                label=f"measured: the loss rises within {ONSET} steps above {first.onset.lr:.2f}")
    ax3.axvline(first.crit.lr, color="C3", lw=1.2,
                label=f"measured η_crit = {first.crit.lr:.2f}")
    ax3.set(xscale="log", yscale="log", xlabel="learning rate η", ylabel="λ_max",
            title="from the initial weights: which rates converge, and where to?")

    steps = [c.step for c in net["checkpoints"]]
    ax4.plot(steps, [2 / c.lam for c in net["checkpoints"]], "o--", color="k",
             label="2/λ_max (the quadratic rule)")
    ax4.plot(steps, [c.onset.lr for c in net["checkpoints"]], "^-", color="C1",
             label=f"measured: the loss rises within {ONSET} steps")
    ax4.plot(steps, [c.crit.lr for c in net["checkpoints"]], "s-", color="C3",
             label="measured η_crit: no longer converges")
    ax4.set(yscale="log", xlabel=f"step of the slow run (η = {net['slow']:.2f})",
            ylabel="learning rate", title="along training: the rule against the measurements")
    ax4.set_xscale("symlog", linthresh=100)
    for ax in axes.ravel():
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7.5, loc="upper right" if ax is ax3 else "best")
    fig.suptitle(f"2-10-2 tanh MLP, cross-entropy, {net['n']} circles, full-batch gradient "
                 "descent: curvature and the learning rate")
    fig.tight_layout()
    return save_figure(fig, path)


# --------------------------------------------------------------------------- the report

def report(toy: dict, net: dict, s: Settings) -> None:
    edge = 2 / toy["lam0"]
    print(f"toy L(u, v) = ½ (uv - 1)² from (u, v) = {TOY_START}: λ_max = {toy['lam0']:.3f}, "
          f"2/λ_max = {edge:.4f}")
    for lr, (points, sharp, losses) in toy["paths"].items():
        end = (f"converges to (u, v) = ({points[-1, 0]:.2f}, {points[-1, 1]:.2f}), where "
               f"λ_max = {sharp[-1]:.2f} < 2/η = {2 / lr:.2f}"
               if C.converges(losses, TOY_STEPS) else f"diverges (loss {losses[-1]:.3g})")
        print(f"  η = {lr:.4f} ({lr / edge:.2f} × 2/λ_max): {end}")
    print(f"  gradient descent stops converging at η_crit = {toy['crit'].lr:.4f} "
          f"({toy['crit'].lr / edge:.2f} × 2/λ_max)")

    edge = 2 / net["lam0"]
    print(f"lab network 2-10-2 tanh, cross-entropy, {net['n']} circles, full-batch gradient "
          f"descent, 'converges' judged after {s.steps} steps")
    print(f"  at init: λ_max = {net['lam0']:.4f}, 2/λ_max = {edge:.3f}")
    print(f"  η scan from the initial weights: η, loss after {s.steps} steps, λ_max there")
    for lr, end, ok, lam in net["scan"]:
        print(f"    η = {lr:7.3f} ({lr / edge:5.2f} × 2/λ_max): "
              + (f"converges, loss {end:.4f}, λ_max {lam:.3f}, 2/η = {2 / lr:.3f}" if ok
                 else f"does not converge (loss {end:.3g})"))
    print(f"  at a few steps of a slow run (η = {net['slow']:.3f}): the smallest η at which the "
          f"loss rises within {ONSET} steps (onset) and at which gradient descent does not "
          "converge (η_crit), each bisected to 1% and given also in units of 2/λ_max:")
    print(f"  {'step':>6} {'loss':>8} {'λ_max':>8} {'2/λ_max':>8} {'onset':>8} {'':>6} "
          f"{'η_crit':>8} {'':>6}")
    for c in net["checkpoints"]:
        print(f"  {c.step:>6} {c.loss:>8.4f} {c.lam:>8.4f} {2 / c.lam:>8.3f} {c.onset.lr:>8.3f} "
              f"{c.onset.lr * c.lam / 2:>5.2f}× {c.crit.lr:>8.3f} {c.crit.lr * c.lam / 2:>5.2f}×")
    print("  λ_max along training at a fixed η (edge of stability: 2/η):")
    for lr, (at, sharp, losses) in net["tracks"].items():
        peak = int(np.argmax(sharp))
        print(f"    η = {lr:.3f} ({lr / edge:.1f} × 2/λ_max), 2/η = {2 / lr:.3f}: λ_max "
              f"{sharp[0]:.3f} → max {sharp[peak]:.3f} at step {at[peak]} → {sharp[-1]:.3f} "
              f"at step {at[-1]}; loss peak {losses.max():.3g}, end {losses[-1]:.4f}")


def main(argv: list[str] | None = None) -> int:
    args = demo_options(__doc__.split("\n\n")[0], argv)
    settings = FAST if args.fast else FULL
    toy, net = toy_study(), network_study(settings, args.seed)
    report(toy, net, settings)
    for path in (draw_network(net, settings, Path(args.out) / "curvature.png"),
                 draw_toy(toy, Path(args.out) / "curvature_toy.png")):
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
