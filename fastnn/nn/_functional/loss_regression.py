"""Regression losses (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss): compositions
of Tensor ops with PyTorch's formulas, reductions and broadcasting warning."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import _tensor
from ._reduction import legacy_reduction, pair
from ._reduction import reduce as _reduce

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"]


def mse_loss(input: Tensor, target: Tensor | Any, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    r"""Mean squared error: the reduction of :math:`(x - y)^2`.

    Args:
        input (Tensor): predictions, any shape.
        target (Tensor): targets, the same shape (broadcasting warns).
        size_average (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduce (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``
        weight (Tensor, optional): multiplies each element's loss. Default: ``None``

    Example::

        >>> x, y = fastnn.tensor([0.0, 1.0, 4.0]), fastnn.tensor([0.5, 1.0, 1.0])
        >>> F.mse_loss(x, y), F.mse_loss(x, y, reduction="sum")
        (tensor(3.0833), tensor(9.2500))
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    d = input - pair(input, target, "mse_loss")
    loss = d * d
    return _reduce(loss if weight is None else loss * weight, reduction)


def l1_loss(input: Tensor, target: Tensor | Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    r"""Mean absolute error: the reduction of :math:`|x - y|`.

    Args:
        input (Tensor): predictions, any shape.
        target (Tensor): targets, the same shape (broadcasting warns).
        size_average (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduce (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``
        weight (Tensor, optional): multiplies each element's loss. Default: ``None``

    Example::

        >>> x, y = fastnn.tensor([0.0, 1.0, 4.0]), fastnn.tensor([0.5, 1.0, 1.0])
        >>> F.l1_loss(x, y, reduction="none")
        tensor([0.5000, 0.0000, 3.0000])
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = (input - pair(input, target, "l1_loss")).abs()
    return _reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor | Any, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    r"""Squared error below ``beta``, absolute error above it:
    :math:`0.5 d^2 / \beta` if :math:`|d| < \beta`, else :math:`|d| - 0.5\beta`, :math:`d = x - y`.

    Args:
        input (Tensor): predictions, any shape.
        target (Tensor): targets, the same shape (broadcasting warns).
        size_average (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduce (bool, optional): deprecated; use ``reduction``. Default: ``None``
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``
        beta (float): where the two pieces meet; 0 gives the L1 loss. Default: ``1.0``

    Example::

        >>> F.smooth_l1_loss(fastnn.tensor([0.0, 1.0, 4.0]), fastnn.tensor([0.5, 1.0, 1.0]))
        tensor(0.8750)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    d = input - pair(input, target, "smooth_l1_loss")
    if beta == 0:
        return _reduce(d.abs(), reduction)
    a = d.abs()
    loss = _tensor.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Tensor | Any, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    r"""Huber loss: :math:`0.5 d^2` if :math:`|d| < \delta`, else
    :math:`\delta (|d| - 0.5\delta)`, :math:`d = x - y` (``smooth_l1_loss`` times ``delta``).

    Args:
        input (Tensor): predictions, any shape.
        target (Tensor): targets, the same shape (broadcasting warns).
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Default: ``'mean'``
        delta (float): where the two pieces meet. Default: ``1.0``
        weight (Tensor, optional): multiplies each element's loss. Default: ``None``

    Example::

        >>> F.huber_loss(fastnn.tensor([0.0, 1.0, 4.0]), fastnn.tensor([0.5, 1.0, 1.0]), delta=2.0)
        tensor(1.3750)
    """
    d = input - pair(input, target, "huber_loss")
    a = d.abs()
    loss = _tensor.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _reduce(loss if weight is None else loss * weight, reduction)
