"""fastnn.nn.functional: PyTorch's torch.nn.functional names, arguments and defaults.

Each differentiable op is a Function in fastnn/ops/nn.py (or a composition of
Tensor ops) whose forward calls a backend kernel, so
``fastnn.use_backend("numpy")`` switches every call here to the reference.
"""
import math
import numbers

import numpy as np

from .. import _sizes
from ..autograd import grad_mode
from ..ops import arithmetic as _ar
from ..ops import nn as _nn
from ..ops._util import norm_dim
from ..random import default_generator
from .._tensor import Tensor

from .. import _tensor

__all__ = [
    "linear", "bilinear", "conv1d", "conv2d", "max_pool2d", "max_pool1d", "avg_pool2d",
    "adaptive_avg_pool2d", "relu", "relu_", "relu6", "leaky_relu", "elu", "selu", "silu", "mish",
    "gelu", "sigmoid", "tanh", "hardtanh", "softplus", "logsigmoid", "softmax", "log_softmax",
    "softmin", "dropout", "batch_norm", "layer_norm", "embedding", "cross_entropy", "nll_loss",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "pad", "one_hot", "flatten", "normalize",
    "cosine_similarity", "interpolate", "upsample",
]

_Linear = _nn.Linear.apply
_Conv = _nn.Conv.apply
_Relu = _ar.Relu.apply


def _tracking(*ts):
    return grad_mode._state.record and any(isinstance(t, Tensor) and t.requires_grad for t in ts)


# --- linear and convolution -------------------------------------------------------------
def linear(input, weight, bias=None):
    """y = input @ weight.T + bias, weight of shape (out_features, in_features)."""
    return _Linear(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y[n, o] = input1[n] @ weight[o] @ input2[n] + bias[o]."""
    y = ((input1.unsqueeze(1).unsqueeze(-2) @ weight.unsqueeze(0)) @
         input2.unsqueeze(1).unsqueeze(-1)).reshape(input1.shape[0], weight.shape[0])
    return y if bias is None else y + bias


def _same_padding(weight, dilation, nd):
    """(symmetric padding, extra right-side padding) for padding='same'."""
    k = weight.shape[2:]
    d = (dilation,) * nd if isinstance(dilation, numbers.Integral) else tuple(dilation)
    total = [di * (ki - 1) for di, ki in zip(d, k)]
    return tuple(t // 2 for t in total), tuple(t - t // 2 * 2 for t in total)


def _conv(nd, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{nd}d"
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            s = (stride,) * nd if isinstance(stride, numbers.Integral) else tuple(stride)
            if any(v != 1 for v in s):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            padding, extra = _same_padding(weight, dilation, nd)
            if any(extra):
                widths = []
                for e in reversed(extra):
                    widths += [0, e]
                input = pad(input, widths)
        else:
            raise ValueError(f"{name}: invalid padding string {padding!r}, expected 'same' or 'valid'")
    _check_conv_size(name, input, weight, stride, padding, dilation, nd)
    out = _Conv(input, weight, bias, stride, padding, dilation, groups, nd=nd)
    return out.squeeze(0) if unbatched else out


def _ints(v, nd):
    """An int or nd ints as a tuple, or None (malformed: the kernel's checks word that)."""
    v = (v,) * nd if isinstance(v, numbers.Integral) else v
    if isinstance(v, (tuple, list)) and len(v) == nd and all(
            isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in v):
        return tuple(int(i) for i in v)
    return None


def _check_conv_size(name, input, weight, stride, padding, dilation, nd):
    """Padding is the argument that makes a convolution's arrays absurd: the output
    and the zero-padded input (what the reference kernel builds) grow with it."""
    s, p, d = _ints(stride, nd), _ints(padding, nd), _ints(dilation, nd)
    if None in (s, p, d) or input.ndim != nd + 2 or weight.ndim != nd + 2 \
            or min(s) < 1 or min(p) < 0 or min(d) < 1:
        return
    spatial = input.shape[2:]
    padded = tuple(n + 2 * q for n, q in zip(spatial, p))
    out = tuple((n - di * (k - 1) - 1) // si + 1
                for n, k, si, di in zip(padded, weight.shape[2:], s, d))
    if min(out) < 1:
        return
    n, c = input.shape[:2]
    out_shape, padded_shape = (n, weight.shape[0]) + out, (n, c) + padded
    _sizes.check_bytes(f"{name}: padding={padding!r}",
                       (math.prod(out_shape) + math.prod(padded_shape)) * input._data.itemsize,
                       f"an output of shape {out_shape} and a padded input of shape {padded_shape}",
                       host=isinstance(input._data, np.ndarray))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


# --- pooling ----------------------------------------------------------------------------
def _batched(input, nd):
    return (input.unsqueeze(0), True) if input.ndim == nd + 1 else (input, False)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    x, unb = _batched(input, 2)
    y, idx = _nn.MaxPool2d.apply(x, kernel_size, stride if stride not in (None, ()) else None,
                                 padding, dilation, ceil_mode)
    if unb:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    x = input.unsqueeze(-2)
    one = lambda v: (1, v if isinstance(v, numbers.Integral) else v[0])  # noqa: E731
    out = max_pool2d(x, one(kernel_size), None if stride is None else one(stride),
                     (0, padding if isinstance(padding, numbers.Integral) else padding[0]),
                     one(dilation), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    x, unb = _batched(input, 2)
    y = _nn.AvgPool2d.apply(x, kernel_size, stride if stride not in (None, ()) else None, padding,
                            ceil_mode, count_include_pad, divisor_override)
    return y.squeeze(0) if unb else y


def _adaptive_sizes(x, output_size):
    """(oh, ow) of a well-formed output_size, None entries meaning the input's size;
    None when malformed or beyond a C int (the kernel's checks word those errors)."""
    if isinstance(output_size, numbers.Integral):
        sizes = (output_size, output_size)
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        sizes = tuple(x.shape[2 + i] if v is None else v for i, v in enumerate(output_size))
    else:
        return None
    ok = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 < v < 2 ** 31
             for v in sizes)
    return tuple(int(v) for v in sizes) if ok else None


def adaptive_avg_pool2d(input, output_size):
    x, unb = _batched(input, 2)
    sizes = _adaptive_sizes(x, output_size) if x.ndim == 4 else None
    if sizes is not None:
        _sizes.check_alloc(f"adaptive_avg_pool2d: output_size={output_size!r}",
                           tuple(x.shape[:2]) + sizes, x._data.itemsize, like=x._data)
    y = _nn.AdaptiveAvgPool2d.apply(x, output_size)
    return y.squeeze(0) if unb else y


# --- activations --------------------------------------------------------------------------
def _in_place(input, fn):
    """``fn(input)`` written into ``input``, as PyTorch's ``inplace=True``: under autograd
    the graph goes on from the new value (a leaf that requires grad raises)."""
    if _tracking(input):
        input._check_inplace()
        input._rebind(fn(input._snapshot()))
    else:
        input._data[...] = fn(input)._data
    return input


def relu(input, inplace=False):
    if inplace and not _tracking(input):
        np.maximum(input._data, 0, out=input._data)
        return input
    if inplace:
        return _in_place(input, _Relu)
    return _Relu(input)


def relu_(input):
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if inplace and not _tracking(input):
        np.clip(input._data, min_val, max_val, out=input._data)
        return input
    if inplace:
        return _in_place(input, lambda x: hardtanh(x, min_val, max_val))
    return _nn.Hardtanh.apply(input, min_val, max_val)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if inplace and not _tracking(input):
        d = input._data
        np.multiply(d, d.dtype.type(negative_slope), out=d, where=d < 0)
        return input
    if inplace:
        return _in_place(input, lambda x: leaky_relu(x, negative_slope))
    return _nn.LeakyRelu.apply(input, float(negative_slope))


def elu(input, alpha=1.0, inplace=False):
    if inplace:
        return _in_place(input, lambda x: elu(x, alpha))
    return _nn.Elu.apply(input, float(alpha))


def selu(input, inplace=False):
    if inplace:
        return _in_place(input, selu)
    return elu(input, 1.6732632423543772848170429916717) * 1.0507009873554804934193349852946


def softplus(input, beta=1.0, threshold=20.0):
    return _nn.Softplus.apply(input, float(beta), float(threshold))


def logsigmoid(input):
    return -softplus(-input)


def silu(input, inplace=False):
    if inplace:
        return _in_place(input, silu)
    return input * input.sigmoid()


def mish(input, inplace=False):
    if inplace:
        return _in_place(input, mish)
    return input * softplus(input).tanh()


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _nn.Gelu.apply(input, approximate)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def _softmax_dim(ndim, dim):
    if dim is None:  # PyTorch's legacy implicit choice
        dim = 0 if ndim in (0, 1, 3) else 1
    return norm_dim(dim, ndim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    x = input if dtype is None else input.to(dtype)
    if x.ndim == 0:
        return _nn.Softmax.apply(x.reshape(1), 0).reshape(())
    return _nn.Softmax.apply(x, _softmax_dim(x.ndim, dim))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    x = input if dtype is None else input.to(dtype)
    if x.ndim == 0:
        return _nn.LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return _nn.LogSoftmax.apply(x, _softmax_dim(x.ndim, dim))


def dropout(input, p=0.5, training=True, inplace=False):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        mask = np.zeros(input.shape, dtype=input.dtype)
    else:
        keep = default_generator().random(input.shape) >= p
        mask = keep.astype(input.dtype) * input.dtype.type(1.0 / (1.0 - p))
    if inplace and not _tracking(input):
        input._data *= mask
        return input
    if inplace:
        return _in_place(input, lambda x: _ar.Mul.apply(x, mask))
    return _ar.Mul.apply(input, mask)


# --- normalisation ------------------------------------------------------------------------
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of at least 2 dims (N, C, ...), got {input.shape}")
    C = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"batch_norm: {name} must have shape ({C},), got {tuple(t.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are required when training=False")
    rm = running_mean._data if isinstance(running_mean, Tensor) else running_mean
    rv = running_var._data if isinstance(running_var, Tensor) else running_var
    return _nn.BatchNorm.apply(input, weight, bias, rm, rv, bool(training), float(momentum or 0.0),
                               float(eps))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(normalized_shape)
    nd = len(normalized_shape)
    if tuple(input.shape[input.ndim - nd:]) != normalized_shape or nd > input.ndim:
        raise ValueError(f"layer_norm: input of shape {input.shape} does not end with "
                         f"normalized_shape {normalized_shape}")
    return _nn.LayerNorm.apply(input, weight, bias, nd, float(eps))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    n1 = x1.norm(2, dim).clamp(min=eps)
    n2 = x2.norm(2, dim).clamp(min=eps)
    return (x1 * x2).sum(dim) / (n1 * n2)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integer indices, got dtype {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding: index out of range for {n} embeddings")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError("embedding: padding_idx must be within num_embeddings")
        padding_idx %= n
    if max_norm is not None:
        rows = np.unique(idx)
        w = weight._data
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] *= scale[:, None].astype(w.dtype)
    out = _nn.Embedding.apply(weight, idx, padding_idx)
    if scale_grad_by_freq and out.requires_grad:
        counts = np.bincount(idx.reshape(-1), minlength=n)
        out._ctx.freq = counts
    return out


# --- losses ---------------------------------------------------------------------------------
def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits ``input`` (N, C) or (N, C, d1, ...) or (C,) against class
    indices (int) or class probabilities (float, same shape as input)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim == 1:
        input = input.unsqueeze(0)
        target = target.unsqueeze(0) if isinstance(target, Tensor) else Tensor(t[None])
        out = cross_entropy(input, target, weight, None, ignore_index, None, reduction,
                            label_smoothing)
        return out.squeeze(0) if reduction == "none" else out
    C = input.shape[1]
    w = weight._data if isinstance(weight, Tensor) else weight
    if w is not None and tuple(w.shape) != (C,):
        raise ValueError(f"cross_entropy: weight must have shape ({C},), got {tuple(w.shape)}")
    if t.dtype.kind == "f":
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: target must hold class indices (int) or probabilities "
                        f"(float), got dtype {t.dtype}")
    if input.ndim > 2:
        extra = input.shape[2:]
        if tuple(t.shape) != (input.shape[0],) + tuple(extra):
            raise ValueError(f"cross_entropy: expected target of shape "
                             f"{(input.shape[0],) + tuple(extra)}, got {tuple(t.shape)}")
        perm = (0,) + tuple(range(2, input.ndim)) + (1,)
        x2 = input.permute(*perm).reshape(-1, C)
        loss = _nn.CrossEntropy.apply(x2, t.reshape(-1).astype(np.int64, copy=False),
                                      None if w is None else w.astype(input.dtype, copy=False),
                                      ignore_index, reduction, float(label_smoothing))
        return loss.reshape(t.shape) if reduction == "none" else loss
    if tuple(t.shape) != (input.shape[0],):
        raise ValueError(f"cross_entropy: expected target of shape ({input.shape[0]},), "
                         f"got {tuple(t.shape)}")
    return _nn.CrossEntropy.apply(input, t.astype(np.int64, copy=False),
                                  None if w is None else w.astype(input.dtype, copy=False),
                                  ignore_index, reduction, float(label_smoothing))


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"cross_entropy: probability targets must have the input's shape "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")
    C = input.shape[1]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    logp = log_softmax(input, 1)
    prod = logp * target
    if weight is not None:
        prod = prod * _tensor._t(weight).reshape((C,) + (1,) * (input.ndim - 2))
    loss = -prod.sum(1)
    if reduction == "mean":
        return loss.sum() / (input.shape[0] if input.shape[0] else float("nan")) \
            if input.ndim == 2 else loss.mean()
    return _reduce(loss, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim == 1:
        input, t = input.unsqueeze(0), t[None]
    C = input.shape[1]
    valid = t != ignore_index
    ts = np.where(valid, t, 0).astype(np.int64)
    if valid.any() and (ts.min() < 0 or ts.max() >= C):
        raise IndexError(f"nll_loss: target out of range for {C} classes")
    w = np.ones(C, input.dtype) if weight is None else _tensor._t(weight)._data.astype(input.dtype)
    wt = w[ts] * valid
    picked = _tensor.gather(input, 1, Tensor._wrap(np.expand_dims(ts, 1))).squeeze(1)
    loss = -picked * wt
    if reduction == "mean":
        return loss.sum() / wt.sum()
    return _reduce(loss, reduction)


def _pair(input, target, name):
    target = _tensor._t(target)
    if tuple(input.shape) != tuple(target.shape):
        import warnings
        warnings.warn(f"{name}: using a target size {tuple(target.shape)} that is different to the "
                      f"input size {tuple(input.shape)}; they will be broadcast", stacklevel=3)
    return target


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = input - _pair(input, target, "mse_loss")
    loss = d * d
    return _reduce(loss if weight is None else loss * weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = (input - _pair(input, target, "l1_loss")).abs()
    return _reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = input - _pair(input, target, "smooth_l1_loss")
    if beta == 0:
        return _reduce(d.abs(), reduction)
    a = d.abs()
    loss = _tensor.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    d = input - _pair(input, target, "huber_loss")
    a = d.abs()
    loss = _tensor.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _pair(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1")
    # PyTorch clamps each log at -100 so that 0 * log(0) stays finite
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _tensor._t(target)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    if pos_weight is not None:
        pos_weight = _tensor._t(pos_weight)
    loss = _nn.BCEWithLogits.apply(input, target, pos_weight)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    target = _tensor._t(target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        t = target._data
        logt = np.log(np.where(t > 0, t, 1)).astype(t.dtype)
        loss = target * Tensor._wrap(logt) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0]
    return _reduce(loss, reduction)


# --- shapes -------------------------------------------------------------------------------------
_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dims; ``pad`` lists (left, right) from the last dim backwards."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length must be even and at most 2 * input.dim(), got {len(pad)}")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    widths = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        widths[input.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    shape = tuple(input.shape)
    for d, (lo, hi) in enumerate(widths):
        # PyTorch's rule (constant_pad_nd): negative widths crop first, and the
        # cropping may remove at most the whole dimension; the result is never negative.
        if shape[d] + min(lo, 0) + min(hi, 0) < 0:
            raise ValueError(f"pad: negative padding ({lo}, {hi}) removes more than the size "
                             f"{shape[d]} of dimension {d} of the input")
    out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(shape, widths))
    _sizes.check_alloc(f"pad: pad={pad}", out_shape, input._data.itemsize, like=input._data)
    if mode != "constant":
        for d, (lo, hi) in enumerate(widths):
            if lo < 0 or hi < 0:
                raise ValueError("pad: negative padding is only supported in constant mode")
            if mode == "reflect" and (lo >= input.shape[d] or hi >= input.shape[d]):
                raise ValueError(f"pad: padding ({lo}, {hi}) must be smaller than the input size "
                                 f"{input.shape[d]} of dim {d} in reflect mode")
            if mode == "circular" and (lo > input.shape[d] or hi > input.shape[d]):
                raise ValueError("pad: circular padding may wrap around at most once")
    return _nn.Pad.apply(input, tuple(widths), mode, 0 if value is None else value)


# interpolate / upsample: nn/_functional/interpolate.py (imported at the end)


def one_hot(tensor, num_classes=-1):
    t = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if t.dtype.kind not in "iu":
        raise TypeError("one_hot is only applicable to index tensors")
    if num_classes == -1:
        num_classes = int(t.max()) + 1 if t.size else 0
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError("one_hot: class values must be non-negative and smaller than num_classes")
    _sizes.check_alloc(f"one_hot: num_classes={num_classes}", t.shape + (int(num_classes),), 8)
    out = np.zeros(t.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, t[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._wrap(out)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


# Families kept in their own files under nn/_functional/.
from ._functional.conv_transpose import *  # noqa: E402,F401,F403
from ._functional import conv_transpose as _f_conv_transpose  # noqa: E402
__all__ += _f_conv_transpose.__all__
from ._functional.attention import scaled_dot_product_attention  # noqa: E402,F401
__all__ += ["scaled_dot_product_attention"]
from ._functional.channels import (pixel_shuffle, pixel_unshuffle, dropout1d,  # noqa: E402,F401
                                  dropout2d, dropout3d)
from ._functional.interpolate import (interpolate, upsample, upsample_nearest,  # noqa: E402,F401
                                      upsample_bilinear)
__all__ += ["pixel_shuffle", "pixel_unshuffle", "dropout1d", "dropout2d", "dropout3d",
            "upsample_nearest", "upsample_bilinear"]
from ._functional.multi_head_attention import multi_head_attention_forward  # noqa: E402,F401
__all__ += ["multi_head_attention_forward"]
from ._functional.group_norms import instance_norm, group_norm  # noqa: E402,F401
__all__ += ["instance_norm", "group_norm"]
