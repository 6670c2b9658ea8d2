"""What the loss functionals share: the reduction argument (and PyTorch's deprecated
size_average / reduce pair that maps onto it) and the target-shape warning."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ... import _tensor

if TYPE_CHECKING:
    from ..._tensor import Tensor


def reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


def pair(input: Tensor, target: Any, name: str) -> Tensor:
    """``target`` as a Tensor; warns, as PyTorch, when it only broadcasts to ``input``."""
    target = _tensor._t(target)
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{name}: using a target size {tuple(target.shape)} that is different to the "
                      f"input size {tuple(input.shape)}; they will be broadcast", stacklevel=3)
    return target
