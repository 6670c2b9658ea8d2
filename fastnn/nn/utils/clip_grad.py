"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).

clip_grad_norm_ treats every parameter's gradient as one long vector: it
takes that vector's p-norm and, when it exceeds ``max_norm``, scales all
gradients in place by ``max_norm / (norm + 1e-6)`` -- PyTorch's formula, the
1e-6 keeping the division finite when the norm is 0.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Union

import numpy as np

from ..._tensor import Tensor
from ...ops.rnn import array_module

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]

_tensors_t = Union[Tensor, Iterable[Tensor]]


def _params(parameters: _tensors_t) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _grads(parameters: _tensors_t) -> list[Tensor]:
    return [p.grad for p in _params(parameters) if p.grad is not None]


def get_total_norm(tensors: _tensors_t, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Return the ``norm_type``-norm of all of ``tensors`` taken together, as a 0-d Tensor.

    The same as the norm of the tensors flattened and concatenated into one vector.

    Args:
        tensors (Tensor or iterable of Tensors): e.g. the gradients.
        norm_type (float): the p of the p-norm; ``inf`` for the largest absolute
            value. Default: 2.0
        error_if_nonfinite (bool): raise RuntimeError if the norm is nan or inf.
            Default: ``False``
        foreach (bool, optional): accepted for PyTorch compatibility (ignored).

    Example::

        >>> nn.utils.get_total_norm([fastnn.tensor([3.0, 4.0]), fastnn.tensor([12.0])])
        tensor(13.)
    """
    tensors = _params(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._wrap(np.zeros((), np.float32))
    arrays: list[Any] = [t._data if isinstance(t, Tensor) else t for t in tensors]
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


def clip_grads_with_norm_(parameters: _tensors_t, max_norm: float, total_norm: Any,
                          foreach: bool | None = None) -> None:
    """Scale the gradients of ``parameters`` in place by ``min(1, max_norm / (total_norm + 1e-6))``.

    The second half of :func:`clip_grad_norm_`, for a ``total_norm`` computed
    elsewhere (e.g. with :func:`get_total_norm` over several groups).

    Args:
        parameters (Tensor or iterable of Tensors): whose ``.grad`` to scale.
        max_norm (float): the largest norm allowed.
        total_norm (Tensor or float): the norm to clip from.
        foreach (bool, optional): accepted for PyTorch compatibility (ignored).

    Example::

        >>> p = nn.Parameter(fastnn.zeros(2))
        >>> p.grad = fastnn.tensor([3.0, 4.0])
        >>> nn.utils.clip_grads_with_norm_([p], max_norm=1.0, total_norm=10.0)
        >>> p.grad
        tensor([0.3000, 0.4000])
    """
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


def clip_grad_norm_(parameters: _tensors_t, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Clip the total norm of the gradients of ``parameters`` to ``max_norm``, in place.

    The norm is taken over all gradients together, as if concatenated into one
    vector; when it exceeds ``max_norm`` every gradient is scaled by
    ``max_norm / (norm + 1e-6)``. Call it between ``backward()`` and the
    optimizer's ``step()``.

    Args:
        parameters (Tensor or iterable of Tensors): the parameters whose
            gradients to clip (those with no ``.grad`` are skipped).
        max_norm (float): the largest norm allowed.
        norm_type (float): the p of the p-norm; ``inf`` for the largest absolute
            value. Default: 2.0
        error_if_nonfinite (bool): raise RuntimeError if the norm is nan or inf.
            Default: ``False``
        foreach (bool, optional): accepted for PyTorch compatibility (ignored).

    Returns:
        Tensor: the total norm before clipping (0-d).

    Example::

        >>> lin = nn.Linear(2, 1)
        >>> lin.weight.grad = fastnn.tensor([[3.0, 4.0]])
        >>> lin.bias.grad = fastnn.tensor([0.0])
        >>> nn.utils.clip_grad_norm_(lin.parameters(), max_norm=1.0)
        tensor(5.)
        >>> lin.weight.grad
        tensor([[0.6000, 0.8000]])
    """
    params = _params(parameters)
    total = get_total_norm(_grads(params), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters: _tensors_t, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element of ``parameters`` to [-clip_value, clip_value], in place.

    Args:
        parameters (Tensor or iterable of Tensors): the parameters whose
            gradients to clamp.
        clip_value (float): the largest absolute value allowed.
        foreach (bool, optional): accepted for PyTorch compatibility (ignored).

    Example::

        >>> p = nn.Parameter(fastnn.zeros(2))
        >>> p.grad = fastnn.tensor([3.0, -4.0])
        >>> nn.utils.clip_grad_value_(p, 0.5)
        >>> p.grad
        tensor([ 0.5000, -0.5000])
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = array_module(g._data)
        g._data = xp.clip(g._data, -clip_value, clip_value).astype(g._data.dtype, copy=False)
