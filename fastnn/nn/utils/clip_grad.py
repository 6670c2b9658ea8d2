"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).

clip_grad_norm_ treats every parameter's gradient as one long vector: it
takes that vector's p-norm and, when it exceeds ``max_norm``, scales all
gradients in place by ``max_norm / (norm + 1e-6)`` -- PyTorch's formula, the
1e-6 keeping the division finite when the norm is 0.
"""
import math

import numpy as np

from ..._tensor import Tensor
from ...ops.rnn import array_module

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _params(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _grads(parameters):
    return [p.grad for p in _params(parameters) if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all of ``tensors`` taken together, as a 0-d Tensor."""
    tensors = _params(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(np.zeros((), np.float32))
    arrays = [t._data if isinstance(t, Tensor) else t for t in tensors]
    xp = array_module(arrays[0])
    dtype = np.result_type(*[a.dtype for a in arrays])
    if norm_type == math.inf:
        parts = [xp.abs(a).max() if a.size else xp.zeros((), dtype) for a in arrays]
        total = xp.stack(parts).max()
    elif norm_type == -math.inf:
        parts = [xp.abs(a).min() if a.size else xp.full((), xp.inf, dtype) for a in arrays]
        total = xp.stack(parts).min()
    else:
        # norm of the per-tensor norms == norm of the concatenation, without the copy
        parts = xp.stack([xp.linalg.norm(a.ravel(), ord=norm_type) if a.size
                          else xp.zeros((), dtype) for a in arrays])
        total = xp.linalg.norm(parts, ord=norm_type)
    total = xp.asarray(total, dtype=dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return Tensor._wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` by min(1, max_norm / (total_norm + 1e-6))."""
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = float(max_norm) / (float(total) + 1e-6)
    coef = min(coef, 1.0) if not math.isnan(coef) else coef
    with np.errstate(invalid="ignore"):  # inf * 0 -> nan, as PyTorch
        for g in grads:
            new = g._data * g._data.dtype.type(coef)
            g._data = np.asarray(new) if isinstance(new, np.generic) else new  # 0-d stays an array


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients' total norm to ``max_norm`` in place; returns the norm before
    clipping (a 0-d Tensor)."""
    params = _params(parameters)
    total = get_total_norm(_grads(params), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = array_module(g._data)
        g._data = xp.clip(g._data, -clip_value, clip_value).astype(g._data.dtype, copy=False)
