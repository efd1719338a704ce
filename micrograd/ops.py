"""Every differentiable op: its forward and its local partials, side by side.

Conventions (see `engine.Function`):
  forward(self, *arrays, **options)  computes the output and saves what the partials need;
  backward(self, g, i)  returns g · ∂out/∂x_i, the vector-Jacobian product for input i;
  jvp(self, t, i)       returns ∂out/∂x_i · t, the Jacobian-vector product for input i;
  partial(self, i)      for elementwise ops only: the elementwise derivative ∂out/∂x_i,
                        from which the engine derives backward and jvp.
  backward_t(self, g, i, out), partial_t(self, i, out)
                        the same formulas once more on tensors (the inputs are
                        self.parents, the output is out), built from recorded ops, for
                        create_graph=True: the backward pass can then be differentiated.
Broadcasting is undone once, by the engine (`autograd.unbroadcast`), not here:
a partial may return a gradient of the broadcast shape.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import engine as _engine
from .autograd import unbroadcast
from .engine import (
    _UNSET,
    Function,
    Tensor,
    _either,
    _lift,
    _pair,
    _reduce_args,
    _same_dtype,
    is_grad_enabled,
    no_grad,
)
from .errors import ArgumentError, DTypeError, MicrogradError, ShapeError

# ----------------------------------------------------------------- dtype guards


def _as_float(x: np.ndarray) -> np.ndarray:
    """x itself if floating or complex, else x as the default float (float32 unless
    set_default_dtype changed it).

    Integer inputs to exp/log/softmax-like ops are promoted as in PyTorch. numpy would
    pick float16 for 8-bit ints (exp of uint8 12 overflows there) and wrap unsigned ints
    around before it converts (-|x| of a uint8 is 256 - x)."""
    return x if x.dtype.kind in "fc" else x.astype(_engine._default_float)


def _refuse_complex(name: str, *arrays: np.ndarray) -> None:
    """Ops that compare values: complex numbers have no order (numpy's is lexicographic,
    which is no maximum anyone means), and PyTorch refuses them too."""
    for a in arrays:
        if a.dtype.kind == "c":
            raise DTypeError(
                f"{name}: complex numbers have no order, so {name} is not defined on a "
                f"tensor of dtype {a.dtype} (PyTorch refuses it too); apply it to abs() "
                "or to the real part instead")


def _refuse_non_float(name: str, x: np.ndarray) -> None:
    """softmax/log_softmax want a floating tensor, as in PyTorch."""
    if x.dtype.kind in "biu":
        raise DTypeError(
            f"{name}: needs a floating-point tensor, got dtype {x.dtype} (PyTorch refuses "
            f"integer and bool input too); convert first: x.astype(float), or x.float()")
    if x.dtype.kind == "c":
        raise DTypeError(f"{name}: not defined for complex tensors (got dtype {x.dtype}), "
                         "as in PyTorch; apply it to a real tensor, e.g. abs() or the real part")


# ----------------------------------------------------------------- arithmetic


class Add(Function):
    """z = x + y;  ∂z/∂x = ∂z/∂y = 1"""
    name = "add"

    def forward(self, x, y):
        return x + y

    def backward(self, g, i):
        return g

    def jvp(self, t, i):
        return t

    def backward_t(self, g, i, out):
        return g


class Sub(Function):
    """z = x - y;  ∂z/∂x = 1, ∂z/∂y = -1"""
    name = "sub"

    def forward(self, x, y):
        return x - y

    def backward(self, g, i):
        return g if i == 0 else -g

    jvp = backward

    def backward_t(self, g, i, out):
        return g if i == 0 else -g


class Neg(Function):
    """z = -x;  ∂z/∂x = -1"""
    name = "neg"

    def forward(self, x):
        return -x

    def backward(self, g, i):
        return -g

    jvp = backward

    def backward_t(self, g, i, out):
        return -g


class Mul(Function):
    """z = x · y;  ∂z/∂x = y, ∂z/∂y = x"""
    name = "mul"

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def partial(self, i):
        return self.y if i == 0 else self.x

    def partial_t(self, i, out):
        x, y = self.parents
        return y if i == 0 else x


class Div(Function):
    """z = x / y;  ∂z/∂x = 1/y, ∂z/∂y = -x/y²"""
    name = "div"

    def forward(self, x, y):
        self.x, self.y = x, y
        z = x / y
        if z.dtype == np.float64 and x.dtype.kind in "biu" and y.dtype.kind in "biu":
            z = z.astype(_engine._default_float, copy=False)  # int / int: the default float
        return z

    # g / y, not g · (1/y): 1/y overflows to inf for a subnormal float32 y (below about
    # 3e-39), and then a zero or tiny g gives nan or inf where g / y is the right number.
    def backward(self, g, i):
        return g / self.y if i == 0 else -g * self.x / (self.y * self.y)

    def jvp(self, t, i):
        return t / self.y if i == 0 else -t * self.x / (self.y * self.y)

    def backward_t(self, g, i, out):
        x, y = self.parents
        return g / y if i == 0 else -g * out / y  # -x/y² = -z/y


class Pow(Function):
    """z = x^y;  ∂z/∂x = y·x^(y-1) (0 where y = 0), ∂z/∂y = x^y·ln x (0 where x = 0 ≤ y)"""
    name = "pow"

    def forward(self, x, y):
        self.x, self.y = x, y
        self.z = z = x ** y
        return z

    def partial(self, i):
        x, y = self.x, self.y
        if i == 0:
            # x⁰ = 1 is constant, but y·x^(y-1) is 0·0⁻¹ = nan at x = 0: PyTorch's 0.
            # Where y = 0 the base is replaced by 1, which the factor y = 0 then cancels.
            at_zero = y == 0
            if at_zero.any():
                x = np.where(at_zero, 1, x)
            return y * x ** (y - 1)
        # At x = 0, z·ln x is 0·(-inf) = nan for y > 0 (and 1·(-inf) at y = 0), where
        # PyTorch has where(x == 0 & y >= 0, 0, z·ln x); x replaced by 1 there gives
        # ln 1 = 0 without a warning. For y < 0, 0^y = inf and the partial is -inf, as
        # in PyTorch. (np.real: y ≥ 0 on complex would be numpy's lexicographic order.)
        at_zero = (x == 0) & (np.real(y) >= 0)
        if at_zero.any():
            x = np.where(at_zero, 1, x)
        return self.z * np.log(x)

    def partial_t(self, i, out):
        x, y = self.parents
        if i == 0:
            # The base becomes 1 only where x = y = 0 (0·0⁻¹ = nan there): at y = 0 ≠ x
            # the mixed derivative ∂²z/∂y∂x = 1/x needs the true x. (PyTorch masks every
            # y = 0 and gets 0 there, so its Hessian of x^y is not symmetric at y = 0.)
            return y * _ones_where((self.x == 0) & (self.y == 0), x) ** (y - 1)
        return out * _ones_where((self.x == 0) & (self.y >= 0), x).log()


class MatMul(Function):
    """z = x @ y (numpy matmul rules);  ∂L/∂x = g @ yᵀ, ∂L/∂y = xᵀ @ g"""
    name = "matmul"

    def forward(self, x, y):
        self.x, self.y = x, y
        return np.matmul(x, y)

    def backward(self, g, i):
        x, y = self.x, self.y
        if x.ndim == 2 and y.ndim == 2:  # the common case, without the general one's calls
            return g @ y.T if i == 0 else x.T @ g
        return _matmul_vjp(g, x, y, i, np.matmul, lambda a: np.swapaxes(a, -1, -2))

    def jvp(self, t, i):
        return np.matmul(t, self.y) if i == 0 else np.matmul(self.x, t)

    def backward_t(self, g, i, out):
        x, y = self.parents
        return _matmul_vjp(g, x, y, i, MatMul.apply, _swap_last)

    def flops(self, out_size, in_size, i=None):
        # Each output entry is a dot product over the contracted axis: 2mnk in all.
        return 2 * out_size * self.x.shape[-1]


def _matmul_vjp(g: Any, x: Any, y: Any, i: int, matmul: Any, swap_last: Any) -> Any:
    """g @ yᵀ (i = 0) or xᵀ @ g (i = 1) for operands of any rank, written once for arrays
    (np.matmul) and for tensors (MatMul.apply): 1-D operands are promoted to matrices (a
    row for x, a column for y), as numpy does, and the added axis is removed again."""
    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y
    g2 = g[..., None] if y.ndim == 1 else g
    if x.ndim == 1:
        g2 = g2[..., None, :]
    if i == 0:
        gx = matmul(g2, swap_last(y2))
        return gx[..., 0, :] if x.ndim == 1 else gx
    gy = matmul(swap_last(x2), g2)
    return gy[..., 0] if y.ndim == 1 else gy


def _swap_last(t: Tensor) -> Tensor:
    """t with its last two axes swapped (the matrix transpose of each matrix in a stack)."""
    axes = list(range(t.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return Transpose.apply(t, axes=tuple(axes))


def _constant(a: Any, like: Tensor) -> Tensor:
    """a (a mask, a sign, a weight) as a tensor of like's dtype outside the graph. The
    derivative of a piecewise op is constant between its kinks, so its own derivative is
    0 almost everywhere, as in PyTorch."""
    return Tensor(a, dtype=like.dtype)


def _ones_where(mask: np.ndarray, x: Tensor) -> Tensor:
    """x with 1 where mask is true (recorded only when the mask hits): a safe base for a
    power or a log at a point where the formula is 0·∞ and the limit is meant."""
    return where(mask, 1.0, x) if mask.any() else x


# ----------------------------------------------------------------- elementwise functions


class Exp(Function):
    """z = eˣ;  ∂z/∂x = eˣ = z"""
    name = "exp"

    def forward(self, x):
        self.z = np.exp(_as_float(x))
        return self.z

    def partial(self, i):
        return self.z

    def partial_t(self, i, out):
        return out


class Exp2(Function):
    """z = 2ˣ;  ∂z/∂x = 2ˣ ln 2 = z ln 2"""
    name = "exp2"

    def forward(self, x):
        self.z = np.exp2(_as_float(x))
        return self.z

    def partial(self, i):
        return self.z * _LN2  # a Python float, so float32 stays float32

    def partial_t(self, i, out):
        return out * _LN2


_LN2 = math.log(2.0)


class Expm1(Function):
    """z = eˣ - 1 (exact for tiny x, where exp(x) - 1 loses every digit);  ∂z/∂x = eˣ = z + 1"""
    name = "expm1"

    def forward(self, x):
        self.z = np.expm1(_as_float(x))
        return self.z

    def partial(self, i):
        return self.z + 1

    def partial_t(self, i, out):
        return out + 1.0


class Log(Function):
    """z = ln x;  ∂z/∂x = 1/x"""
    name = "log"

    def forward(self, x):
        self.x = x = _as_float(x)
        return np.log(x)

    # g / x, not g · (1/x): see Div.
    def backward(self, g, i):
        return g / self.x

    def jvp(self, t, i):
        return t / self.x

    def backward_t(self, g, i, out):
        return g / self.parents[0]


class Log1p(Function):
    """z = ln(1 + x) (exact for tiny x, where log(1 + x) loses every digit);  ∂z/∂x = 1/(1 + x)"""
    name = "log1p"

    def forward(self, x):
        self.x = x = _as_float(x)
        return np.log1p(x)

    def partial(self, i):
        return 1.0 / (1.0 + self.x)

    def partial_t(self, i, out):
        return 1.0 / (1.0 + self.parents[0])


class Sqrt(Function):
    """z = √x;  ∂z/∂x = 1/(2√x)"""
    name = "sqrt"

    def forward(self, x):
        self.z = np.sqrt(_as_float(x))
        return self.z

    def partial(self, i):
        return 0.5 / self.z

    def partial_t(self, i, out):
        return 0.5 / out


class Abs(Function):
    """z = |x|;  ∂z/∂x = sign(x) (0 at 0)"""
    name = "abs"

    def forward(self, x):
        self.x = x
        return np.abs(x)

    def partial(self, i):
        return np.sign(self.x)

    def partial_t(self, i, out):
        return _constant(np.sign(self.x), out)  # piecewise constant: its derivative is 0


class Tanh(Function):
    """z = tanh x;  ∂z/∂x = 1 - tanh²x = 1 - z²"""
    name = "tanh"

    def forward(self, x):
        self.z = np.tanh(_as_float(x))
        return self.z

    def partial(self, i):
        z = self.z
        return 1.0 - z * z

    def partial_t(self, i, out):
        return 1.0 - out * out


class Sigmoid(Function):
    """z = σ(x) = 1/(1+e⁻ˣ);  ∂z/∂x = z(1 - z)"""
    name = "sigmoid"

    def forward(self, x):
        x = _as_float(x)  # -|x| of an unsigned int wraps around
        if x.dtype.kind == "c":  # |x| and x ≥ 0 below would make a complex x real
            self.z = 1 / (1 + np.exp(-x))
            return self.z
        # exp(-|x|) never overflows, and e/(1+e) keeps full relative precision
        # in the negative tail, where 1 - 1/(1+e) would round to 0.
        e = np.exp(-np.abs(x))
        self.z = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.z

    def partial(self, i):
        z = self.z
        return z * (1 - z)

    def partial_t(self, i, out):
        return out * (1.0 - out)  # from the stable z, as partial


# math.erf is correctly rounded to about 1 ulp; numpy has no erf and scipy is not a
# dependency. frompyfunc calls it once per entry (~0.2 µs each, some 50× np.exp), which
# is fine for activations of learning-sized models and never gives a wrong digit.
_erf_entries = np.frompyfunc(math.erf, 1, 1)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Function):
    """z = erf x = (2/√π) ∫₀ˣ e^(-s²) ds;  ∂z/∂x = (2/√π) e^(-x²)"""
    name = "erf"

    def forward(self, x):
        _refuse_complex(self.name, x)  # math.erf is real-only
        self.x = x = _as_float(x)
        return np.asarray(_erf_entries(x), dtype=x.dtype)

    def partial(self, i):
        x = self.x
        return _TWO_OVER_SQRT_PI * np.exp(-(x * x))  # a Python float keeps float32

    def partial_t(self, i, out):
        x = self.parents[0]
        return (-(x * x)).exp() * _TWO_OVER_SQRT_PI


class Relu(Function):
    """z = max(x, 0);  ∂z/∂x = 1 if x > 0 else 0"""
    name = "relu"

    def forward(self, x):
        _refuse_complex(self.name, x)
        self.x = x
        return np.maximum(x, 0)

    def partial(self, i):
        return (self.x > 0).astype(self.x.dtype)

    def partial_t(self, i, out):
        return _constant(self.x > 0, out)  # a mask: its derivative is 0


class Maximum(Function):
    """z = max(x, y);  ∂z/∂x = 1 where x > y, ½ where x = y, 0 elsewhere"""
    name = "maximum"
    pick = staticmethod(np.maximum)
    beats = staticmethod(np.greater)

    def forward(self, x, y):
        _refuse_complex(self.name, x, y)
        self.x, self.y = x, y
        return self.pick(x, y)

    def partial(self, i):
        x, y = (self.x, self.y) if i == 0 else (self.y, self.x)
        # Ties share the gradient, so the two partials still sum to 1.
        return (self.beats(x, y) + 0.5 * (x == y)).astype(np.result_type(x, y), copy=False)

    def partial_t(self, i, out):
        return _constant(self.partial(i), out)  # a mask: its derivative is 0


class Minimum(Maximum):
    """z = min(x, y);  ∂z/∂x = 1 where x < y, ½ where x = y, 0 elsewhere"""
    name = "minimum"
    pick = staticmethod(np.minimum)
    beats = staticmethod(np.less)


class Where(Function):
    """z = x where cond else y;  ∂z/∂x = cond, ∂z/∂y = not cond"""
    name = "where"

    def forward(self, x, y, cond):
        # A copy, never the caller's array: changed after the forward, it would
        # change the gradient that backward() computes later.
        self.cond = cond = np.array(cond, dtype=bool)
        return np.where(cond, x, y)

    def partial(self, i):
        return self.cond if i == 0 else ~self.cond

    def partial_t(self, i, out):
        return _constant(self.partial(i), out)  # a mask: its derivative is 0


class Clip(Function):
    """z = min(max(x, lo), hi);  ∂z/∂x = 1 inside [lo, hi], 0 outside"""
    name = "clip"

    def forward(self, x, lo=None, hi=None):
        _refuse_complex(self.name, x)
        lo, hi = clip_bounds(lo, hi)
        self.inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            self.inside &= x >= lo
        if hi is not None:
            self.inside &= x <= hi
        return np.clip(x, lo, hi)

    def partial(self, i):
        return self.inside

    def partial_t(self, i, out):
        return _constant(self.inside, out)  # a mask: its derivative is 0


def clip_bounds(lo: Any, hi: Any) -> tuple[Any, Any]:
    """clip's bounds as numpy takes them (also for clamp_, which writes in place), checked."""
    lo, hi = _bound(lo, "min"), _bound(hi, "max")
    if lo is not None and hi is not None and np.any(np.asarray(lo) > np.asarray(hi)):
        raise ArgumentError(f"clip: min {lo} is greater than max {hi}; swap them")
    return lo, hi


def _bound(b: Any, which: str) -> Any:
    """A clip bound as numpy takes it. Its gradient is not computed, so a bound that
    requires grad is refused rather than silently treated as a constant."""
    if not isinstance(b, Tensor):
        return b  # numbers stay Python numbers, so that float32 stays float32
    if b.requires_grad:
        raise MicrogradError(
            f"clip: the {which} bound requires grad, but clip does not differentiate with "
            f"respect to its bounds; pass {which}=bound.detach(), or write "
            f"{'maximum' if which == 'min' else 'minimum'}(x, bound) to differentiate both")
    return np.asarray(b)


class Cast(Function):
    """z = x as another dtype;  ∂z/∂x = 1 (the gradient is cast back)"""
    name = "cast"

    @classmethod
    def apply(cls, x: Tensor, dtype: Any) -> Tensor:  # type: ignore[override]
        dtype = np.dtype(dtype)
        if dtype.kind in "biu":
            # Rounding to integers has no useful derivative: the result is outside the
            # graph and does not require grad, as with PyTorch's x.long().
            with no_grad():
                return super().apply(x, dtype=dtype)
        if dtype.kind == "c" and x.requires_grad and is_grad_enabled():
            # The ops' partials are not conjugated, so gradients through complex values
            # would be silently wrong; the engine refuses complex leaves for that reason.
            raise DTypeError(
                f"cast: cannot cast a tensor that requires grad to {dtype}: autograd does "
                "not support complex numbers; cast x.detach(), or cast under no_grad()")
        return super().apply(x, dtype=dtype)

    def forward(self, x, dtype):
        dtype = np.dtype(dtype)
        if dtype.kind not in "fcbiu":
            raise DTypeError(
                f"cast: a tensor holds numbers only, so it cannot be cast to dtype {dtype} "
                f"(from {x.dtype}); use a float, integer, bool or complex dtype, or "
                "x.numpy().astype(...) for other kinds of array")
        self.in_dtype, self.out_dtype = x.dtype, dtype
        return x.astype(dtype)

    def backward(self, g, i):
        # From a complex output back to a real input only the real part counts (PyTorch's
        # convention); astype alone would do the same but warn.
        if g.dtype.kind == "c" and self.in_dtype.kind != "c":
            g = g.real
        return g.astype(self.in_dtype, copy=False)

    def jvp(self, t, i):
        return t.astype(self.out_dtype, copy=False)

    def backward_t(self, g, i, out):
        return g if g.dtype == self.in_dtype else Cast.apply(g, dtype=self.in_dtype)


# ----------------------------------------------------------------- reductions


_ALL_AXES = [tuple(range(n)) for n in range(8)]


def _norm_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """axis (None, int or tuple, negatives allowed) as a sorted tuple of positive axes.

    As in PyTorch, a 0-d tensor takes axis 0 or -1 (its one value is its only slice):
    those reduce over no axis at all, so the result is the value itself."""
    if axis is None:
        return _ALL_AXES[ndim] if ndim < len(_ALL_AXES) else tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    n = max(ndim, 1)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise DTypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -n <= a < n:
            raise ShapeError(f"{op}: axis {a} is out of range for a tensor of {ndim} "
                             f"dimension{'' if ndim == 1 else 's'} (valid axes: "
                             f"{-n} to {n - 1})")
        out.append(a % n)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: axis {axis} names the same axis twice")
    return tuple(sorted(int(a) for a in out)) if ndim else ()


def _expand(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Put back the reduced axes (as size 1) so that g broadcasts against the input."""
    return g if keepdims else np.expand_dims(g, axes)


def _expand_t(g: Tensor, axes: tuple[int, ...], keepdims: bool) -> Tensor:
    """_expand on a tensor: the reduced axes put back as size 1 (a recorded reshape)."""
    if keepdims:
        return g
    shape = list(g.shape)
    for a in axes:  # ascending, so each lands where it was
        shape.insert(a, 1)
    return Reshape.apply(g, shape=tuple(shape))


def _spread(g: np.ndarray, kept_shape: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    """g (the reduced shape) copied back over every position that was reduced."""
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g.reshape(kept_shape)  # faster than np.broadcast_to for small arrays
    return out


class Sum(Function):
    """z = Σ x over axis;  ∂z/∂x = 1 (the gradient is spread back over the summed axes)"""
    name = "sum"

    def forward(self, x, axis=None, keepdims=False):
        self.axes = axes = _norm_axes(axis, x.ndim, self.name)
        self.keepdims = keepdims
        self.shape = x.shape
        self.kept_shape = tuple(1 if k in axes else n for k, n in enumerate(x.shape))
        # numpy's whole-array sum (axis=None) is faster than naming every axis.
        return x.sum(axis=None if axis is None else axes, keepdims=keepdims)

    def backward(self, g, i):
        return _spread(g, self.kept_shape, self.shape)

    def jvp(self, t, i):
        return t.sum(axis=self.axes, keepdims=self.keepdims)

    def backward_t(self, g, i, out):
        return Expand.apply(Reshape.apply(g, shape=self.kept_shape), shape=self.shape)


class Mean(Function):
    """z = (1/n) Σ x over axis;  ∂z/∂x = 1/n"""
    name = "mean"

    def forward(self, x, axis=None, keepdims=False):
        self.axes = axes = _norm_axes(axis, x.ndim, self.name)
        self.keepdims = keepdims
        self.shape = x.shape
        self.kept_shape = tuple(1 if k in axes else n for k, n in enumerate(x.shape))
        self.n = int(np.prod([x.shape[a] for a in axes]))
        z = x.mean(axis=None if axis is None else axes, keepdims=keepdims)
        if x.dtype.kind in "biu":  # averaged in float64, given as the default float
            z = np.asarray(z).astype(_engine._default_float, copy=False)
        return z

    def backward(self, g, i):
        return _spread(g / self.n, self.kept_shape, self.shape)

    def jvp(self, t, i):
        return t.mean(axis=self.axes, keepdims=self.keepdims)

    def backward_t(self, g, i, out):
        # Spread, then divide (as PyTorch): over an empty axis nothing is divided by n = 0,
        # so the derivative with respect to g is 0, not 0·(1/0) = nan.
        return Expand.apply(Reshape.apply(g, shape=self.kept_shape), shape=self.shape) / self.n


class Max(Function):
    """z = max x over axis;  ∂z/∂x = 1/k at the k entries equal to the max (the k nans of
    a slice that has any: nan is its max), 0 elsewhere"""
    name = "max"
    reduce = staticmethod(np.max)

    def forward(self, x, axis=None, keepdims=False):
        _refuse_complex(self.name, x)
        axes = _norm_axes(axis, x.ndim, self.name)
        self.axes, self.keepdims = axes, keepdims
        z = self.reduce(x, axis=axes, keepdims=True)
        # Integer and bool tensors cannot require grad: nothing to prepare for them.
        if x.dtype.kind == "f":
            hit = x == z
            # nan is the max of a slice that holds one (numpy and PyTorch propagate it),
            # yet nan == nan is false: the gradient goes to the nans, as in PyTorch's max().
            if np.isnan(z).any():
                hit |= np.isnan(x)
            weight = hit.astype(x.dtype)
            # Ties share the gradient equally, so it still sums to 1 over each slice.
            weight /= weight.sum(axis=axes, keepdims=True)
            self.weight = weight
        return z if keepdims else np.squeeze(z, axis=axes)

    def backward(self, g, i):
        return _expand(g, self.axes, self.keepdims) * self.weight

    def jvp(self, t, i):
        return (t * self.weight).sum(axis=self.axes, keepdims=self.keepdims)

    def backward_t(self, g, i, out):
        # The weights are piecewise constant (a mask over the k maxima, / k): derivative 0.
        return _expand_t(g, self.axes, self.keepdims) * _constant(self.weight, g)


class Min(Max):
    """z = min x over axis;  ∂z/∂x = 1/k at the k entries equal to the min (the k nans of
    a slice that has any: nan is its min), 0 elsewhere"""
    name = "min"
    reduce = staticmethod(np.min)


def _refuse_non_real_float(name: str, x: np.ndarray) -> None:
    """var/std/norm want a real floating tensor: PyTorch refuses integer input too, and
    the gradients here are not written for complex numbers."""
    if x.dtype.kind != "f":
        raise DTypeError(f"{name}: needs a floating-point tensor, got dtype {x.dtype}; "
                         "convert first: x.float() or x.double()")


class Var(Function):
    """z = Σ (x - x̄)² / (n - c) over axis, c the correction (PyTorch's default 1);
    ∂z/∂x = 2 (x - x̄) / (n - c)"""
    name = "var"

    def forward(self, x, axis=None, keepdims=False, correction=1):
        _refuse_non_real_float(self.name, x)
        self.axes = axes = _norm_axes(axis, x.ndim, self.name)
        self.keepdims = keepdims
        n = math.prod(x.shape[a] for a in axes)
        # n - c ≤ 0 leaves no degrees of freedom: the variance is nan or inf, as in
        # PyTorch and numpy, which both warn; so does this one warning.
        dof = max(n - correction, 0)
        if dof <= 0:
            warnings.warn(f"var: {n} entries per slice with correction={correction} leave no "
                          "degrees of freedom (n - correction <= 0); the result is nan or inf",
                          RuntimeWarning, stacklevel=3)
        centered = x - x.mean(axis=axes, keepdims=True) if n else x
        with np.errstate(divide="ignore", invalid="ignore"):
            # The partial 2(x - x̄)/(n - c), a Python float factor keeping float32.
            self.scale = 2.0 / dof if dof else math.inf
            self.dz = centered * self.scale
            return np.asarray((centered * centered).sum(axis=axes, keepdims=keepdims) / dof,
                              dtype=x.dtype)

    def backward(self, g, i):
        return _expand(g, self.axes, self.keepdims) * self.dz

    def jvp(self, t, i):
        return (t * self.dz).sum(axis=self.axes, keepdims=self.keepdims)

    def backward_t(self, g, i, out):
        x = self.parents[0]
        centered = x - x.mean(axis=self.axes, keepdims=True) if x.numel() else x
        return _expand_t(g, self.axes, self.keepdims) * centered * self.scale


class Norm(Function):
    """z = √(Σ x²) over axis, the 2-norm;  ∂z/∂x = x / z (0 where z = 0: PyTorch's subgradient)"""
    name = "norm"

    def forward(self, x, axis=None, keepdims=False):
        _refuse_non_real_float(self.name, x)
        self.axes = axes = _norm_axes(axis, x.ndim, self.name)
        self.keepdims = keepdims
        self.x = x
        self.z = z = np.sqrt((x * x).sum(axis=axes, keepdims=True))
        return z if keepdims else np.squeeze(z, axis=axes)

    def _unit(self):
        """x / z, with z replaced by 1 where it is 0 (there x is all zeros, so the
        quotient is the subgradient 0 and no 0/0 warning is raised)."""
        z = self.z
        return self.x / np.where(z == 0, 1, z).astype(z.dtype, copy=False)

    def backward(self, g, i):
        return _expand(g, self.axes, self.keepdims) * self._unit()

    def jvp(self, t, i):
        return (t * self._unit()).sum(axis=self.axes, keepdims=self.keepdims)

    def backward_t(self, g, i, out):
        g, z = _expand_t(g, self.axes, self.keepdims), _expand_t(out, self.axes, self.keepdims)
        zero = self.z == 0
        if zero.any():  # x/z = 0/0 there: the subgradient 0, with derivative 0 (PyTorch's)
            g, z = g * _constant(~zero, g), where(zero, 1.0, z)
        return g / z * self.parents[0]


def shifted_exp(x: np.ndarray, axis: Any, finite_max: bool = False) -> tuple[np.ndarray, ...]:
    """(m, x - m, e^(x - m), Σ e^(x - m)) over axis, m the max there (dims kept).

    Softmax and log-sum-exp do not change when x is shifted, and after the shift the
    largest exponent is e⁰ = 1, so nothing overflows. With finite_max, a row whose max
    is not finite (all -inf, say) is left unshifted, so that log-sum-exp gives -inf
    there instead of nan (softmax has no value there either way).
    Integer input is computed in the default float: x - m would wrap around for unsigned ints.
    For complex x, m is the max of the real parts: a real shift keeps log-sum-exp on
    the principal branch of the log, as log(Σ eˣ) and PyTorch have it.
    """
    x = _as_float(x)
    r = x.real if x.dtype.kind == "c" else x
    if x.size:
        m = r.max(axis=axis, keepdims=True)
    else:  # numpy's max has no value for an empty axis unless given a floor
        m = np.max(r, axis=axis, keepdims=True, initial=-np.inf)
    if finite_max:
        m = np.where(np.isfinite(m), m, 0)
    shifted = x - m
    e = np.exp(shifted)
    return m, shifted, e, e.sum(axis=axis, keepdims=True)


class LogSumExp(Function):
    """z = log Σ eˣ over axis (shifted by the max, so it never overflows);  ∂z/∂x = softmax(x)"""
    name = "logsumexp"

    def forward(self, x, axis=None, keepdims=False):
        axes = _norm_axes(axis, x.ndim, self.name)
        self.axes, self.keepdims = axes, keepdims
        # Integer input is promoted to the default float (in shifted_exp), as in PyTorch.
        m, _, e, s = shifted_exp(x, axes, finite_max=True)
        self.softmax = e / s
        z = np.log(s) + m
        return z if keepdims else np.squeeze(z, axis=axes)

    def backward(self, g, i):
        return _expand(g, self.axes, self.keepdims) * self.softmax

    def jvp(self, t, i):
        return (t * self.softmax).sum(axis=self.axes, keepdims=self.keepdims)

    def backward_t(self, g, i, out):
        softmax = (self.parents[0] - _expand_t(out, self.axes, self.keepdims)).exp()
        return _expand_t(g, self.axes, self.keepdims) * softmax


class Softmax(Function):
    """zᵢ = e^xᵢ / Σⱼ e^xⱼ;  ∂L/∂x = z ⊙ (g - Σ g ⊙ z)  (Jacobian diag(z) - z zᵀ, symmetric)"""
    name = "softmax"

    def forward(self, x, axis=-1):
        _refuse_non_float(self.name, x)
        self.axis = axis = _norm_axes(axis, x.ndim, self.name)
        _, _, e, s = shifted_exp(x, axis)
        self.z = e / s
        return self.z

    def backward(self, g, i):
        z = self.z
        return z * (g - (g * z).sum(axis=self.axis, keepdims=True))

    jvp = backward

    def backward_t(self, g, i, out):
        return out * (g - (g * out).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """zᵢ = xᵢ - log Σⱼ e^xⱼ;  ∂L/∂x = g - softmax(x) Σ g"""
    name = "log_softmax"

    def forward(self, x, axis=-1):
        _refuse_non_float(self.name, x)
        self.axis = axis = _norm_axes(axis, x.ndim, self.name)
        _, shifted, e, s = shifted_exp(x, axis)
        self.softmax = e / s
        return shifted - np.log(s)

    def backward(self, g, i):
        return g - self.softmax * g.sum(axis=self.axis, keepdims=True)

    def jvp(self, t, i):
        return t - (self.softmax * t).sum(axis=self.axis, keepdims=True)

    def backward_t(self, g, i, out):
        return g - out.exp() * g.sum(axis=self.axis, keepdims=True)  # softmax = e^out


# ----------------------------------------------------------------- shape and indexing


class Reshape(Function):
    """z = x with a new shape;  the gradient is reshaped back"""
    name = "reshape"

    def forward(self, x, shape):
        self.in_shape = x.shape
        z = x.reshape(shape)
        self.out_shape = z.shape
        return z

    def backward(self, g, i):
        return g.reshape(self.in_shape)

    def jvp(self, t, i):
        return t.reshape(self.out_shape)

    def backward_t(self, g, i, out):
        return Reshape.apply(g, shape=self.in_shape)


class Transpose(Function):
    """z = x with axes permuted;  the gradient is permuted back"""
    name = "transpose"

    def forward(self, x, axes=None):
        z = np.transpose(x, axes)  # numpy validates the permutation
        # Positive axes, so that argsort in backward inverts the permutation.
        self.axes = None if axes is None else tuple(a % x.ndim for a in axes)
        return z

    def backward(self, g, i):
        return np.transpose(g, None if self.axes is None else np.argsort(self.axes))

    def jvp(self, t, i):
        return np.transpose(t, self.axes)

    def backward_t(self, g, i, out):
        inverse = None if self.axes is None else tuple(int(a) for a in np.argsort(self.axes))
        return Transpose.apply(g, axes=inverse)


class Expand(Function):
    """z = x broadcast to a larger shape (a read-only view, no copy);
    ∂L/∂x = g summed over the axes that were broadcast"""
    name = "expand"

    def forward(self, x, shape):
        self.in_shape = x.shape
        self.out_shape = shape
        return np.broadcast_to(x, shape)

    def backward(self, g, i):
        return unbroadcast(g, self.in_shape)

    def jvp(self, t, i):
        return np.broadcast_to(t, self.out_shape)

    def backward_t(self, g, i, out):
        return unbroadcast(g, self.in_shape)


class Repeat(Function):
    """z = x tiled reps[k] times along axis k (PyTorch's repeat, numpy's tile);
    ∂L/∂x = the sum of g's tiles"""
    name = "repeat"

    def forward(self, x, reps):
        self.in_shape = x.shape
        self.reps = reps
        # More reps than axes tile over new leading axes of length 1.
        self.padded = (1,) * (len(reps) - x.ndim) + x.shape
        return np.tile(x, reps)

    def backward(self, g, i):
        # Axis k of g (length r·s) is r tiles of s: split it in two, sum over the tiles.
        split = [n for pair in zip(self.reps, self.padded, strict=True) for n in pair]
        tiles = tuple(range(0, len(split), 2))
        return g.reshape(split).sum(axis=tiles).reshape(self.in_shape)

    def jvp(self, t, i):
        return np.tile(t, self.reps)

    def backward_t(self, g, i, out):
        split = tuple(n for pair in zip(self.reps, self.padded, strict=True) for n in pair)
        tiles = Sum.apply(Reshape.apply(g, shape=split), axis=tuple(range(0, len(split), 2)))
        return Reshape.apply(tiles, shape=self.in_shape)


def _own_index(index: Any) -> Any:
    """index with every array in it copied (lists become arrays, as numpy reads them):
    the caller may change their array after the forward, and the gradient must still
    scatter to the positions the forward picked. Slices, ints, None and ... are immutable."""
    if isinstance(index, tuple):
        return tuple(_own_index(k) for k in index)
    if isinstance(index, (np.ndarray, list)):
        return np.array(index)
    return index


def _is_basic(index: Any) -> bool:
    """True when numpy's basic indexing applies: no position is picked twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis
               for k in items)


class GetItem(Function):
    """z = x[index];  ∂L/∂x scatters g back into zeros, adding where an index repeats"""
    name = "getitem"

    def forward(self, x, index):
        self.index = index = _own_index(index)
        self.shape, self.dtype = x.shape, x.dtype
        return x[index]

    def backward(self, g, i):
        out = np.zeros(self.shape, dtype=np.result_type(self.dtype, g.dtype))
        if _is_basic(self.index):
            out[self.index] = g
        else:
            np.add.at(out, self.index, g)  # repeated indices accumulate
        return out

    def jvp(self, t, i):
        return t[self.index]

    def backward_t(self, g, i, out):
        return ScatterAdd.apply(g, index=self.index, shape=self.shape)


class ScatterAdd(Function):
    """z = zeros(shape) with v added at index, repeated indices adding up: the adjoint of
    x[index] (what its gradient is, recorded);  ∂L/∂v = g[index]"""
    name = "scatter_add"

    def forward(self, v, index, shape):
        self.index = index = _own_index(index)
        self.shape = shape
        return _scatter_add(v, index, shape)

    def backward(self, g, i):
        return g[self.index]

    def jvp(self, t, i):
        return _scatter_add(t, self.index, self.shape)

    def backward_t(self, g, i, out):
        return GetItem.apply(g, index=self.index)


def _scatter_add(v: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=v.dtype)
    if _is_basic(index):
        out[index] = v
    else:
        np.add.at(out, index, v)  # repeated indices accumulate
    return out


class SetItem(Function):
    """z = x with z[index] = v (the in-place t[index] = v, recorded);
    ∂L/∂x = g with g[index] = 0, ∂L/∂v = g[index] (summed down to v's shape)"""
    name = "setitem"

    def forward(self, x, v, index):
        self.index = index = _own_index(index)  # a copy: see _own_index
        self.shape = x.shape
        out = x.copy()
        out[index] = v
        return out

    def backward(self, g, i):
        if i == 0:  # the entries written over do not depend on x
            g = np.array(g, copy=True)  # an array even when g is a 0-d numpy scalar
            g[self.index] = 0
            return g
        return np.asarray(g)[self.index]

    def jvp(self, t, i):
        out = np.array(t, copy=True) if i == 0 else np.zeros(self.shape, dtype=t.dtype)
        out[self.index] = 0 if i == 0 else t
        return out

    def backward_t(self, g, i, out):
        if i == 0:  # g with g[index] = 0, recorded as that very write
            return SetItem.apply(g, _constant(0, g), index=self.index)
        return GetItem.apply(g, index=self.index)


class Concatenate(Function):
    """z = [x₀, x₁, …] joined along axis;  input i's gradient is its slice of g"""
    name = "concatenate"

    def forward(self, *xs, axis=0):
        z = np.concatenate(xs, axis=axis)
        self.axis = axis % z.ndim
        self.bounds = np.cumsum([0] + [x.shape[self.axis] for x in xs])
        self.out_shape = z.shape
        return z

    def _slice(self, i):
        index = [slice(None)] * len(self.out_shape)
        index[self.axis] = slice(self.bounds[i], self.bounds[i + 1])
        return tuple(index)

    def backward(self, g, i):
        return g[self._slice(i)]

    def jvp(self, t, i):
        out = np.zeros(self.out_shape, dtype=t.dtype)
        out[self._slice(i)] = t
        return out

    def backward_t(self, g, i, out):
        return GetItem.apply(g, index=self._slice(i))


class Stack(Function):
    """z = [x₀, x₁, …] stacked on a new axis;  input i's gradient is g taken at i on that axis"""
    name = "stack"

    def forward(self, *xs, axis=0):
        z = np.stack(xs, axis=axis)
        self.axis = axis % z.ndim
        self.out_shape = z.shape
        return z

    def backward(self, g, i):
        return np.take(g, i, axis=self.axis)

    def jvp(self, t, i):
        out = np.zeros(self.out_shape, dtype=t.dtype)
        index = [slice(None)] * len(self.out_shape)
        index[self.axis] = i
        out[tuple(index)] = t
        return out

    def backward_t(self, g, i, out):
        return GetItem.apply(g, index=(slice(None),) * self.axis + (i,))


# ----------------------------------------------------------------- fused ops
# Two ops that could be written with the ones above, fused for speed: nn.Linear records
# one `linear` instead of a transpose, a matmul and an add, and cross-entropy one op
# whose partial is the lab's ŷ − y instead of softmax, log, indexing and a mean. A model
# built from them counts fewer partials than its unfused form (docs/complexity.md).


class FusedLinear(Function):
    """z = x Wᵀ + b in one op (nn.Linear's), W (out, in) as in PyTorch;
    ∂L/∂x = g W, ∂L/∂W = gᵀ x, ∂L/∂b = Σ_rows g"""
    name = "linear"

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        z = x @ w.T
        if b is not None:
            z += b  # z is a fresh array: add the bias in place
        return z

    def backward(self, g, i):
        if i == 0:
            return g @ self.w
        # Rows of a batched (…, in) input all count: fold the leading axes into one.
        g2 = g.reshape(-1, g.shape[-1])
        if i == 1:
            return g2.T @ self.x.reshape(-1, self.x.shape[-1])
        return g2.sum(axis=0)

    def jvp(self, t, i):
        if i == 0:
            return t @ self.w.T
        if i == 1:
            return self.x @ t.T
        return t  # the engine broadcasts it over the rows

    def backward_t(self, g, i, out):
        x, w = self.parents[0], self.parents[1]
        if i == 0:
            return MatMul.apply(g, w)
        g2 = Reshape.apply(g, shape=(-1, g.shape[-1]))
        if i == 1:
            return MatMul.apply(_swap_last(g2), Reshape.apply(x, shape=(-1, x.shape[-1])))
        return Sum.apply(g2, axis=0)

    def flops(self, out_size, in_size, i=None):
        if i == 2:  # the bias: g summed over the batch (its JVP: t spread over it)
            return out_size
        return 2 * out_size * self.w.shape[1]  # x @ wᵀ and its two partials: 2mnk each



class SoftmaxCrossEntropy(Function):
    """l = -Σᵢ yᵢ log softmax(z)ᵢ per row;  ∂l/∂z = softmax(z)·Σy - y  (= ŷ - y for one-hot y)"""
    name = "cross_entropy"

    def forward(self, z, labels=None, targets=None, reduction="mean"):
        """Targets are either integer `labels` (one per row) or a `targets` matrix of rows."""
        self.reduction = reduction
        _, shifted, e, s = shifted_exp(z, 1)
        p = e / s
        if labels is not None:
            # Picking the label's entry costs less than multiplying by a one-hot matrix.
            n, classes = z.shape
            at_label = np.arange(0, n * classes, classes) + labels  # flat positions, faster
            per_row = np.log(s[:, 0]) - shifted.reshape(-1)[at_label]
            p.reshape(-1)[at_label] -= 1  # ŷ - y: the softmax minus the one-hot row (lab Q15)
            self.dz = p
        else:
            per_row = -(targets * (shifted - np.log(s))).sum(axis=1)
            # ŷ Σy - y: the softmax minus the target row, when the targets sum to 1.
            self.mass = targets.sum(axis=1, keepdims=True)
            self.dz = p * self.mass - targets
        if reduction == "mean":
            self.dz /= len(z)
            return per_row.sum() / len(z)  # np.mean's Python wrapper costs more than this
        return per_row.sum() if reduction == "sum" else per_row

    def backward(self, g, i):
        return g[:, None] * self.dz if self.reduction == "none" else g * self.dz

    def jvp(self, t, i):
        per_row = (self.dz * t).sum(axis=1)
        return per_row if self.reduction == "none" else per_row.sum()

    mass = 1.0  # Σy of each row: 1 for labels; forward saves the rows' sums for targets

    def backward_t(self, g, i, out):
        # ∂l/∂z = (softmax(z) Σy - y) / n: its value is the saved dz, and it moves with z as
        # softmax does, times Σy / n (y is a constant). So dz + (p - p's value) Σy / n, the
        # bracket 0 but with softmax's derivative; nothing of the caller's targets is kept.
        p = Softmax.apply(self.parents[0], axis=1)
        n = len(p) if self.reduction == "mean" else 1
        dz = _constant(self.dz, p) + (p - _constant(p.data, p)) * _constant(self.mass / n, p)
        return (Reshape.apply(g, shape=(-1, 1)) if self.reduction == "none" else g) * dz



# PyTorch's EPSILON = 1e-12, a float32 constant (so 9.99999996e-13 when read as a double).
_BCE_EPS = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """l = -(y log p + (1 - y) log(1 - p)), each log clamped to >= -100;
    ∂l/∂p = (p - y) / max(p(1 - p), 10⁻¹²), ∂l/∂y = log(1 - p) - log p (clamped likewise)

    One op with PyTorch's partial rather than a chain of logs, because at p = 0 or 1 (a
    saturated sigmoid, common in float32) the chain's clamps give a gradient of 0 for a
    maximally wrong prediction, where PyTorch's gives a large one that corrects it.
    """
    name = "binary_cross_entropy"

    def forward(self, p, y):
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped to -100 just below
            self.log_p = np.maximum(np.log(p), -100)
            self.log_q = np.maximum(np.log1p(-p), -100)
        self.p, self.y = p, y
        return -(y * self.log_p + (1 - y) * self.log_q)

    def partial(self, i):
        if i == 0:
            p = self.p
            return (p - self.y) / np.maximum(p * (1 - p), _BCE_EPS)
        # The derivative of the clamped loss, finite everywhere; PyTorch's unclamped
        # log(1 - p) - log p is ±inf at p = 0 or 1 (the two differ only for p within
        # e⁻¹⁰⁰ of 0 or 1).
        return self.log_q - self.log_p

    def partial_t(self, i, out):
        p, y = self.parents
        if i == 0:
            return (p - y) / maximum(p * (1.0 - p), _BCE_EPS)
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped as in the forward
            return maximum((-p).log1p(), -100.0) - maximum(p.log(), -100.0)



# ----------------------------------------------------------------- functional forms


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(x: Any) -> Tensor:
    return Exp.apply(_t(x))


def log(x: Any) -> Tensor:
    return Log.apply(_t(x))


def sqrt(x: Any) -> Tensor:
    return Sqrt.apply(_t(x))


def tanh(x: Any) -> Tensor:
    return Tanh.apply(_t(x))


def sigmoid(x: Any) -> Tensor:
    return Sigmoid.apply(_t(x))


def erf(x: Any) -> Tensor:
    return Erf.apply(_t(x))


def relu(x: Any) -> Tensor:
    return Relu.apply(_t(x))


def exp2(x: Any) -> Tensor:
    return Exp2.apply(_t(x))


def expm1(x: Any) -> Tensor:
    return Expm1.apply(_t(x))


def log1p(x: Any) -> Tensor:
    return Log1p.apply(_t(x))


def maximum(x: Any, y: Any) -> Tensor:
    return Maximum.apply(*_pair(_t(x), y))


def minimum(x: Any, y: Any) -> Tensor:
    return Minimum.apply(*_pair(_t(x), y))


def where(cond: Any, x: Any, y: Any) -> Tensor:
    """x where cond is true, else y (cond is not differentiated)."""
    if isinstance(cond, Tensor):
        cond = cond.data
    if isinstance(x, Tensor):
        x, y = _pair(x, y)
    elif isinstance(y, Tensor):
        y, x = _pair(y, x)
    else:
        x, y = _pair(Tensor(x), y)
    return Where.apply(x, y, cond=cond)


def clip(x: Any, min: float | None = None, max: float | None = None) -> Tensor:
    return Clip.apply(_t(x), lo=min, hi=max)


def softmax(x: Any, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
    return Softmax.apply(_t(x), axis=_either("softmax", dim, axis, -1))


def log_softmax(x: Any, dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
    return LogSoftmax.apply(_t(x), axis=_either("log_softmax", dim, axis, -1))


def logsumexp(x: Any, dim: Any = _UNSET, keepdim: Any = _UNSET, *, axis: Any = _UNSET,
              keepdims: Any = _UNSET) -> Tensor:
    axis, keepdims = _reduce_args("logsumexp", dim, keepdim, axis, keepdims)
    return LogSumExp.apply(_t(x), axis=axis, keepdims=keepdims)


def concatenate(tensors: Sequence[Any], dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
    """The tensors joined along an existing axis (dim= or axis=, default 0)."""
    if len(tensors) == 0:
        raise ShapeError("concatenate: needs at least one tensor")
    return Concatenate.apply(*[_t(x) for x in tensors], axis=_either("concatenate", dim, axis, 0))


cat = concatenate  # PyTorch's name


def stack(tensors: Sequence[Any], dim: Any = _UNSET, *, axis: Any = _UNSET) -> Tensor:
    """The tensors stacked along a new axis (dim= or axis=, default 0)."""
    if len(tensors) == 0:
        raise ShapeError("stack: needs at least one tensor")
    return Stack.apply(*[_t(x) for x in tensors], axis=_either("stack", dim, axis, 0))


def matmul(x: Any, y: Any) -> Tensor:
    x = _t(x)
    return MatMul.apply(*_same_dtype("matmul", x, _lift(y, x)))
