"""Classification losses (F.cross_entropy, F.nll_loss, F.binary_cross_entropy[_with_logits],
F.kl_div) with PyTorch's arguments, shapes (N, C, d1, ...), ignore_index, class weights and
label smoothing; cross entropy and BCE-with-logits are fused autograd Functions."""
from __future__ import annotations

from typing import Any

import numpy as np

from ... import _tensor
from ...ops import nn as _nn
from ..._tensor import Tensor
from ._reduction import legacy_reduction, pair
from ._reduction import reduce as _reduce
from .activation import log_softmax

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div"]


def cross_entropy(input: Tensor, target: Tensor | Any, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    r"""Cross entropy between logits and class targets: ``nll_loss(log_softmax(input, 1), target)``.

    For class index :math:`y_n`: :math:`\ell_n = -w_{y_n} \log \mathrm{softmax}(x_n)_{y_n}`;
    ``'mean'`` divides by :math:`\sum_n w_{y_n}` over non-ignored targets. ``target`` may
    also hold class probabilities (float, the input's shape).

    Args:
        input (Tensor): unnormalised logits, :math:`(N, C)`, :math:`(N, C, d_1, ...)` or :math:`(C)`.
        target (Tensor): int64 class indices :math:`(N)` / :math:`(N, d_1, ...)`, or
            probabilities of the input's shape.
        weight (Tensor, optional): per-class weight, :math:`(C)`. Default: ``None``
        size_average (bool, optional): deprecated; use ``reduction``. Default: ``None``
        ignore_index (int): targets equal to it add nothing to loss or gradient. Default: ``-100``
        reduce (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``
        label_smoothing (float): in [0, 1]; mixes the target with the uniform
            distribution. Default: ``0.0``

    Shape:
        - Input: :math:`(N, C)`; Target: :math:`(N)`; Output: scalar, or :math:`(N)` for ``'none'``.

    Example::

        >>> logits = fastnn.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
        >>> F.cross_entropy(logits, fastnn.tensor([0, 1]))
        tensor(0.3964)
        >>> F.cross_entropy(logits, fastnn.tensor([0, 1]), reduction="none")
        tensor([0.2413, 0.5514])
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
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


def _cross_entropy_probs(input: Tensor, target: Any, weight: Any, reduction: str,
                         label_smoothing: float) -> Tensor:
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


def nll_loss(input: Tensor, target: Tensor | Any, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    r"""Negative log likelihood of class targets given log-probabilities:
    :math:`\ell_n = -w_{y_n} x_{n, y_n}`; ``'mean'`` divides by :math:`\sum_n w_{y_n}`.

    Args:
        input (Tensor): log-probabilities, :math:`(N, C)` or :math:`(C)`.
        target (Tensor): int class indices, :math:`(N)`.
        weight (Tensor, optional): per-class weight, :math:`(C)`. Default: ``None``
        size_average (bool, optional): deprecated; use ``reduction``. Default: ``None``
        ignore_index (int): targets equal to it add nothing. Default: ``-100``
        reduce (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``

    Example::

        >>> logits = fastnn.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
        >>> F.nll_loss(F.log_softmax(logits, 1), fastnn.tensor([0, 1]))
        tensor(0.3964)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
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


def binary_cross_entropy(input: Tensor, target: Tensor | Any, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    r"""Binary cross entropy of probabilities:
    :math:`-w [y \log x + (1 - y) \log(1 - x)]`, each log clamped at -100 as PyTorch.

    Args:
        input (Tensor): probabilities in [0, 1], any shape.
        target (Tensor): targets in [0, 1], the same shape.
        weight (Tensor, optional): multiplies each element's loss. Default: ``None``
        size_average (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduce (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``

    Example::

        >>> F.binary_cross_entropy(fastnn.tensor([0.9, 0.2]), fastnn.tensor([1.0, 0.0]))
        tensor(0.1643)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    target = pair(input, target, "binary_cross_entropy")
    x = input._data
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1")
    # PyTorch clamps each log at -100 so that 0 * log(0) stays finite
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor | Any,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    r"""Binary cross entropy of logits, fused with the sigmoid (stable for large :math:`|x|`):
    :math:`-w [p\, y \log \sigma(x) + (1 - y) \log(1 - \sigma(x))]`.

    Args:
        input (Tensor): logits, any shape.
        target (Tensor): targets in [0, 1], the input's shape.
        weight (Tensor, optional): multiplies each element's loss. Default: ``None``
        size_average (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduce (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``
        pos_weight (Tensor, optional): :math:`p`, the weight of positive examples, broadcast
            over the last dim (one per class). Default: ``None``

    Example::

        >>> x, y = fastnn.tensor([2.0, -1.0]), fastnn.tensor([1.0, 0.0])
        >>> F.binary_cross_entropy_with_logits(x, y)
        tensor(0.2201)
        >>> F.binary_cross_entropy_with_logits(x, y, pos_weight=fastnn.tensor([2.0]))
        tensor(0.2836)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
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


def kl_div(input: Tensor, target: Tensor | Any, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    r"""Kullback-Leibler divergence with ``input`` given as log-probabilities:
    :math:`y (\log y - x)` element-wise (0 where :math:`y = 0`).

    Args:
        input (Tensor): log-probabilities, any shape.
        target (Tensor): probabilities (log-probabilities if ``log_target``), the same shape.
        size_average (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduce (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduction (str): ``'mean'``, ``'sum'``, ``'none'`` or ``'batchmean'`` (the sum divided
            by the batch size: the true KL divergence). Default: ``'mean'``
        log_target (bool): ``target`` holds log-probabilities. Default: ``False``

    Example::

        >>> logp = F.log_softmax(fastnn.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]), 1)
        >>> F.kl_div(logp, fastnn.full((2, 3), 1 / 3), reduction="batchmean")
        tensor(0.3811)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
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
