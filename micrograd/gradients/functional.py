"""Derivatives of a function at a point, as torch.autograd.functional: `micrograd.functional`.

Each function takes `func` and its `inputs` (a tensor, or a tuple of tensors passed to func
as separate arguments) and returns what PyTorch's returns, in the same structure:

  vjp(func, x, v)    vᵀJ          one reverse pass (micrograd.grad)
  jvp(func, x, v)    Jv           one forward-mode pass (modes.push_tangents)
  jacobian(func, x)  J            one reverse pass per output entry ("reverse-mode"), or
                                  one forward pass per input entry ("forward-mode")
  hessian(func, x)   H = ∇²f      n Hessian-vector products, one per input entry
  hvp(func, x, v)    Hv           forward over reverse: v pushed through the recorded
                                  gradient graph
  vhp(func, x, v)    vᵀH          reverse over reverse: the gradient of ⟨∇f, v⟩

J is ∂func(x)/∂x; the Hessians are of a func that returns one number. func runs once on
fresh leaves that share the inputs' data (with create_graph=True an input that requires
grad is passed through a recorded reshape instead, so the results stay differentiable
with respect to it). Results are detached unless create_graph=True. An input the outputs
do not depend on gets zeros, or an error with strict=True.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd import grad as _grad
from ..engine import Tensor, enable_grad
from ..errors import ArgumentError, DTypeError, MicrogradError, ShapeError
from ..ops import stack
from .modes import graph_jvp, inputs_first, push_tangents

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_STRATEGIES = ("reverse-mode", "forward-mode")
Grads = list[Tensor | None]


# ----------------------------------------------------------------- arguments


def _name(what: str, k: int, is_tuple: bool) -> str:
    return f"{what}[{k}]" if is_tuple else what


def _as_tuple(xs: Any, what: str, where: str) -> tuple[tuple[Tensor, ...], bool]:
    """A tensor or a tuple (or list) of them, as a tuple, and whether a tuple was given."""
    if isinstance(xs, Tensor):
        return (xs,), False
    if isinstance(xs, (tuple, list)) and xs:
        for k, x in enumerate(xs):
            if not isinstance(x, Tensor):
                raise ArgumentError(
                    f"{where}: {what}[{k}] is a {type(x).__name__}, not a Tensor; {what} must "
                    "be a Tensor or a tuple of Tensors: wrap numbers and arrays with "
                    "micrograd.tensor(...)")
        return tuple(xs), True
    raise ArgumentError(f"{where}: {what} must be a Tensor or a non-empty tuple of Tensors, got "
                        f"{xs!r:.60}; wrap numbers and arrays with micrograd.tensor(...)")


def _flags(where: str, **flags: Any) -> None:
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise ArgumentError(f"{where}: {name} must be True or False, got {value!r:.40}")


def _strategy(where: str, argument: str, strategy: Any, create_graph: bool) -> None:
    if strategy not in _STRATEGIES:
        raise ArgumentError(f"{where}: {argument} must be 'reverse-mode' or 'forward-mode', got "
                            f"{strategy!r:.40} (forward mode is cheaper when func has fewer "
                            "input entries than output entries)")
    if strategy == "forward-mode" and create_graph:
        raise ArgumentError(
            f"{where}: {argument}='forward-mode' pushes tangents as plain arrays, which are "
            "not recorded, so its result cannot be differentiated again; pass "
            f"{argument}='reverse-mode' with create_graph=True (as PyTorch, which refuses "
            "the pair too)")


def _prepare(xs: tuple[Tensor, ...], is_tuple: bool, create_graph: bool,
             where: str) -> tuple[Tensor, ...]:
    """New leaves on the inputs' data for func to run on; with create_graph=True an input
    that requires grad goes through a recorded reshape instead, so gradients reach it."""
    fresh = []
    for k, x in enumerate(xs):
        if x.dtype.kind != "f":
            raise DTypeError(
                f"{where}: {_name('inputs', k, is_tuple)} has dtype {x.dtype}, and only "
                "floating-point tensors have derivatives; convert it first, e.g. x.double()")
        if create_graph and x.requires_grad:
            with enable_grad():
                fresh.append(x.view(x.shape))
        else:
            fresh.append(x.detach().requires_grad_())
    return tuple(fresh)


def _run(func: Callable[..., Any], xs: tuple[Tensor, ...], strict: bool,
         where: str) -> tuple[tuple[Tensor, ...], bool]:
    """func(*xs), recorded, as a tuple of tensors, and whether func returned a tuple."""
    if not callable(func):
        raise ArgumentError(f"{where}: func must be a function of the inputs returning "
                            f"tensors, got {type(func).__name__}")
    with enable_grad():
        result = func(*xs)
    if isinstance(result, Tensor):
        outs, is_tuple = (result,), False
    elif (isinstance(result, (tuple, list)) and result
          and all(isinstance(r, Tensor) for r in result)):
        outs, is_tuple = tuple(result), True
    else:
        raise ArgumentError(f"{where}: func must return a Tensor or a tuple of Tensors, got "
                            f"{result!r:.60}; build its result with micrograd ops")
    if strict:
        for k, out in enumerate(outs):
            if not out.requires_grad:
                raise MicrogradError(
                    f"{where}: {_name('output', k, is_tuple)} of func does not depend on the "
                    "inputs through recorded ops (it does not require grad), which "
                    "strict=True refuses; compute it from the inputs with micrograd ops, "
                    "or pass strict=False to get zeros")
    return outs, is_tuple


def _scalar(func: Callable[..., Any], xs: tuple[Tensor, ...], strict: bool,
            where: str) -> Tensor:
    """func(*xs), which must be one tensor with one entry (the Hessians' functions)."""
    outs, is_tuple = _run(func, xs, strict, where)
    if is_tuple or outs[0].numel() != 1:
        got = "a tuple" if is_tuple else f"a tensor of shape {outs[0].shape}"
        raise ShapeError(f"{where}: func must return a single tensor with one entry (a "
                         f"scalar function has a Hessian), got {got}; reduce it, e.g. .sum()")
    return outs[0]


def _vectors(v: Any, refs: tuple[Tensor, ...], refs_tuple: bool, what: str,
             create_graph: bool, where: str) -> tuple[Tensor, ...]:
    """v as tensors of the shapes and dtypes of `refs` (the outputs for vjp, else the
    inputs); a tensor v keeps its graph only when create_graph=True."""
    if v is None:
        if len(refs) == 1 and refs[0].numel() == 1:
            return (Tensor(np.ones(refs[0].shape, dtype=refs[0].dtype)),)
        shapes = ", ".join(str(r.shape) for r in refs)
        raise ArgumentError(f"{where}: v may be left out only when {what} is a single tensor "
                            f"with one entry; pass v shaped like {what} ({shapes})")
    # A tuple holds one v per tensor; for a single tensor, a list of numbers is its values.
    many = isinstance(v, (tuple, list)) and (refs_tuple or all(isinstance(e, Tensor) for e in v))
    vs = tuple(v) if many else (v,)
    if len(vs) != len(refs):
        raise ShapeError(f"{where}: v holds {len(vs)} tensors but {what} has {len(refs)}; "
                         f"pass one v per tensor of {what}, in a tuple")
    out = []
    for k, (vk, ref) in enumerate(zip(vs, refs, strict=True)):
        if isinstance(vk, Tensor):
            t = vk if create_graph else vk.detach()
        else:
            try:
                t = Tensor(np.asarray(vk, dtype=ref.dtype))
            except (TypeError, ValueError):
                raise DTypeError(f"{where}: v{f'[{k}]' if len(vs) > 1 else ''} must be a "
                                 f"tensor of numbers, got {vk!r:.60}") from None
        if t.shape != ref.shape:
            raise ShapeError(f"{where}: {_name('v', k, refs_tuple)} has shape {t.shape} but "
                             f"{_name(what, k, refs_tuple)} has shape {ref.shape}; pass a v "
                             "of that shape")
        out.append(t if t.dtype == ref.dtype else t.to(ref.dtype))
    return tuple(out)


# ----------------------------------------------------------------- the passes


def _vjps(outs: Sequence[Tensor | None], xs: tuple[Tensor, ...], seeds: Sequence[Any],
          create_graph: bool) -> Grads:
    """Σ_k seeds[k] · ∂outs[k]/∂xs by reverse mode, None for an input no output reaches.
    Outputs that are None or need no grad are constants: they add nothing."""
    pairs = [(o, s) for o, s in zip(outs, seeds, strict=True) if o is not None and o.requires_grad]
    if not pairs:
        return [None] * len(xs)
    return list(_grad([o for o, _ in pairs], list(xs), [s for _, s in pairs], retain_graph=True,
                      create_graph=create_graph, allow_unused=True))


def _one_hot(shape: tuple[int, ...], dtype: Any, e: int) -> np.ndarray:
    a = np.zeros(int(np.prod(shape)), dtype=dtype)
    a[e] = 1
    return a.reshape(shape)


def _jacobian_reverse(outs: Sequence[Tensor], xs: tuple[Tensor, ...], create_graph: bool
                      ) -> list[list[Tensor | None]]:
    """J[i][j] = ∂outs[i]/∂xs[j], of shape outs[i].shape + xs[j].shape: one reverse pass per
    output entry (a row of J for every input at once). None where outs[i] does not
    depend on xs[j]."""
    jac: list[list[Tensor | None]] = []
    for out in outs:
        rows: list[list[Tensor | None]] = [[] for _ in xs]
        if out.requires_grad:
            for e in range(out.numel()):
                seed = Tensor(_one_hot(out.shape, out.dtype, e))
                for j, g in enumerate(_vjps([out], xs, [seed], create_graph)):
                    rows[j].append(g)
        jac.append([_assemble(r, out, x, create_graph) for r, x in zip(rows, xs, strict=True)])
    return jac


def _assemble(rows: list[Tensor | None], out: Tensor, x: Tensor, create_graph: bool
              ) -> Tensor | None:
    """One block of J from its rows (one per entry of out), each of x's shape or None."""
    if all(r is None for r in rows):
        return None
    shape = out.shape + x.shape
    if not create_graph:
        return Tensor(np.stack([np.zeros(x.shape, x.dtype) if r is None else r.numpy()
                                for r in rows]).reshape(shape))
    full = [Tensor(np.zeros(x.shape, x.dtype)) if r is None else r for r in rows]
    block = full[0] if len(full) == 1 else stack(full)
    return block.reshape(shape)


def _jacobian_forward(outs: Sequence[Tensor], xs: tuple[Tensor, ...]
                      ) -> list[list[Tensor | None]]:
    """J[i][j] = ∂outs[i]/∂xs[j]: one forward-mode pass (push_tangents) per input entry,
    giving a column of J for every output at once. None where there is no dependence."""
    order = inputs_first(outs)
    blocks = [[np.zeros(o.shape + x.shape, dtype=o.dtype) for x in xs] for o in outs]
    reached = [[False] * len(xs) for _ in outs]
    for j, x in enumerate(xs):
        for e in range(x.numel()):
            tangent = push_tangents(order, {x: _one_hot(x.shape, x.dtype, e)})
            for i, out in enumerate(outs):
                t = tangent.get(out)
                if t is not None:
                    blocks[i][j].reshape(out.numel(), x.numel())[:, e] = np.ravel(t)
                    reached[i][j] = True
    return [[Tensor(b) if r else None for b, r in zip(bs, rs, strict=True)]
            for bs, rs in zip(blocks, reached, strict=True)]


def _fill(res: Sequence[Tensor | None], refs: Sequence[Tensor], strict: bool, where: str,
          missing: Callable[[int], str]) -> list[Tensor]:
    """Zeros of refs[k]'s shape where res[k] is None (strict=True raises instead, saying
    missing(k))."""
    out = []
    for k, (r, ref) in enumerate(zip(res, refs, strict=True)):
        if r is None:
            if strict:
                raise MicrogradError(f"{where}: {missing(k)}, which strict=True refuses; pass "
                                     "strict=False to get zeros there (the true derivative)")
            r = Tensor(np.zeros(ref.shape, dtype=ref.dtype))
        out.append(r)
    return out


def _depends(what: str, x_tuple: bool) -> Callable[[int], str]:
    """What strict=True complains about: `what` does not depend on inputs[j]."""
    return lambda j: f"{what} does not depend on {_name('inputs', j, x_tuple)}"


def _pack(items: Sequence[Any], is_tuple: bool) -> Any:
    return tuple(items) if is_tuple else items[0]


def _outputs(outs: tuple[Tensor, ...], is_tuple: bool, create_graph: bool) -> Any:
    return _pack([o if create_graph else o.detach() for o in outs], is_tuple)


def _gradient(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool,
              strict: bool, where: str
              ) -> tuple[tuple[Tensor, ...], bool, tuple[Tensor, ...], Tensor, Grads]:
    """For the Hessian products: the fresh inputs, whether a tuple was given, v as tensors
    (checked before func runs; None for hessian), func's scalar output and its gradient
    ∇f, recorded (create_graph=True) so that it can be differentiated again."""
    xs, is_tuple = _as_tuple(inputs, "inputs", where)
    vs = () if where == "hessian" else _vectors(v, xs, is_tuple, "inputs", create_graph, where)
    xs = _prepare(xs, is_tuple, create_graph, where)
    out = _scalar(func, xs, strict, where)
    grads = _vjps([out], xs, [None], create_graph=True)
    if strict:
        for k, g in enumerate(grads):
            if g is None or not g.requires_grad:
                raise MicrogradError(
                    f"{where}: the gradient with respect to {_name('inputs', k, is_tuple)} "
                    f"{'is zero' if g is None else 'does not depend on the inputs'} (func is "
                    "constant or linear in it), which strict=True refuses; pass strict=False "
                    "to get zeros")
    return xs, is_tuple, vs, out, grads


# ----------------------------------------------------------------- the API


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """vᵀ·J, J = ∂func(inputs)/∂inputs, by one reverse pass (micrograd.grad).

    Returns (func_output, vjp), vjp shaped like the inputs. v is shaped like func's output
    (a tuple for a tuple output) and may be left out when that output has one entry."""
    where = "vjp"
    _flags(where, create_graph=create_graph, strict=strict)
    xs, x_tuple = _as_tuple(inputs, "inputs", where)
    xs = _prepare(xs, x_tuple, create_graph, where)
    outs, o_tuple = _run(func, xs, strict, where)
    vs = _vectors(v, outs, o_tuple, "the output of func", create_graph, where)
    res = _fill(_vjps(outs, xs, vs, create_graph), xs, strict, where,
                _depends("the output of func", x_tuple))
    return _outputs(outs, o_tuple, create_graph), _pack(res, x_tuple)


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """J·v, J = ∂func(inputs)/∂inputs, by one forward-mode pass: the tangent v pushed from
    the inputs up through the recorded graph (modes.push_tangents), one JVP per edge.

    Returns (func_output, jvp), jvp shaped like func's output. v is shaped like the inputs
    and may be left out when they are one tensor with one entry. Forward-mode tangents
    are arrays, not recorded, so with create_graph=True J·v is computed instead by the
    double-vjp trick, as PyTorch does: u ↦ Jᵀu is linear in u, and its vjp with v is J·v
    (two reverse passes, the second over the first's recorded graph)."""
    where = "jvp"
    _flags(where, create_graph=create_graph, strict=strict)
    xs, x_tuple = _as_tuple(inputs, "inputs", where)
    xs = _prepare(xs, x_tuple, create_graph, where)
    vs = _vectors(v, xs, x_tuple, "inputs", create_graph, where)
    outs, o_tuple = _run(func, xs, strict, where)
    jv: Grads
    if not create_graph:
        tangents = graph_jvp(outs, {x: vk.numpy() for x, vk in zip(xs, vs, strict=True)})
        jv = [None if t is None else Tensor(np.array(t, dtype=o.dtype))
              for t, o in zip(tangents, outs, strict=True)]
    else:
        # Jᵀu recorded for a dummy u (its value never matters: the map is linear in u).
        us = [Tensor(np.zeros(o.shape, o.dtype), requires_grad=True) for o in outs]
        back = _vjps(outs, xs, us, create_graph=True)
        jv = _vjps(back, tuple(us), vs, create_graph=True)
    res = _fill(jv, outs, strict, where,
                lambda k: f"{_name('output', k, o_tuple)} of func does not depend on the inputs")
    return _outputs(outs, o_tuple, create_graph), _pack(res, o_tuple)


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """J = ∂func(inputs)/∂inputs, one block per (output, input) pair of shape
    output.shape + input.shape: a tensor for one input and one output, a tuple when one of
    them is a tuple, and J[i][j] (output i, input j) when both are.

    strategy="reverse-mode" runs one reverse pass per output entry (a row each),
    "forward-mode" one forward-mode pass per input entry (a column each): pick the side
    with fewer entries. vectorize is accepted for PyTorch's signature: micrograd has no
    vmap, so rows or columns are computed one at a time either way (the same numbers)."""
    where = "jacobian"
    _flags(where, create_graph=create_graph, strict=strict, vectorize=vectorize)
    _strategy(where, "strategy", strategy, create_graph)
    xs, x_tuple = _as_tuple(inputs, "inputs", where)
    xs = _prepare(xs, x_tuple, create_graph, where)
    outs, o_tuple = _run(func, xs, strict, where)
    if strategy == "reverse-mode":
        jac = _jacobian_reverse(outs, xs, create_graph)
    else:
        jac = _jacobian_forward(outs, xs)
    blocks = []
    for i, (row, out) in enumerate(zip(jac, outs, strict=True)):
        refs = [Tensor(np.zeros(out.shape + x.shape, out.dtype if strategy == "forward-mode"
                                else x.dtype)) for x in xs]
        blocks.append(_pack(_fill(row, refs, strict, where, _depends(
            f"{_name('output', i, o_tuple)} of func", x_tuple)), x_tuple))
    return _pack(blocks, o_tuple)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """H = ∇²func(inputs) of a func returning one number: the Jacobian of the gradient,
    H[i][j] = ∂²f/∂inputs[i]∂inputs[j] of shape inputs[i].shape + inputs[j].shape (a
    tensor for one input, else a tuple of tuples).

    The gradient is recorded once (create_graph=True); then each of the n input entries
    costs one Hessian-vector product with a unit vector: a reverse pass over the recorded
    gradient ("reverse-mode", a row of H) or a forward-mode push through it
    ("forward-mode", a column; forward over reverse). vectorize as in `jacobian`."""
    where = "hessian"
    _flags(where, create_graph=create_graph, strict=strict, vectorize=vectorize)
    _strategy(where, "outer_jacobian_strategy", outer_jacobian_strategy, create_graph)
    xs, x_tuple, _, _, grads = _gradient(func, inputs, None, create_graph, strict, where)
    # An input with no gradient has a zero one: a constant, whose Jacobian is zero.
    gs = [Tensor(np.zeros(x.shape, x.dtype)) if g is None else g
          for g, x in zip(grads, xs, strict=True)]
    if outer_jacobian_strategy == "reverse-mode":
        jac = _jacobian_reverse(gs, xs, create_graph)
    else:
        jac = _jacobian_forward(gs, xs)
    blocks = []
    for i, (row, xi) in enumerate(zip(jac, xs, strict=True)):
        refs = [Tensor(np.zeros(xi.shape + xj.shape, xi.dtype)) for xj in xs]
        blocks.append(_pack(_fill(row, refs, strict, where, _depends(
            f"the gradient with respect to {_name('inputs', i, x_tuple)}", x_tuple)), x_tuple))
    return _pack(blocks, x_tuple)


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """vᵀ·H of a func returning one number, by reverse over reverse: the gradient ∇f is
    recorded (create_graph=True), then one reverse pass differentiates ⟨∇f, v⟩.

    Returns (func_output, vhp), vhp shaped like the inputs; v as in `hvp`."""
    _flags("vhp", create_graph=create_graph, strict=strict)
    return _reverse_over_reverse(func, inputs, v, create_graph, strict, "vhp")


def _reverse_over_reverse(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool,
                          strict: bool, where: str) -> tuple[Any, Any]:
    xs, x_tuple, vs, out, grads = _gradient(func, inputs, v, create_graph, strict, where)
    # ⟨∇f, v⟩ as one recorded number, so that a single reverse pass gives every input's
    # share (grad() of several outputs would walk the shared graph once per output).
    dot: Tensor | None = None
    with enable_grad():
        for g, vk in zip(grads, vs, strict=True):
            if g is not None and g.requires_grad:
                term = (g * vk).sum()
                dot = term if dot is None else dot + term
    vh: Grads = [None] * len(xs) if dot is None else _vjps([dot], xs, [None], create_graph)
    res = _fill(vh, xs, strict, where,
                lambda k: f"the Hessian does not involve {_name('inputs', k, x_tuple)}")
    return _outputs((out,), False, create_graph), _pack(res, x_tuple)


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """H·v of a func returning one number, by forward over reverse: the gradient ∇f is
    recorded (create_graph=True), then the tangent v is pushed from the inputs up through
    that recorded graph (modes.push_tangents), which gives ∂(∇f)/∂x · v = H·v.

    Returns (func_output, hvp), hvp shaped like the inputs; v is shaped like the inputs
    and may be left out when they are one tensor with one entry.

    Why this route: both routes record ∇f first (on the lab's 2-10-2 network, 12 local
    partials, as the gradient itself), then walk the recorded gradient graph once, at the
    same cost (26 partials); reverse over reverse must also differentiate ⟨∇f, v⟩, a mul
    and a sum per input and the adds between them (14 more). So an HVP costs 38 local
    partials this way and 52 reverse over reverse (vhp), counted by count_ops(): the
    table of docs/higher-order.md, which tests/test_functional.py measures.
    Tangents are arrays, not recorded, so with create_graph=True hvp takes the reverse
    route instead: vᵀH, which is H·v because H is symmetric (the mixed partials of every
    op agree, ∂²f/∂xᵢ∂xⱼ = ∂²f/∂xⱼ∂xᵢ)."""
    where = "hvp"
    _flags(where, create_graph=create_graph, strict=strict)
    if create_graph:
        return _reverse_over_reverse(func, inputs, v, create_graph, strict, where)
    xs, x_tuple, vs, out, grads = _gradient(func, inputs, v, create_graph, strict, where)
    recorded = [(k, g) for k, g in enumerate(grads) if g is not None]
    tangents = graph_jvp([g for _, g in recorded],
                         {x: vk.numpy() for x, vk in zip(xs, vs, strict=True)})
    hv: Grads = [None] * len(xs)
    for (k, _), t in zip(recorded, tangents, strict=True):
        if t is not None:
            hv[k] = Tensor(np.array(t, dtype=xs[k].dtype))
    res = _fill(hv, xs, strict, where,
                lambda k: f"the Hessian does not involve {_name('inputs', k, x_tuple)}")
    return _outputs((out,), False, create_graph), _pack(res, x_tuple)
