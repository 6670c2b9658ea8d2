"""Functions behind fastnn.nn.functional: each forward calls one backend kernel.

``get_backend(x)`` picks the kernel module (numpy reference, native, cupy), so
``fastnn.use_backend("numpy")`` switches every layer at once. The backward
uses the backend its forward used (a ``saved`` context holds that backend's arrays).
"""
import math

import numpy as np

from ..autograd.function import Function
from ..backends import get_backend
from ._util import half_in, half_out, sum_to


def _c(a):
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


# --- dense layers -------------------------------------------------------------------------
class Linear(Function):
    def forward(self, x, w, b):
        (x, w, b), self.half = half_in(x, w, b)
        be = get_backend(x)
        self.be = be
        self.xshape = x.shape
        if x.ndim != 2:
            x = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
        y, self.saved = be.linear_forward(x, w, b)
        if len(self.xshape) != 2:
            y = y.reshape(self.xshape[:-1] + (w.shape[0],))
        return half_out(self.half, y)

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        g2 = _c(g).reshape(-1, g.shape[-1]) if g.ndim != 2 else _c(g)
        dx, dw, db = self.be.linear_backward(g2, self.saved)
        if dx is not None and len(self.xshape) != 2:
            dx = dx.reshape(self.xshape)
        return half_out(self.half, dx, dw, db)


class Conv(Function):
    """conv1d / conv2d through the backend's conv family."""

    def forward(self, x, w, b, stride, padding, dilation, groups, nd=2):
        (x, w, b), self.half = half_in(x, w, b)
        be = get_backend(x)
        self.be = be
        self.nd = nd
        fwd = be.conv2d_forward if nd == 2 else be.conv1d_forward
        y, self.saved = fwd(x, w, b, stride, padding, dilation, groups)
        return half_out(self.half, y)

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        bwd = self.be.conv2d_backward if self.nd == 2 else self.be.conv1d_backward
        dx, dw, db = bwd(_c(g), self.saved)
        return half_out(self.half, dx, dw, db) + (None, None, None, None)


# --- pooling -----------------------------------------------------------------------------
class MaxPool2d(Function):
    def forward(self, x, kernel_size, stride, padding, dilation, ceil_mode):
        (x,), self.half = half_in(x)
        self.be = get_backend(x)
        y, self.saved = self.be.max_pool2d_forward(x, kernel_size, stride, padding, dilation,
                                                   ceil_mode)
        return half_out(self.half, y), self.saved.indices

    def backward(self, g, _gi=None):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        return (half_out(self.half, self.be.max_pool2d_backward(_c(g), self.saved)),
                None, None, None, None, None)


class AvgPool2d(Function):
    def forward(self, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor):
        (x,), self.half = half_in(x)
        self.be = get_backend(x)
        y, self.saved = self.be.avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode,
                                                   count_include_pad, divisor)
        return half_out(self.half, y)

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        return (half_out(self.half, self.be.avg_pool2d_backward(_c(g), self.saved)),) + (None,) * 6


class AdaptiveAvgPool2d(Function):
    def forward(self, x, output_size):
        (x,), self.half = half_in(x)
        self.be = get_backend(x)
        y, self.saved = self.be.adaptive_avg_pool2d_forward(x, output_size)
        return half_out(self.half, y)

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        return half_out(self.half, self.be.adaptive_avg_pool2d_backward(_c(g), self.saved)), None


# --- activations -------------------------------------------------------------------------
class LeakyRelu(Function):
    def forward(self, x, slope):
        self.pos = x > 0
        self.slope = slope
        return np.where(self.pos, x, x * x.dtype.type(slope))

    def backward(self, g):
        return np.where(self.pos, g, g * g.dtype.type(self.slope)), None


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, x itself where beta x > threshold.

    One Function rather than a where() of two branches: the gradient at a NaN
    is NaN (sigmoid(NaN)), as in PyTorch, where the composite's clamp dropped it.
    """

    def forward(self, x, beta, threshold):
        t = x.dtype.type
        z = x * t(beta)
        self.x, self.z, self.beta, self.threshold = x, z, beta, threshold
        with np.errstate(over="ignore"):
            soft = np.log1p(np.exp(np.minimum(z, t(threshold)))) / t(beta)
        # z > threshold false at a NaN: the soft branch, NaN as well
        return np.where(z > threshold, x, soft).astype(x.dtype, copy=False)

    def backward(self, g):
        z = self.z
        # sigmoid(z) without overflow: exp of -|z| only
        e = np.exp(-np.abs(z))
        s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        return np.where(z > self.threshold, g, g * s).astype(g.dtype, copy=False), None, None


class Elu(Function):
    """x for x > 0, alpha (exp(x) - 1) otherwise.

    A NaN takes the exponential branch both ways, so output and gradient are
    NaN there, as in PyTorch's vectorised elu_backward (the where() of two
    branches this replaces gave a gradient of 0).
    """

    def forward(self, x, alpha):
        t = x.dtype.type
        self.x, self.alpha = x, alpha
        return np.where(x > 0, x, t(alpha) * np.expm1(np.minimum(x, t(0))))

    def backward(self, g):
        x, t = self.x, self.x.dtype.type
        # exp of min(x, 0): no overflow on the positive side, NaN stays NaN
        neg = g * (t(self.alpha) * np.exp(np.minimum(x, t(0))))
        return np.where(x > 0, g, neg).astype(g.dtype, copy=False), None


class Hardtanh(Function):
    """clamp(x, lo, hi) whose gradient is zero AT the bounds too (PyTorch's hardtanh,
    hence relu6 at 0 and 6), unlike clamp's, which passes the gradient there."""

    def forward(self, x, lo, hi):
        # a NaN is not inside: gradient 0 there, as PyTorch's vectorised
        # hardtanh_backward gives (its scalar tail passes the gradient, so
        # PyTorch's own answer depends on the element's position)
        self.inside = (x > lo) & (x < hi)
        return np.clip(x, lo, hi)

    def backward(self, g):
        return np.where(self.inside, g, g.dtype.type(0)), None, None


_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_erf_exact = np.vectorize(math.erf, otypes=[np.float64])


def erf(x):
    """erf elementwise: exact (math.erf) in float64; in float32 a rational
    approximation with relative error below 1.2e-7 (Numerical Recipes' erfcc)."""
    if x.dtype == np.float64:
        return _erf_exact(x) if x.size else np.zeros_like(x)
    z = np.abs(x).astype(np.float64)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    r = 1.0 - t * np.exp(poly)
    return np.where(x >= 0, r, -r).astype(x.dtype)


class Gelu(Function):
    def forward(self, x, approximate):
        self.x = x
        self.approximate = approximate
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            self.th = np.tanh(k * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.th)
        self.cdf = 0.5 * (1 + erf(x * x.dtype.type(_SQRT1_2)))
        return x * self.cdf

    def backward(self, g):
        x = self.x
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            th = self.th
            d = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * k * (1 + 3 * 0.044715 * x * x)
        else:
            d = self.cdf + x * np.exp(-0.5 * x * x) * x.dtype.type(_INV_SQRT_2PI)
        return g * d, None


class Softmax(Function):
    def forward(self, x, dim):
        (x,), self.half = half_in(x)
        self.be = get_backend(x)
        y, self.saved = self.be.softmax_forward(x, dim)
        return half_out(self.half, y)

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        return half_out(self.half, self.be.softmax_backward(_c(g), self.saved)), None


class LogSoftmax(Function):
    def forward(self, x, dim):
        (x,), self.half = half_in(x)
        self.be = get_backend(x)
        y, self.saved = self.be.log_softmax_forward(x, dim)
        return half_out(self.half, y)

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        return half_out(self.half, self.be.log_softmax_backward(_c(g), self.saved)), None


# --- normalisation -----------------------------------------------------------------------
class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b per channel (axis 1).

    Training mode uses the batch statistics (biased variance) and updates the
    running arrays in place with PyTorch's unbiased variance; eval mode uses
    the running statistics as constants.
    """

    def forward(self, x, w, b, running_mean, running_var, training, momentum, eps):
        axes = (0,) + tuple(range(2, x.ndim))
        shape = [1] * x.ndim
        shape[1] = x.shape[1]
        self.axes = axes
        self.shape = shape
        self.training = training
        if training:
            n = x.size // x.shape[1]
            if n <= 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got input "
                                 f"size {tuple(x.shape)}")
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean.astype(running_mean.dtype)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += momentum * (var * (n / (n - 1))).astype(running_var.dtype)
        else:
            mean, var = running_mean, running_var
        self.invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype).reshape(shape)
        self.xhat = (x - mean.astype(x.dtype).reshape(shape)) * self.invstd
        self.w = w
        y = self.xhat
        if w is not None:
            y = y * w.reshape(shape)
        if b is not None:
            y = y + b.reshape(shape)
        return y

    def backward(self, g):
        nx, nw, nb = self.needs_input_grad[:3]
        xhat, axes = self.xhat, self.axes
        dw = (g * xhat).sum(axis=axes) if nw else None
        db = g.sum(axis=axes) if nb else None
        dx = None
        if nx:
            gx = g if self.w is None else g * self.w.reshape(self.shape)
            if self.training:
                n = g.size // g.shape[1]
                dx = (self.invstd / n) * (n * gx - gx.sum(axis=axes, keepdims=True)
                                          - xhat * (gx * xhat).sum(axis=axes, keepdims=True))
            else:
                dx = gx * self.invstd
        return dx, dw, db, None, None, None, None, None


class LayerNorm(Function):
    """Normalise over the trailing ``nd`` dims, then scale and shift elementwise."""

    def forward(self, x, w, b, nd, eps):
        axes = tuple(range(x.ndim - nd, x.ndim))
        self.axes = axes
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
        self.invstd = 1.0 / np.sqrt(var + eps)
        self.xhat = (x - mean) * self.invstd
        self.w = w
        y = self.xhat
        if w is not None:
            y = y * w
        if b is not None:
            y = y + b
        return y

    def backward(self, g):
        nx, nw, nb = self.needs_input_grad[:3]
        xhat, axes = self.xhat, self.axes
        lead = tuple(range(g.ndim - len(axes)))
        dw = (g * xhat).sum(axis=lead) if nw else None
        db = g.sum(axis=lead) if nb else None
        dx = None
        if nx:
            gx = g if self.w is None else g * self.w
            n = int(np.prod([g.shape[a] for a in axes]))
            dx = (self.invstd / n) * (n * gx - gx.sum(axis=axes, keepdims=True)
                                      - xhat * (gx * xhat).sum(axis=axes, keepdims=True))
        return dx, dw, db, None, None


class Embedding(Function):
    def forward(self, w, idx, padding_idx):
        self.wmeta = (w.shape, w.dtype)
        self.idx = idx
        self.padding_idx = padding_idx
        return w[idx]

    def backward(self, g):
        gw = np.zeros(*self.wmeta)
        flat = self.idx.reshape(-1)
        g2 = g.reshape(-1, gw.shape[1])
        freq = getattr(self, "freq", None)
        if freq is not None:
            g2 = g2 / freq[flat][:, None]
        np.add.at(gw, flat, g2)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw, None, None


# --- losses ---------------------------------------------------------------------------------
class CrossEntropy(Function):
    """Cross entropy of (N, C) logits with class-index targets (weights, smoothing, ignore)."""

    def forward(self, x, target, weight, ignore_index, reduction, label_smoothing):
        (x, weight), self.half = half_in(x, weight)
        be = get_backend(x)
        self.bwd = be.cross_entropy_backward
        loss, self.saved = be.cross_entropy_forward(x, target, weight, ignore_index, reduction,
                                                    label_smoothing)
        return half_out(self.half, loss)

    def backward(self, g):
        (g,), _ = half_in(g) if self.half else ((g,), False)
        return (half_out(self.half, self.bwd(g, self.saved)),) + (None,) * 5


def _softplus_neg(x):
    """log(1 + exp(-x)) without overflow."""
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


class BCEWithLogits(Function):
    """Elementwise (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)), stable for any x."""

    def forward(self, x, t, pw):
        self.x, self.t, self.pw = x, t, pw
        self.sp = _softplus_neg(x)
        if pw is None:
            return (1 - t) * x + self.sp
        return (1 - t) * x + (1 + (pw - 1) * t) * self.sp

    def backward(self, g):
        nx, nt, npw = self.needs_input_grad
        x, t, pw = self.x, self.t, self.pw
        e = np.exp(-np.abs(x))
        sig_neg = np.where(x >= 0, e / (1 + e), 1 / (1 + e))  # sigmoid(-x)
        L = 1 if pw is None else 1 + (pw - 1) * t
        gx = sum_to(g * ((1 - t) - L * sig_neg), x.shape, x.dtype) if nx else None
        gt = None
        if nt:
            dt = -x if pw is None else -x + (pw - 1) * self.sp
            gt = sum_to(g * dt, t.shape, t.dtype)
        gpw = sum_to(g * t * self.sp, pw.shape, pw.dtype) if npw else None
        return gx, gt, gpw


class Pad(Function):
    """Pad trailing dims; constant mode by slicing back, the others by scatter-adding
    the gradient through the index map np.pad builds."""

    def forward(self, x, widths, mode, value):
        self.widths = widths
        self.mode = mode
        self.shape = x.shape
        if mode == "constant":
            pos = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
            out = np.pad(x, pos, mode="constant", constant_values=value)
            return out[_crop(widths, out.shape)]
        npmode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        self.npmode = npmode
        return np.pad(x, widths, mode=npmode)

    def backward(self, g):
        if self.mode == "constant":
            sl = []
            for (lo, hi), n in zip(self.widths, self.shape):
                # negative widths crop: the input extends beyond the output there
                sl.append(slice(lo, lo + n) if lo >= 0 and hi >= 0 else None)
            if all(s is not None for s in sl):
                return g[tuple(sl)], None, None, None
        idx = np.arange(int(np.prod(self.shape))).reshape(self.shape)
        if self.mode == "constant":
            imap = _pad_index_constant(idx, self.widths)
        else:
            imap = np.pad(idx, self.widths, mode=self.npmode)
        keep = imap >= 0
        gx = np.bincount(imap[keep], weights=g[keep], minlength=idx.size)
        return gx.astype(g.dtype).reshape(self.shape), None, None, None


def _pad_index_constant(idx, widths):
    pos = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    out = np.pad(idx, pos, mode="constant", constant_values=-1)
    return out[_crop(widths, out.shape)]


def _crop(widths, shape):
    return tuple(slice(-lo if lo < 0 else 0, shape[d] + hi if hi < 0 else None)
                 for d, (lo, hi) in enumerate(widths))
