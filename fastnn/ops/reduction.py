"""Reductions over one or more dims: sum, mean, var/std, prod, max/min, norm.

Backward broadcasts the output gradient back over the reduced dims. max/min
over a dim send the gradient to the selected index; a full max/min shares it
evenly among tied maxima (both as in PyTorch).
"""
import numpy as np

from ..autograd.function import Function
from ._util import expand_reduced


class Sum(Function):
    def forward(self, a, axes, keepdim):
        self.shape = a.shape
        self.axes = axes
        self.keepdim = keepdim
        return np.asarray(a.sum(axis=axes, keepdims=keepdim))

    def backward(self, g):
        return expand_reduced(g, self.shape, self.axes, self.keepdim), None, None


class Mean(Function):
    def forward(self, a, axes, keepdim):
        self.shape = a.shape
        self.axes = axes
        self.keepdim = keepdim
        self.count = int(np.prod([a.shape[i] for i in axes]))
        return np.asarray(a.mean(axis=axes, keepdims=keepdim))

    def backward(self, g):
        return expand_reduced(g / self.count, self.shape, self.axes, self.keepdim), None, None


class Var(Function):
    """Variance with ``correction`` (1 = unbiased, PyTorch's default)."""

    def forward(self, a, axes, keepdim, correction):
        self.shape = a.shape
        self.axes = axes
        self.keepdim = keepdim
        n = int(np.prod([a.shape[i] for i in axes]))
        self.denom = max(n - correction, 0)
        self.centered = a - a.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray((self.centered * self.centered).sum(axis=axes, keepdims=keepdim)
                              / self.denom).astype(a.dtype, copy=False)

    def backward(self, g):
        g = expand_reduced(g, self.shape, self.axes, self.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * self.centered * (2.0 / self.denom), None, None, None


class Std(Var):
    def forward(self, a, axes, keepdim, correction):
        self.out = np.sqrt(super().forward(a, axes, keepdim, correction))
        return self.out

    def backward(self, g):
        with np.errstate(divide="ignore", invalid="ignore"):
            g = expand_reduced(g / self.out, self.shape, self.axes, self.keepdim)
            return g * self.centered / self.denom, None, None, None


class Prod(Function):
    """Product along one axis (or all, flattened); exclusive cumulative
    products keep the gradient right when some factors are zero."""

    def forward(self, a, axis, keepdim):
        self.a = a
        self.axis = axis
        self.keepdim = keepdim
        if axis is None:
            return np.asarray(np.prod(a))
        return np.prod(a, axis=axis, keepdims=keepdim)

    def backward(self, g):
        a, axis = self.a, self.axis
        x = a.reshape(-1) if axis is None else a
        ax = 0 if axis is None else axis
        ones = np.ones_like(np.take(x, [0], axis=ax)) if x.shape[ax] else None
        if ones is None:
            return np.zeros_like(a), None, None
        left = np.cumprod(np.concatenate([ones, np.take(x, range(x.shape[ax] - 1), axis=ax)], ax), ax)
        rev = np.flip(x, ax)
        right = np.flip(np.cumprod(np.concatenate(
            [ones, np.take(rev, range(x.shape[ax] - 1), axis=ax)], ax), ax), ax)
        others = left * right
        if axis is None:
            return (g * others).reshape(a.shape), None, None
        if not self.keepdim:
            g = np.expand_dims(g, axis)
        return g * others, None, None


class SelectAlong(Function):
    """values = take_along_axis(a, idx, axis): max/min/median over a dim."""

    def forward(self, a, idx, axis, keepdim):
        self.shape = a.shape
        self.idx = idx
        self.axis = axis
        out = np.take_along_axis(a, idx, axis)
        return out if keepdim else np.squeeze(out, axis)

    def backward(self, g):
        gx = np.zeros(self.shape, dtype=g.dtype)
        if g.ndim != len(self.shape):
            g = np.expand_dims(g, self.axis)
        np.put_along_axis(gx, self.idx, g, self.axis)
        return gx, None, None, None


class Extreme(Function):
    """max/min over all elements; ties share the gradient evenly."""

    def forward(self, a, is_max):
        self.a = a
        self.out = np.asarray(a.max() if is_max else a.min())
        return self.out

    def backward(self, g):
        mask = (self.a == self.out)
        return g * mask / mask.sum(), None


class AmaxAmin(Function):
    """amax/amin over dims; ties share the gradient evenly."""

    def forward(self, a, axes, keepdim, is_max):
        self.a = a
        self.axes = axes
        self.keepdim = keepdim
        out = a.max(axis=axes, keepdims=True) if is_max else a.min(axis=axes, keepdims=True)
        self.outk = out
        return out if keepdim else np.squeeze(out, axes)

    def backward(self, g):
        mask = self.a == self.outk
        if not self.keepdim:
            g = np.expand_dims(g, self.axes)
        return g * mask / mask.sum(axis=self.axes, keepdims=True), None, None, None


class Norm(Function):
    """Vector p-norm over ``axes``: p = 2 (default), any p > 0, inf, -inf."""

    def forward(self, a, p, axes, keepdim):
        self.a = a
        self.p = p
        self.axes = axes
        self.keepdim = keepdim
        ab = np.abs(a)
        if p == 2:
            out = np.sqrt((a * a).sum(axis=axes, keepdims=True))
        elif p == np.inf:
            out = ab.max(axis=axes, keepdims=True)
        elif p == -np.inf:
            out = ab.min(axis=axes, keepdims=True)
        elif p == 1:
            out = ab.sum(axis=axes, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=True).astype(a.dtype)
        else:
            out = np.power(np.power(ab, p).sum(axis=axes, keepdims=True), 1.0 / p)
        self.outk = out.astype(a.dtype, copy=False)
        return self.outk if keepdim else np.squeeze(self.outk, axes)

    def backward(self, g):
        a, p, n = self.a, self.p, self.outk
        if not self.keepdim:
            g = np.expand_dims(g, self.axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                d = np.where(n == 0, 0, a / n)
            elif p in (np.inf, -np.inf):
                mask = np.abs(a) == n
                d = np.sign(a) * mask / mask.sum(axis=self.axes, keepdims=True)
            elif p == 1:
                d = np.sign(a)
            elif p == 0:
                d = np.zeros_like(a)
            else:
                d = np.where(n == 0, 0, np.sign(a) * np.power(np.abs(a), p - 1) / np.power(n, p - 1))
        return g * d, None, None, None
