"""Elementwise and fused kernels, reference implementation (NumPy).

relu, bias+relu (one fused op for Linear/Conv outputs), softmax, log_softmax
and cross_entropy with exactly torch.nn.functional's semantics. Softmax-type
ops subtract the row maximum before exponentiating (stable). cross_entropy is
fused: one log-softmax pass yields the loss and the gradient it will need,
``(sum_c q_c) * softmax - q`` (q = the per-class target weights after class
weights and label smoothing), already divided by the 'mean' denominator, so
the backward pass is one multiply by dloss.
The native twin is fastnn/backends/native/elementwise/__init__.py; the ``validate_*``
functions here are shared with it.
"""
import numpy as np

from .._validate import check_array, check_optional_array

__all__ = [
    "relu_forward", "relu_backward",
    "bias_relu_forward", "bias_relu_backward",
    "softmax_forward", "softmax_backward",
    "log_softmax_forward", "log_softmax_backward",
    "cross_entropy_forward", "cross_entropy_backward",
]

REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------------
# validation (shared with the native backend)

def validate_saved(saved, kind):
    if not isinstance(saved, tuple) or len(saved) < 2 or saved[-1] != kind:
        raise TypeError(f"saved: expected the saved tuple returned by {kind}_forward")


def validate_grad(name, g, ref):
    """g is a float array with the shape and dtype of ``ref``."""
    check_array(name, g, dtype=ref.dtype)
    if g.shape != ref.shape:
        raise ValueError(f"{name}: expected shape {tuple(ref.shape)}, got {tuple(g.shape)}")


def validate_axis(name, axis, ndim):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: {axis} is out of range for a {ndim}-D array")
    return int(axis) % ndim


def validate_bias_relu(x, b, channel_axis):
    dtype = check_array("x", x)
    if x.ndim < 1:
        raise ValueError("x: expected at least a 1-D array, got a 0-D array")
    axis = validate_axis("channel_axis", channel_axis, x.ndim)
    check_array("b", b, ndim=1, dtype=dtype)
    if b.shape[0] != x.shape[axis]:
        raise ValueError(f"b: expected shape ({x.shape[axis]},) to match x.shape[{axis}], "
                         f"got {tuple(b.shape)}")
    return axis


def validate_softmax(x, dim):
    check_array("x", x)
    if x.ndim < 1:
        raise ValueError("x: expected at least a 1-D array, got a 0-D array")
    return validate_axis("dim", dim, x.ndim)


def validate_cross_entropy(logits, target, weight, ignore_index, reduction, label_smoothing):
    """Returns (kind, target, weight, ignore_index, eps): kind is 'index' or 'prob'."""
    dtype = check_array("logits", logits, ndim=2)
    N, C = logits.shape
    if C < 1:
        raise ValueError(f"logits: expected at least one class, got shape {tuple(logits.shape)}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}")
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float,
                                                                            np.floating)):
        raise TypeError(f"label_smoothing: expected a float, got {label_smoothing!r}")
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing: must be in [0, 1], got {label_smoothing!r}")
    check_optional_array("weight", weight, ndim=1, dtype=dtype)
    if weight is not None and weight.shape != (C,):
        raise ValueError(f"weight: expected shape ({C},), got {tuple(weight.shape)}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"ignore_index: expected an int, got {ignore_index!r}")
    if not hasattr(target, "dtype") or not hasattr(target, "shape"):
        raise TypeError(f"target: expected an array, got {type(target).__name__}")
    if target.dtype.kind in "iu":
        if target.shape != (N,):
            raise ValueError(f"target: class indices must have shape ({N},), "
                             f"got {tuple(target.shape)}")
        t = target.astype(np.int64)
        bad = (t != ignore_index) & ((t < 0) | (t >= C))
        if bad.any():
            raise ValueError(f"target: class index {int(t[bad][0])} is out of range "
                             f"[0, {C}) (ignore_index={ignore_index})")
        return "index", t, weight, int(ignore_index), eps
    if target.dtype.kind == "f":
        check_array("target", target, ndim=2, dtype=dtype)
        if target.shape != (N, C):
            raise ValueError(f"target: class probabilities must have shape ({N}, {C}), "
                             f"got {tuple(target.shape)}")
        return "prob", target, weight, int(ignore_index), eps
    raise TypeError(f"target: expected int64 class indices or float probabilities, "
                    f"got dtype {target.dtype}")


# ----------------------------------------------------------------------------
# relu

def relu_forward(x):
    check_array("x", x)
    y = np.maximum(x, 0)  # NaN propagates, as in torch.relu
    return y, (y, "relu")


def relu_backward(dy, saved):
    validate_saved(saved, "relu")
    y = saved[0]
    validate_grad("dy", dy, y)
    # y <= 0 rather than y > 0: at a NaN (y is NaN) dy passes, as PyTorch's
    # threshold_backward does
    return np.where(y <= 0, 0, dy).astype(dy.dtype, copy=False)


def bias_relu_forward(x, b, channel_axis=1):
    """y = relu(x + b), b broadcast along ``channel_axis``."""
    axis = validate_bias_relu(x, b, channel_axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    y = np.maximum(x + b.reshape(shape), 0)
    return y, (y, axis, "bias_relu")


def bias_relu_backward(dy, saved):
    validate_saved(saved, "bias_relu")
    y, axis = saved[0], saved[1]
    validate_grad("dy", dy, y)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
            or not 0 <= axis < y.ndim:
        raise TypeError("saved: expected the saved tuple returned by bias_relu_forward")
    dx = np.where(y <= 0, 0, dy).astype(dy.dtype, copy=False)  # NaN passes dy
    db = dx.sum(axis=tuple(a for a in range(dx.ndim) if a != axis))
    return dx, db


# ----------------------------------------------------------------------------
# softmax / log_softmax

def softmax_forward(x, dim):
    axis = validate_softmax(x, dim)
    if x.size == 0:  # nothing to normalise (and max() of an empty axis raises)
        y = np.empty(x.shape, dtype=x.dtype)
        return y, (y, axis, "softmax")
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    y = z / z.sum(axis=axis, keepdims=True)
    return y, (y, axis, "softmax")


def softmax_backward(dy, saved):
    validate_saved(saved, "softmax")
    y, axis = saved[0], saved[1]
    validate_grad("dy", dy, y)
    return y * (dy - (dy * y).sum(axis=axis, keepdims=True))


def log_softmax_forward(x, dim):
    axis = validate_softmax(x, dim)
    if x.size == 0:  # nothing to normalise (and max() of an empty axis raises)
        y = np.empty(x.shape, dtype=x.dtype)
        return y, (y, axis, "log_softmax")
    z = x - x.max(axis=axis, keepdims=True)
    y = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return y, (y, axis, "log_softmax")


def log_softmax_backward(dy, saved):
    validate_saved(saved, "log_softmax")
    y, axis = saved[0], saved[1]
    validate_grad("dy", dy, y)
    return dy - np.exp(y) * dy.sum(axis=axis, keepdims=True)


# ----------------------------------------------------------------------------
# cross entropy

def cross_entropy_forward(logits, target, weight=None, ignore_index=-100, reduction="mean",
                          label_smoothing=0.0):
    kind, target, weight, ignore_index, eps = validate_cross_entropy(
        logits, target, weight, ignore_index, reduction, label_smoothing)
    N, C = logits.shape
    dt = logits.dtype
    logp, _ = log_softmax_forward(logits, 1)
    p = np.exp(logp)
    w = np.ones(C, dtype=dt) if weight is None else weight
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "index":
            valid = target != ignore_index
            t = np.where(valid, target, 0)
            rows = np.arange(N)
            wt = np.where(valid, w[t], 0).astype(dt)       # weight of each sample's class
            # loss_i = (1-eps) w_t (-logp_t) + eps/C sum_c w_c (-logp_c), 0 if ignored
            loss = -(1 - eps) * wt * logp[rows, t]
            q = np.zeros((N, C), dtype=dt)
            q[rows, t] = (1 - eps) * wt
            if eps > 0:
                smooth = (eps / C) * w[None, :] * valid[:, None]
                loss = loss - (smooth * logp).sum(axis=1)
                q += smooth
            denom = wt.sum()  # PyTorch: 'mean' divides by the target weights of kept samples
        else:
            q = target * (1 - eps) + eps / C
            if weight is not None:
                q = q * w[None, :]
            loss = -(q * logp).sum(axis=1)
            denom = N  # probabilities: 'mean' averages over samples
        grad = q.sum(axis=1, keepdims=True) * p - q
        if reduction == "mean":
            out = np.asarray(loss.sum() / denom, dtype=dt)
            grad = grad / denom
            if kind == "index":  # ignored rows stay exactly 0 even when denom is 0
                grad[~valid] = 0
        elif reduction == "sum":
            out = np.asarray(loss.sum(), dtype=dt)
        else:
            out = loss.astype(dt, copy=False)
    return out, (grad.astype(dt, copy=False), reduction, "cross_entropy")


def cross_entropy_backward(dloss, saved):
    validate_saved(saved, "cross_entropy")
    grad, reduction = saved[0], saved[1]
    dloss = np.asarray(dloss) if np.isscalar(dloss) else dloss
    check_array("dloss", dloss)
    want = (grad.shape[0],) if reduction == "none" else ()
    if dloss.shape != want:
        raise ValueError(f"dloss: expected shape {want}, got {tuple(dloss.shape)}")
    g = dloss.astype(grad.dtype, copy=False)
    return grad * (g[:, None] if reduction == "none" else g)
