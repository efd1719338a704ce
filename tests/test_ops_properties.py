"""Property tests of every op, driven by ONE table (`SPECS`), with micrograd.testing's
machinery (the properties that check_op runs on a user's op, run here on ours).

Each `OpSpec` says how to call the op in micrograd, how numpy computes the same
thing, which values are safe (away from poles, kinks and ties, so that finite
differences are meaningful) and which shapes/parameters to draw. From the table:

  * test_forward_matches_numpy            values, shape and dtype equal numpy's; when
                                          numpy refuses the input, micrograd raises too
  * test_backward_matches_finite_differences
                                          the gradient of Σ G ⊙ op(x), for a random
                                          upstream G, equals central differences (a
                                          5-point stencil on the *numpy reference*, so the
                                          check does not lean on micrograd's forward), and
                                          has the input's shape and dtype; and
                                          micrograd.gradcheck agrees
  * test_second_derivatives_match_finite_differences
                                          the gradient of a random scalar function of the
                                          first gradient (create_graph=True) equals central
                                          differences of that first gradient (float64)
  * test_second_derivatives_match_torch   the same second derivatives equal PyTorch's
                                          double backward
  * test_jvp_adjoint_identity             <g, jvp(t)> == <vjp(g), t> for the recorded node
  * test_float32_end_to_end               float32 in, float32 out, float32 grads and partials,
                                          also through a recorded backward

test_every_function_is_in_the_table fails as soon as ops.py gains a Function subclass
that has no row here, test_every_function_has_a_tensor_form as soon as one cannot be
differentiated twice, and test_every_row_has_a_torch_spelling when a row has no PyTorch
counterpart for the cross-check.
"""
from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import micrograd as mg
from micrograd import Tensor, ops
from micrograd.engine import Function
from micrograd.gradients.gradcheck import second_derivatives
from micrograd.nn import functional as F
from micrograd.testing import properties as prop
from micrograd.testing import strategies as mst

F64 = np.float64

# --------------------------------------------------------------------------- shapes
# Domains (mst.uniform, mst.per_input, mst.distinct) and shapes come from micrograd.testing.

ANY_SHAPE = mst.shapes()  # zero-size dims, but not too often
NONEMPTY_SHAPE = mst.shapes(min_side=1)
GRID = mst.GRID  # distinct() keeps every value off this grid, where the clip bounds sit


# --------------------------------------------------------------------------- case kinds
# A kind draws (shapes, params); the spec's domain then fills the shapes with values.


def k_unary(draw, spec):
    return [draw(ANY_SHAPE)], {}


def k_broadcast(draw, spec):
    return draw(mst.broadcastable_shapes(spec.arity)), {}


def k_reduction(draw, spec):
    shape = draw(ANY_SHAPE)
    return [shape], {"axis": draw(mst.axes(len(shape))), "keepdims": draw(st.booleans())}


def k_softmax(draw, spec):
    shape = draw(ANY_SHAPE)
    ndim = len(shape)
    axis = draw(st.integers(-ndim, ndim - 1)) if ndim else draw(st.sampled_from([0, -1]))
    return [shape], {"axis": axis}


def k_matmul(draw, spec):
    b = draw(st.one_of(
        hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2,
                                          min_side=1, max_side=3),
        hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2,
                                          min_side=0, max_side=3)))
    return list(b.input_shapes), {}


def k_where(draw, spec):
    cond_shape, x_shape, y_shape = draw(mst.broadcastable_shapes(3))
    cond = draw(hnp.arrays(np.bool_, cond_shape))
    return [x_shape, y_shape], {"cond": cond, "cond_as_tensor": draw(st.booleans())}


def k_clip(draw, spec):
    bound = st.one_of(st.none(), st.integers(-300, 300).map(lambda k: k * GRID))
    lo, hi = draw(bound), draw(bound)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return [draw(ANY_SHAPE)], {"lo": lo, "hi": hi}


def k_pow_const(draw, spec):
    return [draw(ANY_SHAPE)], {"c": draw(st.sampled_from([-1.5, -1, 0.5, 1, 2, 3, 2.5]))}


def k_reshape(draw, spec):
    shape = draw(ANY_SHAPE)
    sides = list(draw(st.permutations(list(shape))))
    new: list[int] = []
    for s in sides:  # merge some neighbours, so the rank changes too
        if new and draw(st.booleans()):
            new[-1] *= s
        else:
            new.append(s)
    for _ in range(draw(st.integers(0, 2))):  # and insert some 1s
        new.insert(draw(st.integers(0, len(new))), 1)
    if new and math.prod(shape) > 0 and draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return [shape], {"shape": tuple(new), "as_args": draw(st.booleans())}


def k_transpose(draw, spec):
    shape = draw(ANY_SHAPE)
    ndim = len(shape)
    style = draw(st.sampled_from(["T", "tuple", "args"]))
    if style == "T":
        return [shape], {"axes": None, "style": style}
    perm = draw(st.permutations(list(range(ndim))))
    axes = tuple(a - ndim if draw(st.booleans()) else a for a in perm)  # numpy takes negatives
    return [shape], {"axes": axes, "style": style}


def k_getitem(draw, spec):
    shape = draw(ANY_SHAPE)
    ndim = len(shape)
    options = ["basic", "mask"]
    if ndim >= 1 and all(s >= 1 for s in shape):
        options += ["intarrays", "intlist", "mixed"]
    kind = draw(st.sampled_from(options))
    as_tensor = False
    if kind == "basic":
        index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    elif kind == "mask":  # a mask over all axes, or over the leading ones
        lead = draw(st.integers(0, ndim)) if ndim else 0
        index = draw(hnp.arrays(np.bool_, shape[:lead] if lead else shape))
        as_tensor = draw(st.booleans())
    elif kind == "intarrays":  # one integer array per leading axis, repeats allowed
        index = draw(hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)))
    elif kind == "intlist":  # a Python list along axis 0, with a repeat guaranteed
        n = shape[0]
        idx = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5))
        index = idx + [idx[0]]
    else:  # slices then an integer array
        ax = draw(st.integers(0, ndim - 1))
        n = shape[ax]
        idx = np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
        index = (slice(None),) * ax + (idx,)
    return [shape], {"index": index, "as_tensor": as_tensor}


def k_concatenate(draw, spec):
    ndim = draw(st.integers(1, 3))
    base = list(draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=0, max_side=3)))
    axis = draw(st.integers(-ndim, ndim - 1))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(base)
        s[axis] = draw(st.integers(0, 3))
        shapes.append(tuple(s))
    return shapes, {"axis": axis}


def k_stack(draw, spec):
    shape = draw(ANY_SHAPE)
    ndim = len(shape)
    n = draw(st.integers(1, 3))
    return [shape] * n, {"axis": draw(st.integers(-ndim - 1, ndim))}


# --------------------------------------------------------------------------- the table

@dataclass
class OpSpec:
    name: str
    arity: int | None               # differentiable tensor inputs; None = variadic
    fn: Callable[..., Tensor]       # micrograd: fn(*tensors, **params)
    ref: Callable[..., np.ndarray]  # numpy:     ref(*arrays, **params)
    domain: Callable                # domain(draw, shapes) -> arrays
    kind: Callable                  # kind(draw, spec) -> (shapes, params)
    cls: type                       # the Function subclass the op records
    quiet: bool = False             # numpy warns on legitimate inputs (mean of nothing)
    f32: bool = True                # run in the float32 test
    composite: bool = False         # several ops (std = √var): no one node for the jvp test
    extra: dict = field(default_factory=dict)


def _softmax_ref(x, axis):
    e = np.exp(x)  # naive on purpose (|x| ≤ 5 here): not the shifted formula under test
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_ref(x, axis):
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


def _logsumexp_ref(x, axis, keepdims):
    return np.log(np.exp(x).sum(axis=axis, keepdims=keepdims))


def _where_fn(x, y, cond, cond_as_tensor):
    return mg.where(Tensor(cond) if cond_as_tensor else cond, x, y)


def _reshape_fn(x, shape, as_args):
    return x.reshape(*shape) if as_args else x.reshape(shape)


def _transpose_fn(x, axes, style):
    if style == "T":
        return x.T
    return x.transpose(*axes) if style == "args" else x.transpose(axes)


def _transpose_ref(x, axes, style):
    # Two ints swap two axes, as in PyTorch (numpy would read them as a permutation: the
    # same, except that numpy's (0, 1) on a matrix changes nothing).
    if style == "args" and len(axes) == 2:
        return np.swapaxes(x, *axes)
    return np.transpose(x, axes)


def k_setitem(draw, spec):
    """x and a value for x[index] = v: basic indices or a mask (no position written twice),
    v of the indexed shape or of its trailing part (broadcast)."""
    shape = draw(ANY_SHAPE)
    if draw(st.booleans()):
        index = draw(hnp.basic_indices(shape, allow_ellipsis=True))
    else:
        index = draw(hnp.arrays(np.bool_, shape))
    target = np.empty(shape)[index].shape
    cut = draw(st.integers(0, len(target)))
    return [shape, target[cut:]], {"index": index}


def _setitem_fn(x, v, index):
    y = x.clone()  # the in-place write goes through Tensor.__setitem__, recorded
    y[index] = v
    return y


def _setitem_ref(x, v, index):
    out = np.array(x, copy=True)
    out[index] = v
    return out


def k_linear(draw, spec):
    """x of shape (..., in), W (out, in), b (out,): nn.Linear's shapes, batch axes 0 to 2."""
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return [(*batch, n_in), (n_out, n_in), (n_out,)], {}


def _linear_ref(x, w, b):
    return x @ w.T + b


def k_cross_entropy(draw, spec):
    """Logits (n, classes) and either integer labels or rows of targets, any reduction."""
    n, classes = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    if draw(st.booleans()):
        targets = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, classes - 1)))
    else:  # probability rows (they sum to 1): the soft-target form
        raw = draw(hnp.arrays(F64, (n, classes), elements=st.floats(0.1, 1.0)))
        targets = raw / raw.sum(axis=1, keepdims=True)
    return [(n, classes)], {"targets": targets,
                            "reduction": draw(st.sampled_from(["mean", "sum", "none"]))}


def _cross_entropy_fn(z, targets, reduction):
    return F.cross_entropy(z, targets, reduction=reduction)


def _cross_entropy_ref(z, targets, reduction):
    """-Σ y log softmax(z) per row, written naively (|z| ≤ 3 here)."""
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    y = np.eye(z.shape[1])[targets] if targets.ndim == 1 else targets
    per_row = -(y * logp).sum(axis=1)
    return {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[reduction]


def k_same_shape(draw, spec):
    """Inputs of one shape (a loss against its targets: no broadcasting)."""
    shape = draw(ANY_SHAPE)
    return [shape] * spec.arity, {}


def _bce_ref(p, y):
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def _getitem_fn(x, index, as_tensor):
    return x[Tensor(index) if as_tensor else index]


def _getitem_ref(x, index, as_tensor):
    return x[np.asarray(index) if isinstance(index, list) else index]


def k_scatter_add(draw, spec):
    """The adjoint of x[index] (what getitem's recorded gradient is made of): a value of
    x[index]'s shape, scattered into zeros of x's shape, repeated indices adding up."""
    (shape,), params = k_getitem(draw, spec)
    index = params["index"]
    v_shape = _getitem_ref(np.empty(shape), index, False).shape
    return [v_shape], {"index": index, "shape": shape}


def _scatter_add_fn(v, index, shape):
    return ops.ScatterAdd.apply(v, index=np.asarray(index) if isinstance(index, list) else index,
                                shape=shape)


def _scatter_add_ref(v, index, shape):
    out = np.zeros(shape)
    np.add.at(out, np.asarray(index) if isinstance(index, list) else index, v)
    return out


# --------------------------------------------------------------------------- PyTorch-style shape ops and statistics


def _n_reduced(shape, axis):
    axes = range(len(shape)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    return math.prod(shape[a] for a in axes)


def k_var(draw, spec):
    """A reduction with a correction c < n (n the entries reduced), so var is defined."""
    shape = draw(NONEMPTY_SHAPE)
    axis = draw(mst.axes(len(shape)))
    n = _n_reduced(shape, axis)
    return [shape], {"axis": axis, "keepdims": draw(st.booleans()),
                     "correction": draw(st.integers(0, min(2, n - 1)))}


def k_std(draw, spec):
    """Like k_var with at least 2 entries per slice: std is not differentiable where the
    slice is constant (var = 0), and a slice of one entry always is."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=3))
    ndim = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                          hnp.valid_tuple_axes(ndim, min_size=1)))
    return [shape], {"axis": axis, "keepdims": draw(st.booleans()),
                     "correction": draw(st.integers(0, 1))}


def k_expand(draw, spec):
    """Sizes for expand(): -1 or the length for each axis, any length for an axis of 1,
    and up to two new leading axes."""
    shape = draw(ANY_SHAPE)
    sizes = [draw(st.integers(0, 3)) for _ in range(draw(st.integers(0, 2)))]
    for n in shape:
        sizes.append(draw(st.sampled_from([-1, 0, 1, 2, 3] if n == 1 else [-1, n])))
    return [shape], {"sizes": tuple(sizes), "as_args": draw(st.booleans())}


def _expand_fn(x, sizes, as_args):
    return x.expand(*sizes) if as_args else x.expand(sizes)


def _expand_ref(x, sizes, as_args):
    lead = len(sizes) - x.ndim
    shape = [x.shape[k - lead] if n == -1 else n for k, n in enumerate(sizes)]
    return np.broadcast_to(x, shape)


def k_repeat(draw, spec):
    shape = draw(ANY_SHAPE)
    reps = tuple(draw(st.integers(0, 3)) for _ in range(len(shape) + draw(st.integers(0, 2))))
    return [shape], {"reps": reps}


def k_permute(draw, spec):
    shape = draw(ANY_SHAPE)
    ndim = len(shape)
    perm = draw(st.permutations(list(range(ndim))))
    dims = tuple(a - ndim if draw(st.booleans()) else a for a in perm)
    return [shape], {"dims": dims, "as_args": draw(st.booleans())}


def k_swap(draw, spec):
    """Two axes of a tensor of at least one axis, either may be negative, maybe the same."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=3))
    ndim = len(shape)
    return [shape], {"d0": draw(st.integers(-ndim, ndim - 1)),
                     "d1": draw(st.integers(-ndim, ndim - 1))}


def k_unsqueeze(draw, spec):
    shape = draw(ANY_SHAPE)
    return [shape], {"dim": draw(st.integers(-len(shape) - 1, len(shape)))}


def k_squeeze(draw, spec):
    """No dim, one dim or a tuple of dims: those of length 1 go, the others stay (PyTorch)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=2))
    ndim = len(shape)
    if not ndim:
        return [shape], {"dim": draw(st.sampled_from([None, 0, -1]))}
    dim = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                         hnp.valid_tuple_axes(ndim)))
    return [shape], {"dim": dim}


def _squeeze_ref(x, dim):
    if dim is None:
        return np.squeeze(x)
    dims = dim if isinstance(dim, tuple) else (dim,)
    ndim = max(x.ndim, 1)
    return np.squeeze(x, axis=tuple({d % ndim for d in dims if x.ndim and x.shape[d] == 1}))


def k_flatten(draw, spec):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=3))
    ndim = len(shape)
    s = draw(st.integers(0, ndim - 1))
    e = draw(st.integers(s, ndim - 1))
    return [shape], {"start": s - ndim if draw(st.booleans()) else s,
                     "end": e - ndim if draw(st.booleans()) else e}


def _flatten_ref(x, start, end):
    s, e = start % x.ndim, end % x.ndim
    return x.reshape(*x.shape[:s], math.prod(x.shape[s:e + 1]), *x.shape[e + 1:])


def _norm_ref(x, axis, keepdims):
    return np.sqrt((x * x).sum(axis=axis, keepdims=keepdims))


WIDE = mst.uniform(-3, 3)
GRID_DOMAIN = mst.distinct()

SPECS: list[OpSpec] = [
    # arithmetic, broadcasting
    OpSpec("add", 2, lambda x, y: x + y, np.add, WIDE, k_broadcast, ops.Add),
    OpSpec("sub", 2, lambda x, y: x - y, np.subtract, WIDE, k_broadcast, ops.Sub),
    OpSpec("mul", 2, lambda x, y: x * y, np.multiply, WIDE, k_broadcast, ops.Mul),
    OpSpec("div", 2, lambda x, y: x / y, np.divide, mst.per_input((-3, 3), (0.5, 3, True)),
           k_broadcast, ops.Div),
    OpSpec("pow", 2, lambda x, y: x ** y, np.power, mst.per_input((0.2, 3), (-2, 2)),
           k_broadcast, ops.Pow),
    OpSpec("pow_const", 1, lambda x, c: x ** c, lambda x, c: np.power(x, c),
           mst.uniform(0.2, 3), k_pow_const, ops.Pow),
    OpSpec("neg", 1, lambda x: -x, np.negative, WIDE, k_unary, ops.Neg),
    OpSpec("matmul", 2, lambda x, y: x @ y, np.matmul, mst.uniform(-2, 2), k_matmul, ops.MatMul),
    # elementwise functions
    OpSpec("exp", 1, mg.exp, np.exp, WIDE, k_unary, ops.Exp),
    OpSpec("log", 1, mg.log, np.log, mst.uniform(0.1, 5), k_unary, ops.Log),
    OpSpec("sqrt", 1, lambda x: x.sqrt(), np.sqrt, mst.uniform(0.1, 5), k_unary, ops.Sqrt),
    OpSpec("abs", 1, abs, np.abs, GRID_DOMAIN, k_unary, ops.Abs),
    OpSpec("tanh", 1, mg.tanh, np.tanh, mst.uniform(-5, 5), k_unary, ops.Tanh),
    OpSpec("sigmoid", 1, mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), mst.uniform(-5, 5), k_unary,
           ops.Sigmoid),
    OpSpec("erf", 1, lambda x: x.erf(), np.vectorize(math.erf, otypes=[F64]), mst.uniform(-4, 4),
           k_unary, ops.Erf),
    OpSpec("relu", 1, mg.relu, lambda x: np.maximum(x, 0), GRID_DOMAIN, k_unary, ops.Relu),
    OpSpec("maximum", 2, mg.maximum, np.maximum, GRID_DOMAIN, k_broadcast, ops.Maximum),
    OpSpec("minimum", 2, mg.minimum, np.minimum, GRID_DOMAIN, k_broadcast, ops.Minimum),
    OpSpec("where", 2, _where_fn, lambda x, y, cond, cond_as_tensor: np.where(cond, x, y),
           WIDE, k_where, ops.Where),
    OpSpec("clip", 1, lambda x, lo, hi: x.clip(lo, hi), lambda x, lo, hi: np.clip(x, lo, hi),
           GRID_DOMAIN, k_clip, ops.Clip),
    OpSpec("cast", 1, lambda x: x.astype(np.float64), lambda x: x.astype(np.float64),
           WIDE, k_unary, ops.Cast, f32=False),  # float32<->float64 casts: test_casts below
    # reductions
    OpSpec("sum", 1, lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims), np.sum,
           WIDE, k_reduction, ops.Sum),
    OpSpec("mean", 1, lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims), np.mean,
           WIDE, k_reduction, ops.Mean, quiet=True),
    OpSpec("max", 1, lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims), np.max,
           GRID_DOMAIN, k_reduction, ops.Max),
    OpSpec("min", 1, lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims), np.min,
           GRID_DOMAIN, k_reduction, ops.Min),
    OpSpec("logsumexp", 1, mg.logsumexp, _logsumexp_ref, mst.uniform(-5, 5), k_reduction,
           ops.LogSumExp, quiet=True),
    OpSpec("softmax", 1, mg.softmax, _softmax_ref, mst.uniform(-5, 5), k_softmax, ops.Softmax,
           quiet=True),
    OpSpec("log_softmax", 1, lambda x, axis: x.log_softmax(axis=axis), _log_softmax_ref,
           mst.uniform(-5, 5), k_softmax, ops.LogSoftmax, quiet=True),
    # shape and indexing
    OpSpec("reshape", 1, _reshape_fn, lambda x, shape, as_args: np.reshape(x, shape), WIDE,
           k_reshape, ops.Reshape),
    OpSpec("transpose", 1, _transpose_fn, _transpose_ref, WIDE, k_transpose, ops.Transpose),
    OpSpec("getitem", 1, _getitem_fn, _getitem_ref, WIDE, k_getitem, ops.GetItem),
    OpSpec("scatter_add", 1, _scatter_add_fn, _scatter_add_ref, WIDE, k_scatter_add,
           ops.ScatterAdd),
    OpSpec("setitem", 2, _setitem_fn, _setitem_ref, WIDE, k_setitem, ops.SetItem),
    # fused ops
    OpSpec("linear", 3, F.linear, _linear_ref, WIDE, k_linear, ops.FusedLinear),
    OpSpec("cross_entropy", 1, _cross_entropy_fn, _cross_entropy_ref, WIDE, k_cross_entropy,
           ops.SoftmaxCrossEntropy),
    OpSpec("binary_cross_entropy", 2, lambda p, y: ops.BinaryCrossEntropy.apply(p, y), _bce_ref,
           mst.per_input((0.05, 0.95), (0.0, 1.0)), k_same_shape, ops.BinaryCrossEntropy),
    # PyTorch's spellings: new ops, and methods built on the ops above
    OpSpec("exp2", 1, lambda x: x.exp2(), np.exp2, WIDE, k_unary, ops.Exp2),
    OpSpec("expm1", 1, mg.expm1, np.expm1, WIDE, k_unary, ops.Expm1),
    OpSpec("log1p", 1, lambda x: x.log1p(), np.log1p, mst.uniform(-0.9, 5), k_unary, ops.Log1p),
    OpSpec("square", 1, lambda x: x.square(), np.square, WIDE, k_unary, ops.Pow),
    OpSpec("var", 1, lambda x, axis, keepdims, correction: x.var(dim=axis, keepdim=keepdims,
                                                                 correction=correction),
           lambda x, axis, keepdims, correction: np.var(x, axis=axis, keepdims=keepdims,
                                                         ddof=correction),
           WIDE, k_var, ops.Var),
    OpSpec("std", 1, lambda x, axis, keepdims, correction: x.std(axis=axis, keepdims=keepdims,
                                                                 ddof=correction),
           lambda x, axis, keepdims, correction: np.std(x, axis=axis, keepdims=keepdims,
                                                         ddof=correction),
           GRID_DOMAIN, k_std, ops.Sqrt, composite=True),
    OpSpec("norm", 1, lambda x, axis, keepdims: x.norm(dim=axis, keepdim=keepdims), _norm_ref,
           mst.per_input((0.5, 3, True)), k_reduction, ops.Norm),
    OpSpec("expand", 1, _expand_fn, _expand_ref, WIDE, k_expand, ops.Expand),
    OpSpec("repeat", 1, lambda x, reps: x.repeat(*reps), lambda x, reps: np.tile(x, reps), WIDE,
           k_repeat, ops.Repeat),
    OpSpec("permute", 1, lambda x, dims, as_args: x.permute(*dims) if as_args else x.permute(dims),
           lambda x, dims, as_args: np.transpose(x, dims), WIDE, k_permute, ops.Transpose),
    OpSpec("transpose_swap", 1, lambda x, d0, d1: x.transpose(d0, d1),
           lambda x, d0, d1: np.swapaxes(x, d0, d1), WIDE, k_swap, ops.Transpose),
    OpSpec("unsqueeze", 1, lambda x, dim: x.unsqueeze(dim), lambda x, dim: np.expand_dims(x, dim),
           WIDE, k_unsqueeze, ops.Reshape),
    OpSpec("squeeze", 1, lambda x, dim: x.squeeze(dim), _squeeze_ref, WIDE, k_squeeze,
           ops.Reshape),
    OpSpec("flatten", 1, lambda x, start, end: x.flatten(start, end), _flatten_ref, WIDE,
           k_flatten, ops.Reshape),
    OpSpec("concatenate", None, lambda *xs, axis: mg.concatenate(xs, axis=axis),
           lambda *xs, axis: np.concatenate(xs, axis=axis), WIDE, k_concatenate, ops.Concatenate),
    OpSpec("stack", None, lambda *xs, axis: mg.stack(list(xs), axis=axis),
           lambda *xs, axis: np.stack(xs, axis=axis), WIDE, k_stack, ops.Stack),
]


IDS = [s.name for s in SPECS]


@st.composite
def cases(draw, spec: OpSpec):
    shapes, params = spec.kind(draw, spec)
    arrays = spec.domain(draw, shapes)
    return arrays, params


def random_like(seed: int, shape: tuple) -> np.ndarray:
    """A random upstream gradient / tangent: standard normal, so never all ones."""
    return np.random.default_rng(seed).standard_normal(shape)


SEEDS = st.integers(0, 2**32 - 1)

# The second-order properties cost a backward pass per entry and step of the stencil:
# fewer examples than the first-order ones (a third of the profile's, at least 5).
SECOND_ORDER = settings(max_examples=max(5, settings.default.max_examples // 3))


class _quiet:
    """Silence numpy's RuntimeWarnings for ops whose numpy reference legitimately warns
    (the mean of an empty slice is nan, log of an empty sum is -inf)."""

    def __init__(self, on: bool):
        self.on = on
        self.cm = warnings.catch_warnings()

    def __enter__(self):
        if self.on:
            self.cm.__enter__()
            warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        if self.on:
            self.cm.__exit__(*exc)


def run_ref(spec, arrays, params):
    """numpy's answer, or the exception numpy raises for this input."""
    with _quiet(spec.quiet):
        try:
            return np.asarray(spec.ref(*arrays, **params)), None
        except (ValueError, IndexError, TypeError) as e:
            return None, e


def _functions_of_ops() -> set[type]:
    return {obj for _, obj in inspect.getmembers(ops, inspect.isclass)
            if issubclass(obj, Function) and obj is not Function
            and obj.__module__ == ops.__name__}


# ------------------------------------------------------------------- table-driven properties


def test_every_function_is_in_the_table():
    """A new Function subclass in ops.py without a row in SPECS fails the suite."""
    covered = {s.cls for s in SPECS}
    missing = sorted(c.__name__ for c in _functions_of_ops() - covered)
    assert not missing, f"ops without a row in the property-test table: {missing}"
    assert len(IDS) == len(set(IDS))


def test_every_function_has_a_tensor_form():
    """Every op of ops.py can be differentiated twice: it has backward_t, or (elementwise)
    partial_t, beside its array form; Function's own versions raise HigherOrderError."""
    missing = sorted(c.__name__ for c in _functions_of_ops()
                     if c.backward_t is Function.backward_t
                     and not (c.elementwise and c.partial_t is not Function.partial_t))
    assert not missing, f"ops without backward_t/partial_t (create_graph=True): {missing}"


def test_every_function_of_the_package_lives_in_ops():
    """An op defined elsewhere in micrograd (as the fused ones once were, in nn/functional.py)
    would escape the table above; every Function subclass of the package is in ops.py."""
    import importlib
    import pkgutil
    for m in pkgutil.walk_packages(mg.__path__, "micrograd."):
        if not m.name.endswith("__main__"):  # running it would start the command line
            importlib.import_module(m.name)
    stack, elsewhere = list(Function.__subclasses__()), []
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        name = f"{cls.__module__}.{cls.__name__}"
        if cls.__module__.startswith("micrograd.") and cls.__module__ != ops.__name__ \
                and name not in NOT_OPS:
            elsewhere.append(name)
    assert not elsewhere, f"Functions outside micrograd/ops.py: {elsewhere}"


# Function subclasses that are not ops, each with why it lives where it does.
NOT_OPS = {
    # The node a compiled call records: its forward and partials are a generated program,
    # not one formula, so it has no row in the table; tests/test_compile*.py hold it to
    # eager's values and gradients on every op of the table.
    "micrograd.compile.node.CompiledFunction":
        "the recorded node of micrograd.compile, tested in tests/test_compile*.py",
}


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@given(data=st.data())
def test_forward_matches_numpy(spec, data):
    arrays, params = data.draw(cases(spec))
    expected, err = run_ref(spec, arrays, params)
    if err is not None:  # numpy refuses this input: so must micrograd, with a ShapeError-like error
        tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        with _quiet(spec.quiet), pytest.raises((ValueError, IndexError)):
            spec.fn(*tensors, **params)
        return
    with _quiet(spec.quiet):
        out = prop.check_forward(spec.fn, spec.ref, arrays, params, name=spec.name)
    assert type(out.grad_fn) is spec.cls
    assert out.requires_grad and not out.is_leaf


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@given(data=st.data(), seed=SEEDS)
def test_backward_matches_finite_differences(spec, data, seed):
    arrays, params = data.draw(cases(spec))
    if run_ref(spec, arrays, params)[1] is not None:
        return  # covered by test_forward_matches_numpy
    with _quiet(spec.quiet):  # the mean over an empty axis divides by 0 in backward too
        prop.check_vjp(spec.fn, spec.ref, arrays, params, seed, name=spec.name)
    # and the library's own gradcheck (2-point differences through micrograd's forward) agrees
    fresh = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    with _quiet(spec.quiet):
        assert mg.gradcheck(lambda *ts: spec.fn(*ts, **params), fresh)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@SECOND_ORDER
@given(data=st.data(), seed=SEEDS)
def test_second_derivatives_match_finite_differences(spec, data, seed):
    arrays, params = data.draw(cases(spec))
    if run_ref(spec, arrays, params)[1] is not None:
        return
    with _quiet(spec.quiet):
        prop.check_second_order(spec.fn, arrays, params, seed, name=spec.name)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@given(data=st.data(), seed=SEEDS)
def test_jvp_adjoint_identity(spec, data, seed):
    """For the recorded node fn of out = op(x₀, x₁, …), every input i, a random tangent tᵢ
    and a random upstream g:  <g, fn.jvp(tᵢ, i)> == <fn.backward(g, i), tᵢ>."""
    if spec.composite:
        return  # its ops have their own rows
    arrays, params = data.draw(cases(spec))
    if run_ref(spec, arrays, params)[1] is not None:
        return
    with _quiet(spec.quiet):
        out = spec.fn(*[Tensor(a) for a in arrays], **params)
    if not np.isfinite(out.data).all():
        return  # e.g. the mean of nothing is nan: no derivative to speak of
    with _quiet(spec.quiet):
        prop.check_adjoint(spec.fn, arrays, params, seed, name=spec.name)


F32_SPECS = [s for s in SPECS if s.f32]


@pytest.mark.parametrize("spec", F32_SPECS, ids=[s.name for s in F32_SPECS])
@given(data=st.data(), seed=SEEDS)
def test_float32_end_to_end(spec, data, seed):
    """float32 inputs give a float32 output and float32 gradients, close to float64's, and
    no local partial of a float32 graph is silently computed in float64 (the leaf's cast
    back would hide a backward done in float64), also when the backward is recorded."""
    arrays, params = data.draw(cases(spec))
    if run_ref(spec, arrays, params)[1] is not None:
        return
    with _quiet(spec.quiet):
        prop.check_float32(spec.fn, spec.ref, arrays, params, seed, name=spec.name)


# ------------------------------------------------------------------ PyTorch's double backward
# Each row's op in PyTorch: torch_fn(torch, *tensors, **params), the same params as the row.


def _torch_reduce(f, x, axis, keepdims, **kwargs):
    """A reduction over numpy's axis: torch reads dim=() as every axis, numpy as none."""
    axes = ops._norm_axes(axis, x.ndim, "reduce")
    if not axes:
        return f(x.unsqueeze(0), dim=0, **kwargs)  # over a new axis of one: the value itself
    return f(x, dim=axes, keepdim=keepdims, **kwargs)


def _positions(shape, index):
    """Where x[index] reads, as flat positions of x: any numpy index, in torch's terms."""
    # a copy: a negative step gives negative strides, which torch cannot take
    return np.array(_getitem_ref(np.arange(math.prod(shape)).reshape(shape), index, False))


def _torch_getitem(torch, x, index, as_tensor):
    return x.reshape(-1)[torch.as_tensor(_positions(tuple(x.shape), index))]


def _torch_setitem(torch, x, v, index):
    pos = _positions(tuple(x.shape), index)
    out = x.reshape(-1).clone()
    out[torch.as_tensor(pos.reshape(-1))] = v.expand(pos.shape).reshape(-1)
    return out.reshape(x.shape)


def _torch_scatter_add(torch, v, index, shape):
    pos = torch.as_tensor(_positions(shape, index).reshape(-1))
    out = torch.zeros(math.prod(shape), dtype=v.dtype)
    return out.index_put((pos,), v.reshape(-1), accumulate=True).reshape(shape)


def _torch_transpose(torch, x, axes, style):
    if style == "args" and len(axes) == 2:
        return x.transpose(*axes)
    perm = tuple(reversed(range(x.ndim))) if axes is None else axes
    return x.permute(*perm) if x.ndim else x.clone()


TORCH = {
    "add": lambda torch, x, y: x + y,
    "sub": lambda torch, x, y: x - y,
    "mul": lambda torch, x, y: x * y,
    "div": lambda torch, x, y: x / y,
    "pow": lambda torch, x, y: x ** y,
    "pow_const": lambda torch, x, c: x ** c,
    "neg": lambda torch, x: -x,
    "matmul": lambda torch, x, y: x @ y,
    "exp": lambda torch, x: x.exp(),
    "log": lambda torch, x: x.log(),
    "sqrt": lambda torch, x: x.sqrt(),
    "abs": lambda torch, x: x.abs(),
    "tanh": lambda torch, x: x.tanh(),
    "sigmoid": lambda torch, x: x.sigmoid(),
    "erf": lambda torch, x: x.erf(),
    "relu": lambda torch, x: x.relu(),
    "maximum": lambda torch, x, y: torch.maximum(x, y),
    "minimum": lambda torch, x, y: torch.minimum(x, y),
    "where": lambda torch, x, y, cond, cond_as_tensor: torch.where(torch.as_tensor(cond), x, y),
    "clip": lambda torch, x, lo, hi: x.clone() if lo is None and hi is None else x.clamp(lo, hi),
    "cast": lambda torch, x: x.to(torch.float64),
    "sum": lambda torch, x, axis, keepdims: _torch_reduce(torch.sum, x, axis, keepdims),
    "mean": lambda torch, x, axis, keepdims: _torch_reduce(torch.mean, x, axis, keepdims),
    "max": lambda torch, x, axis, keepdims: _torch_reduce(torch.amax, x, axis, keepdims),
    "min": lambda torch, x, axis, keepdims: _torch_reduce(torch.amin, x, axis, keepdims),
    "logsumexp": lambda torch, x, axis, keepdims: _torch_reduce(torch.logsumexp, x, axis,
                                                                keepdims),
    "softmax": lambda torch, x, axis: x.softmax(dim=axis),
    "log_softmax": lambda torch, x, axis: x.log_softmax(dim=axis),
    "reshape": lambda torch, x, shape, as_args: x.reshape(shape),
    "transpose": _torch_transpose,
    "getitem": _torch_getitem,
    "scatter_add": _torch_scatter_add,
    "setitem": _torch_setitem,
    "linear": lambda torch, x, w, b: torch.nn.functional.linear(x, w, b),
    "cross_entropy": lambda torch, z, targets, reduction: torch.nn.functional.cross_entropy(
        z, torch.as_tensor(targets), reduction=reduction),
    "binary_cross_entropy": lambda torch, p, y: torch.nn.functional.binary_cross_entropy(
        p, y, reduction="none"),
    "exp2": lambda torch, x: x.exp2(),
    "expm1": lambda torch, x: x.expm1(),
    "log1p": lambda torch, x: x.log1p(),
    "square": lambda torch, x: x.square(),
    "var": lambda torch, x, axis, keepdims, correction: _torch_reduce(
        torch.var, x, axis, keepdims, correction=correction),
    "std": lambda torch, x, axis, keepdims, correction: _torch_reduce(
        torch.std, x, axis, keepdims, correction=correction),
    "norm": lambda torch, x, axis, keepdims: _torch_reduce(torch.linalg.vector_norm, x, axis,
                                                           keepdims),
    "expand": lambda torch, x, sizes, as_args: x.expand(sizes),
    "repeat": lambda torch, x, reps: x.repeat(*reps) if reps else x.clone(),
    "permute": lambda torch, x, dims, as_args: x.permute(*dims) if dims else x.clone(),
    "transpose_swap": lambda torch, x, d0, d1: x.transpose(d0, d1),
    "unsqueeze": lambda torch, x, dim: x.unsqueeze(dim),
    "squeeze": lambda torch, x, dim: x.squeeze() if dim is None else x.squeeze(dim),
    "flatten": lambda torch, x, start, end: x.flatten(start, end),
    "concatenate": lambda torch, *xs, axis: torch.cat(xs, dim=axis),
    "stack": lambda torch, *xs, axis: torch.stack(xs, dim=axis),
}

# Examples where PyTorch's double backward is knowingly not followed. PyTorch's ∂(x^y)/∂x
# is where(y == 0, 0, y·x^(y-1)): the mask kills the mixed derivative ∂²/∂y∂x = 1/x at
# y = 0, which the other order (∂/∂x of x^y ln x) does give, so its Hessian is not
# symmetric there; micrograd's agrees with finite differences instead.
TORCH_DIFFERS = {"pow": lambda x, y: bool(np.any(y == 0))}


def test_every_row_has_a_torch_spelling():
    assert sorted(set(IDS) - set(TORCH)) == []
    assert sorted(set(TORCH) - set(IDS)) == []


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@SECOND_ORDER
@given(data=st.data(), seed=SEEDS)
def test_second_derivatives_match_torch(spec, data, seed):
    """The recorded first gradient and the gradient of a random linear function of it, with
    respect to the inputs and to the upstream gradient, equal PyTorch's double backward."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the double-backward "
                                "cross-check against it is skipped")
    arrays, params = data.draw(cases(spec))
    if run_ref(spec, arrays, params)[1] is not None:
        return
    if spec.name in TORCH_DIFFERS and TORCH_DIFFERS[spec.name](*arrays):
        return
    rng = np.random.default_rng(seed)
    with _quiet(spec.quiet):
        upstream = rng.standard_normal(spec.fn(*[Tensor(a) for a in arrays], **params).shape)
        weights = [rng.standard_normal(a.shape) for a in arrays]
        ours = second_derivatives(lambda *ts: spec.fn(*ts, **params),
                                  [Tensor(a, requires_grad=True) for a in arrays],
                                  upstream, weights)
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    g = torch.tensor(upstream, requires_grad=True)
    out = TORCH[spec.name](torch, *xs, **params)
    firsts = torch.autograd.grad(out, xs, g, create_graph=True, allow_unused=True)
    phi = sum((torch.tensor(w) * v).sum() for w, v in zip(weights, firsts, strict=True) if v is not None)
    seconds = [None] * (len(xs) + 1)
    if isinstance(phi, torch.Tensor) and phi.requires_grad:
        seconds = torch.autograd.grad(phi, [*xs, g], allow_unused=True)
    theirs = ([np.zeros(a.shape) if v is None else v.detach().numpy(force=True) for v, a in
               zip(firsts, arrays, strict=True)],
              [np.zeros(a.shape) if v is None else v.detach().numpy(force=True) for v, a in
               zip(seconds, [*arrays, upstream], strict=True)])
    for kind, mine, torch_values in zip(("first gradient", "second derivative"), ours, theirs,
                                        strict=True):
        for k, (a, b) in enumerate(zip(mine, torch_values, strict=True)):
            scale = max(1.0, float(np.abs(b).max(initial=0)))
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10 * scale, equal_nan=True,
                                       err_msg=f"{spec.name}: {kind}, variable {k} "
                                               "(the last is the upstream gradient)")


# --------------------------------------------------------------------------- casts


@pytest.mark.parametrize("src,dst", [(np.float32, np.float64), (np.float64, np.float32),
                                     (np.float32, np.float32)])
def test_casts(src, dst):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(src)
    x = Tensor(a, requires_grad=True)
    y = x.astype(dst)
    assert y.dtype == dst and type(y.grad_fn) is ops.Cast
    np.testing.assert_array_equal(y.data, a.astype(dst))
    G = rng.standard_normal((3, 4)).astype(dst)
    y.backward(gradient=G)
    assert x.grad.dtype == src
    np.testing.assert_array_equal(x.grad, G.astype(src))  # ∂ cast = 1, exactly


def test_float_and_double_shorthands():
    x = Tensor(np.arange(3.0), requires_grad=True)
    assert x.float().dtype == np.float32
    assert x.float().double().dtype == np.float64


# --------------------------------------------------------------------------- reflected operators


def _leaf(shape=(3,), lo=0.5, hi=2.0, seed=1):
    return Tensor(np.random.default_rng(seed).uniform(lo, hi, shape), requires_grad=True)


@pytest.mark.parametrize("expr,value,dgrad", [
    ("2 + t", lambda x: 2 + x, lambda x: np.ones_like(x)),
    ("2 - t", lambda x: 2 - x, lambda x: -np.ones_like(x)),
    ("2 * t", lambda x: 2 * x, lambda x: np.full_like(x, 2)),
    ("2 / t", lambda x: 2 / x, lambda x: -2 / x**2),
    ("3 ** t", lambda x: 3.0 ** x, lambda x: 3.0 ** x * np.log(3.0)),
    ("t ** 2", lambda x: x**2, lambda x: 2 * x),
    ("t - 2.5", lambda x: x - 2.5, lambda x: np.ones_like(x)),
    ("t / 4", lambda x: x / 4, lambda x: np.full_like(x, 0.25)),
    ("A + t", None, None), ("A - t", None, None), ("A * t", None, None), ("A / t", None, None),
    ("A ** t", None, None),
])
def test_reflected_with_numbers_and_arrays(expr, value, dgrad):
    x = np.random.default_rng(1).uniform(0.5, 2.0, (3,))
    A = np.array([1.5, 2.0, 0.75])
    t = Tensor(x.copy(), requires_grad=True)
    out = eval(expr, {"t": t, "A": A})
    assert isinstance(out, Tensor), f"{expr} gave {type(out).__name__}, not a Tensor"
    if value is None:  # an array on the left: numpy must defer to the Tensor
        expected = eval(expr, {"t": x, "A": A})
        rules = {"+": np.ones_like(x), "-": -np.ones_like(x), "*": A, "/": -A / x**2,
                 "**": A**x * np.log(A)}
        grad = rules[expr.split()[1]]
    else:
        expected, grad = value(x), dgrad(x)
    np.testing.assert_allclose(out.data, expected, rtol=1e-14)
    G = np.array([0.3, -1.2, 2.0])
    out.backward(gradient=G)
    np.testing.assert_allclose(t.grad, G * grad, rtol=1e-12)


def test_array_matmul_tensor():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((2, 3))
    t = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    out = A @ t
    assert isinstance(out, Tensor) and type(out.grad_fn) is ops.MatMul
    np.testing.assert_allclose(out.data, A @ t.data, rtol=1e-14)
    G = rng.standard_normal((2, 4))
    out.backward(gradient=G)
    np.testing.assert_allclose(t.grad, A.T @ G, rtol=1e-12)
    # and on the right
    u = Tensor(A.copy(), requires_grad=True)
    B = rng.standard_normal((3, 4))
    (u @ B).backward(gradient=G)
    np.testing.assert_allclose(u.grad, G @ B.T, rtol=1e-12)


def test_python_number_keeps_float32():
    t = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for out in (t + 1.5, 2 - t, t * 3, 1 / (t + 1), t ** 2, 2.0 ** t, mg.maximum(t, 0.5)):
        assert out.dtype == np.float32, repr(out)


def test_integer_power_of_negative_base():
    x = np.array([-2.0, -0.5, 1.5])
    t = Tensor(x.copy(), requires_grad=True)
    (t ** 3).backward(gradient=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(t.grad, np.array([1.0, 2.0, 3.0]) * 3 * x**2, rtol=1e-14)
    assert np.isfinite(t.grad).all()


def test_repeated_integer_index_accumulates():
    t = Tensor(np.arange(4.0), requires_grad=True)
    t[[0, 2, 0, 0]].backward(gradient=np.array([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(t.grad, [1101.0, 0.0, 10.0, 0.0])


def test_boolean_mask_from_comparison():
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    t = Tensor(x.copy(), requires_grad=True)
    picked = t[t > 0]
    np.testing.assert_array_equal(picked.data, [2.0, 3.0])
    picked.backward(gradient=np.array([5.0, 7.0]))
    np.testing.assert_array_equal(t.grad, [[0.0, 5.0], [7.0, 0.0]])


# --------------------------------------------------------------------------- ties (kept out of the table)


def test_max_and_min_ties_share_the_gradient_equally():
    """At a tie the subgradient is split evenly, so it still sums to the upstream (as
    PyTorch's amax/amin do)."""
    x = Tensor(np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    x.max(axis=1).backward(gradient=np.array([6.0, 9.0]))
    np.testing.assert_allclose(x.grad, [[3.0, 0.0, 3.0], [3.0, 3.0, 3.0]], rtol=1e-15)
    y = Tensor(np.array([1.0, -2.0, -2.0]), requires_grad=True)
    y.min().backward()
    np.testing.assert_allclose(y.grad, [0.0, 0.5, 0.5], rtol=1e-15)


def test_maximum_and_minimum_ties_split_in_half():
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    mg.maximum(a, b).backward(gradient=np.array([2.0, 2.0, 2.0]))
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 0.0])
    a.zero_grad(), b.zero_grad()
    mg.minimum(a, b).backward(gradient=np.array([2.0, 2.0, 2.0]))
    np.testing.assert_array_equal(a.grad, [1.0, 2.0, 0.0])
    np.testing.assert_array_equal(b.grad, [1.0, 0.0, 2.0])


def test_relu_abs_clip_at_the_kink():
    """The documented choice at the kink: relu'(0) = 0, abs'(0) = 0, clip' = 1 on the bounds."""
    x = Tensor(np.array([0.0, -1.0, 2.0]), requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])
    x.zero_grad()
    abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, -1.0, 1.0])
    x.zero_grad()
    x.clip(-1.0, 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 0.0])
