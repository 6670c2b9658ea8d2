"""Elementwise arithmetic, unary math and matrix products, with their gradients.

Binary ops broadcast like NumPy/PyTorch; their backward reduces the gradient
back to each input's shape (``sum_to``). Arguments that are not Tensors
(Python scalars, arrays) arrive here as constants and get no gradient.
"""
import numpy as np

from ..autograd.function import Function
from ..backends import get_backend
from ._util import half_in, half_out, kernel, sum_to


def _meta(x):
    """(shape, dtype) of an array argument, for reducing its gradient later."""
    return (x.shape, x.dtype) if isinstance(x, np.ndarray) else (np.shape(x), np.result_type(x))


class Add(Function):
    def forward(self, a, b):
        self.ma = _meta(a)
        self.mb = _meta(b)
        return a + b

    def backward(self, g):
        na, nb = self.needs_input_grad
        return (sum_to(g, *self.ma) if na else None, sum_to(g, *self.mb) if nb else None)


class Sub(Function):
    def forward(self, a, b):
        self.ma = _meta(a)
        self.mb = _meta(b)
        return a - b

    def backward(self, g):
        na, nb = self.needs_input_grad
        return (sum_to(g, *self.ma) if na else None, sum_to(-g, *self.mb) if nb else None)


class Mul(Function):
    def forward(self, a, b):
        self.a = a
        self.b = b
        return a * b

    def backward(self, g):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        return (sum_to(g * b, *_meta(a)) if na else None,
                sum_to(g * a, *_meta(b)) if nb else None)


class Div(Function):
    def forward(self, a, b):
        self.a = a
        self.b = b
        return a / b

    def backward(self, g):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = sum_to(g / b, *_meta(a)) if na else None
        gb = sum_to(-g * a / (b * b), *_meta(b)) if nb else None
        return ga, gb


class Pow(Function):
    def forward(self, a, b):
        self.a = a
        self.b = b
        self.out = np.power(a, b)
        return self.out

    def backward(self, g):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        ga = gb = None
        if na:
            if isinstance(b, np.ndarray):
                d = np.where(b == 0, 0, b * np.power(a, b - 1))
            elif b == 0:
                d = np.zeros_like(self.out)
            elif b == 2:
                d = 2 * a
            else:
                d = b * np.power(a, b - 1)
            ga = sum_to(g * d, *_meta(a))
        if nb:
            # d(a^b)/db = a^b log a, defined as 0 where a == 0 and b >= 0 (PyTorch)
            with np.errstate(divide="ignore", invalid="ignore"):
                d = self.out * np.log(a)
            d = np.where((np.asarray(a) == 0) & (np.asarray(b) >= 0), 0, d)
            gb = sum_to(g * d, *_meta(b))
        return ga, gb


class Remainder(Function):
    """a % b with the sign of b (PyTorch's remainder, NumPy's mod)."""

    def forward(self, a, b):
        self.a = a
        self.b = b
        return np.mod(a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        ga = sum_to(g, *_meta(self.a)) if na else None
        gb = sum_to(-g * np.floor_divide(self.a, self.b), *_meta(self.b)) if nb else None
        return ga, gb


class FloorDivide(Function):
    """a // b: piecewise constant, so its gradient is zero (as in PyTorch)."""

    def forward(self, a, b):
        self.ma = _meta(a)
        self.mb = _meta(b)
        return np.floor_divide(a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        return (np.zeros(*self.ma) if na else None, np.zeros(*self.mb) if nb else None)


class Maximum(Function):
    """Elementwise max; on ties each input gets half the gradient (PyTorch)."""
    op = staticmethod(np.maximum)

    def forward(self, a, b):
        self.a = a
        self.b = b
        return self.op(a, b)

    def backward(self, g):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        win = (a > b) if self.op is np.maximum else (a < b)
        share = np.where(a == b, 0.5, win.astype(g.dtype))
        ga = sum_to(g * share, *_meta(a)) if na else None
        gb = sum_to(g * (1 - share), *_meta(b)) if nb else None
        return ga, gb


class Minimum(Maximum):
    op = staticmethod(np.minimum)


class Where(Function):
    def forward(self, cond, a, b):
        self.cond = cond
        self.ma = _meta(a)
        self.mb = _meta(b)
        return np.where(cond, a, b)

    def backward(self, g):
        _, na, nb = self.needs_input_grad
        zero = g.dtype.type(0)
        ga = sum_to(np.where(self.cond, g, zero), *self.ma) if na else None
        gb = sum_to(np.where(self.cond, zero, g), *self.mb) if nb else None
        return None, ga, gb


# --- unary ----------------------------------------------------------------------------
class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Exp(Function):
    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, g):
        return g * self.out


class Log(Function):
    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, g):
        return g / self.a


class Sqrt(Function):
    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, g):
        return g * np.sign(self.a)


class Sin(Function):
    def forward(self, a):
        self.a = a
        return np.sin(a)

    def backward(self, g):
        return g * np.cos(self.a)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return np.cos(a)

    def backward(self, g):
        return -g * np.sin(self.a)


class Sigmoid(Function):
    def forward(self, a):
        # exp of a non-positive number only: no overflow warnings for large |a|
        e = np.exp(-np.abs(a))
        self.out = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        s = self.out
        return g * s * (1 - s)


class Tanh(Function):
    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


class Relu(Function):
    def forward(self, a):
        (a,), self.half = half_in(a)
        if a.dtype.kind == "f":
            k = kernel(a, "relu_forward")
            if k is not None:
                y, self.saved = k(a)
                self.kernel = True
                return half_out(self.half, y)
        self.kernel = False
        # a <= 0 rather than a > 0 (zeroed where true): a NaN passes through
        # forward and lets the gradient through backward, as in PyTorch
        self.mask = a <= 0
        return half_out(self.half, np.where(self.mask, a.dtype.type(0), a))

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        if self.kernel:
            return half_out(self.half, get_backend(g).relu_backward(g, self.saved))
        return half_out(self.half, np.where(self.mask, g.dtype.type(0), g))


class Clamp(Function):
    def forward(self, a, min=None, max=None):
        self.a = a
        self.lo = min
        self.hi = max
        return np.clip(a, min, max) if (min is not None or max is not None) else a.copy()

    def backward(self, g):
        a = self.a
        keep = None
        if self.lo is not None:
            keep = a >= self.lo
        if self.hi is not None:
            keep = (a <= self.hi) if keep is None else keep & (a <= self.hi)
        return g if keep is None else np.where(keep, g, g.dtype.type(0))


class ZeroGrad(Function):
    """A piecewise-constant op (sign, floor, round, ceil): gradient zero."""

    def forward(self, a, fn):
        self.meta = (a.shape, a.dtype)
        return fn(a)

    def backward(self, g):
        return np.zeros(*self.meta), None


class Cast(Function):
    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return (g.astype(self.dtype) if self.dtype.kind in "fc" else None), None


# --- matrix products ----------------------------------------------------------------------
def _gemm(a):
    try:
        be = get_backend(a)
        return be if "gemm" in be.family_modules() else None
    except Exception:  # pragma: no cover
        return None


class MatMul(Function):
    """a @ b with NumPy's rules (1-D operands promoted, batch dims broadcast).

    2-D float operands of one dtype go through the backend's GEMM kernel.
    """

    def forward(self, a, b):
        self.half = False
        if a.ndim == 2 and b.ndim == 2:
            (a, b), self.half = half_in(a, b)
            if self.half:
                return half_out(True, self._forward(a, b))
        return self._forward(a, b)

    def _forward(self, a, b):
        self.a = a
        self.b = b
        if a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype and a.dtype.kind == "f":
            be = _gemm(a)
            if be is not None:
                self.be = be
                return be.matmul(a, b, False, False)
        self.be = None
        return np.matmul(a, b)

    def backward(self, g):
        if self.half:
            (g,), _ = half_in(g)
            return half_out(True, *self._backward(g))
        return self._backward(g)

    def _backward(self, g):
        na, nb = self.needs_input_grad
        a, b = self.a, self.b
        if self.be is not None:
            if na and nb:
                return self.be.matmul_backward(g, a, b, False, False)
            if na:
                return self.be.matmul(g, b, False, True), None
            return None, self.be.matmul(a, g, True, False)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # the gradient in the shape of a2 @ b2 (1-D operands promoted to matrices)
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = g.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if na:
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga.reshape(ga.shape[:-2] + (ga.shape[-1],))
            ga = sum_to(ga, a.shape, a.dtype)
        if nb:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = gb.reshape(gb.shape[:-1])
            gb = sum_to(gb, b.shape, b.dtype)
        return ga, gb
