"""Loss Modules with PyTorch's constructor arguments; each calls the F function.

``weight`` / ``pos_weight`` are registered as buffers, as in PyTorch (so a
weighted loss carries them in its state_dict). The legacy ``size_average`` /
``reduce`` flags are translated to ``reduction`` the way PyTorch does.
"""
from __future__ import annotations

import warnings
from typing import Any

from ..._tensor import Tensor
from .module import Module
from ._utils import F


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='{}' instead.".format("mean" if size_average and reduce else
                                                   "sum" if reduce else "none"), stacklevel=3)
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"


class _Loss(Module):
    _reductions: tuple[str, ...] = ("mean", "sum", "none")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce)
        if reduction not in self._reductions:
            raise ValueError(f"{reduction} is not a valid value for reduction")
        self.reduction = reduction


def _optional_tensor(value: Any, name: str) -> Tensor | None:
    if value is not None and not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a fastnn Tensor or None, got {type(value).__name__}")
    return value


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _optional_tensor(weight, "weight"))


class L1Loss(_Loss):
    """Measures the mean absolute error: ``|input - target|`` per element, then reduced.

    Args:
        size_average (bool, optional): deprecated (see ``reduction``); warns.
        reduce (bool, optional): deprecated (see ``reduction``); warns.
        reduction (str): ``'none'`` (one loss per element), ``'mean'`` or
            ``'sum'`` over all elements. Default: ``'mean'``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Target: :math:`(*)`, the input's shape.
        - Output: a scalar; with ``reduction='none'``, the input's shape.

    Example::

        >>> x = fastnn.tensor([[0.5, 1.5], [2.0, -1.0]])
        >>> t = fastnn.tensor([[1.0, 1.0], [0.0, 0.0]])
        >>> nn.L1Loss()(x, t)
        tensor(1.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Measures the mean squared error: ``(input - target)^2`` per element, then reduced.

    Args:
        size_average (bool, optional): deprecated (see ``reduction``); warns.
        reduce (bool, optional): deprecated (see ``reduction``); warns.
        reduction (str): ``'none'`` (one loss per element), ``'mean'`` or
            ``'sum'`` over all elements. Default: ``'mean'``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Target: :math:`(*)`, the input's shape.
        - Output: a scalar; with ``reduction='none'``, the input's shape.

    Example::

        >>> x = fastnn.tensor([[0.5, 1.5], [2.0, -1.0]])
        >>> t = fastnn.tensor([[1.0, 1.0], [0.0, 0.0]])
        >>> nn.MSELoss()(x, t)
        tensor(1.3750)
        >>> nn.MSELoss(reduction="none")(x, t)
        tensor([[0.2500, 0.2500],
                [4.0000, 1.0000]])
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """A squared error near zero and an absolute error beyond ``beta``, per element.

    With ``d = input - target``: ``0.5 * d^2 / beta`` where ``|d| < beta``, else
    ``|d| - 0.5 * beta``; then reduced. Less sensitive to outliers than MSELoss.
    ``SmoothL1Loss(beta) = HuberLoss(delta=beta) / beta``.

    Args:
        size_average (bool, optional): deprecated (see ``reduction``); warns.
        reduce (bool, optional): deprecated (see ``reduction``); warns.
        reduction (str): ``'none'`` (one loss per element), ``'mean'`` or
            ``'sum'`` over all elements. Default: ``'mean'``
        beta (float): where the loss turns from quadratic to linear; 0 gives
            L1Loss. Default: 1.0

    Shape:
        - Input: :math:`(*)`, any shape.
        - Target: :math:`(*)`, the input's shape.
        - Output: a scalar; with ``reduction='none'``, the input's shape.

    Example::

        >>> x = fastnn.tensor([[0.5, 1.5], [2.0, -1.0]])
        >>> t = fastnn.tensor([[1.0, 1.0], [0.0, 0.0]])
        >>> nn.SmoothL1Loss()(x, t)
        tensor(0.5625)
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        if beta < 0:
            raise ValueError("smooth_l1_loss does not support negative values for beta.")
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        if self.beta == 1.0:
            return F.smooth_l1_loss(input, target, reduction=self.reduction)
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """The Huber loss: a squared error near zero, an absolute error beyond ``delta``.

    With ``d = input - target``: ``0.5 * d^2`` where ``|d| < delta``, else
    ``delta * (|d| - 0.5 * delta)``; then reduced.

    Args:
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``
        delta (float): where the loss turns from quadratic to linear, positive.
            Default: 1.0

    Shape:
        - Input: :math:`(*)`, any shape.
        - Target: :math:`(*)`, the input's shape.
        - Output: a scalar; with ``reduction='none'``, the input's shape.

    Example::

        >>> x = fastnn.tensor([[0.5, 1.5], [2.0, -1.0]])
        >>> t = fastnn.tensor([[1.0, 1.0], [0.0, 0.0]])
        >>> nn.HuberLoss(delta=0.5)(x, t)
        tensor(0.3750)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """The Kullback-Leibler divergence ``target * (log(target) - input)`` per element.

    ``input`` holds log-probabilities (e.g. from LogSoftmax); ``target`` holds
    probabilities, or log-probabilities with ``log_target``.

    Args:
        size_average (bool, optional): deprecated (see ``reduction``); warns.
        reduce (bool, optional): deprecated (see ``reduction``); warns.
        reduction (str): ``'none'``, ``'batchmean'`` (the sum divided by the batch
            size: the true KL divergence), ``'sum'`` or ``'mean'`` (over all
            elements, as PyTorch). Default: ``'mean'``
        log_target (bool): ``target`` is given as log-probabilities.
            Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Target: :math:`(*)`, the input's shape.
        - Output: a scalar; with ``reduction='none'``, the input's shape.

    Example::

        >>> log_q = fastnn.tensor([[0.25, 0.75]]).log()
        >>> p = fastnn.tensor([[0.5, 0.5]])
        >>> nn.KLDivLoss(reduction="batchmean")(log_q, p)
        tensor(0.1438)
    """

    _reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        if self.log_target:
            return F.kl_div(input, target, reduction=self.reduction, log_target=True)
        return F.kl_div(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """The negative log-likelihood loss: ``-weight[c] * input[n, c]`` with ``c = target[n]``.

    ``input`` holds log-probabilities over C classes (e.g. from LogSoftmax);
    LogSoftmax followed by NLLLoss is CrossEntropyLoss.

    Args:
        weight (Tensor, optional): a weight per class, shape ``(C,)``; with
            ``'mean'`` the sum is divided by the sum of the targets' weights.
        size_average (bool, optional): deprecated (see ``reduction``); warns.
        ignore_index (int): a target value that contributes nothing (and is left
            out of the mean). Default: -100
        reduce (bool, optional): deprecated (see ``reduction``); warns.
        reduction (str): ``'none'``, ``'mean'`` (weighted) or ``'sum'``.
            Default: ``'mean'``

    Shape:
        - Input: :math:`(N, C)`, :math:`(C)` or :math:`(N, C, d_1, ..., d_K)`.
        - Target: :math:`(N)`, :math:`()` or :math:`(N, d_1, ..., d_K)`, class
          indices in [0, C) (or ``ignore_index``).
        - Output: a scalar; with ``reduction='none'``, the target's shape.

    Example::

        >>> logits = fastnn.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
        >>> nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), fastnn.tensor([0, 2]))
        tensor(0.1755)
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """The cross-entropy between the softmax of unnormalised scores and the targets.

    ``input`` holds raw scores (logits) over C classes on dimension 1; the loss
    is LogSoftmax (on dimension 1) followed by NLLLoss. ``target`` holds class
    indices, or class probabilities of the input's shape.

    Args:
        weight (Tensor, optional): a weight per class, shape ``(C,)``.
        size_average (bool, optional): deprecated (see ``reduction``); warns.
        ignore_index (int): a target class index that contributes nothing.
            Default: -100
        reduce (bool, optional): deprecated (see ``reduction``); warns.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``
        label_smoothing (float): in [0, 1]; the target becomes a mix of the
            one-hot target and the uniform distribution with this weight.
            Default: 0.0

    Shape:
        - Input: :math:`(N, C)`, :math:`(C)` or :math:`(N, C, d_1, ..., d_K)`.
        - Target: :math:`(N)`, :math:`()` or :math:`(N, d_1, ..., d_K)`, class
          indices in [0, C) (or ``ignore_index``).
        - Output: a scalar; with ``reduction='none'``, the target's shape.
          With probability targets, the target has the input's shape.

    Example::

        >>> logits = fastnn.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
        >>> target = fastnn.tensor([0, 2])
        >>> nn.CrossEntropyLoss()(logits, target)
        tensor(0.1755)
        >>> nn.CrossEntropyLoss(label_smoothing=0.1)(logits, target)
        tensor(0.3455)
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        kwargs: dict[str, Any] = {}
        if self.label_smoothing:
            kwargs["label_smoothing"] = self.label_smoothing
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               **kwargs)


class BCELoss(_WeightedLoss):
    """The binary cross-entropy ``-w * (t * log(x) + (1 - t) * log(1 - x))`` per element.

    ``input`` holds probabilities (e.g. from Sigmoid); the logs are clamped at
    -100, as PyTorch, so a 0 or 1 input gives a finite loss. BCEWithLogitsLoss
    on the raw scores is more accurate.

    Args:
        weight (Tensor, optional): a weight broadcast against each element.
        size_average (bool, optional): deprecated (see ``reduction``); warns.
        reduce (bool, optional): deprecated (see ``reduction``); warns.
        reduction (str): ``'none'`` (one loss per element), ``'mean'`` or
            ``'sum'`` over all elements. Default: ``'mean'``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Target: :math:`(*)`, the input's shape.
        - Output: a scalar; with ``reduction='none'``, the input's shape.

    Example::

        >>> p = fastnn.tensor([0.9, 0.2, 0.6])
        >>> nn.BCELoss()(p, fastnn.tensor([1.0, 0.0, 1.0]))
        tensor(0.2798)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid then binary cross-entropy, in one numerically stable step.

    Per element, with ``x`` the raw score:
    ``-w * (pos_weight * t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x)))``,
    then reduced.

    Args:
        weight (Tensor, optional): a weight broadcast against each element.
        size_average (bool, optional): deprecated (see ``reduction``); warns.
        reduce (bool, optional): deprecated (see ``reduction``); warns.
        reduction (str): ``'none'`` (one loss per element), ``'mean'`` or
            ``'sum'`` over all elements. Default: ``'mean'``
        pos_weight (Tensor, optional): a weight for the positive term,
            broadcast against the last (class) dimension; above 1 raises recall.

    Shape:
        - Input: :math:`(*)`, any shape.
        - Target: :math:`(*)`, the input's shape.
        - Output: a scalar; with ``reduction='none'``, the input's shape.

    Example::

        >>> x = fastnn.tensor([[0.5, 1.5], [2.0, -1.0]])
        >>> t = fastnn.tensor([[1.0, 1.0], [0.0, 0.0]])
        >>> nn.BCEWithLogitsLoss()(x, t)
        tensor(0.7789)
    """

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _optional_tensor(weight, "weight"))
        self.register_buffer("pos_weight", _optional_tensor(pos_weight, "pos_weight"))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        kwargs = {}
        if self.pos_weight is not None:
            kwargs["pos_weight"] = self.pos_weight
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction, **kwargs)


__all__ = ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
           "BCEWithLogitsLoss"]
