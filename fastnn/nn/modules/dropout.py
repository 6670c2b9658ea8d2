"""Dropout: zero each element with probability p in training mode, scale by 1/(1-p);
Dropout1d/2d/3d zero whole channels instead (F.dropout1d/2d/3d)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .module import Module
from ._utils import F

if TYPE_CHECKING:
    from ..._tensor import Tensor


class Dropout(Module):
    """During training, zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``.

    A regulariser: each call draws a new mask (from fastnn's generator). In eval
    mode the layer returns its input unchanged.

    Args:
        p (float): the probability of zeroing an element, in [0, 1]. Default: 0.5
        inplace (bool): overwrite the input. Default: ``False``

    Shape:
        - Input: :math:`(*)`, any shape.
        - Output: :math:`(*)`, the input's shape.

    Example::

        >>> m = nn.Dropout(p=0.5)
        >>> y = m(fastnn.ones(4, 8))
        >>> bool(((y == 0) | (y == 2)).all())
        True
        >>> m.eval()(fastnn.ones(2))
        tensor([1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _DropoutNd(Dropout):
    _fn: str

    def forward(self, input: Tensor) -> Tensor:
        return getattr(F, self._fn)(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Randomly zeroes whole channels of a (N, C, L) or (C, L) input during training.

    Each call zeroes every element of a channel together, with probability
    ``p`` per (sample, channel), and scales the kept channels by ``1 / (1 - p)``;
    in eval mode the input is returned unchanged.

    Args:
        p (float): the probability of zeroing a channel, in [0, 1]. Default: 0.5
        inplace (bool): overwrite the input. Default: ``False``

    Shape:
        - Input: :math:`(N, C, L)` or :math:`(C, L)`
        - Output: the input's shape.

    Example::

        >>> y = nn.Dropout1d(p=0.5)(fastnn.ones(2, 6, 4))
        >>> bool((y.amax(dim=2) == y.amin(dim=2)).all())  # each channel all 0 or all 2
        True
    """

    _fn = "dropout1d"


class Dropout2d(_DropoutNd):
    """Randomly zeroes whole channels of a (N, C, H, W) input during training.

    Each call zeroes every element of a channel together, with probability
    ``p`` per (sample, channel), and scales the kept channels by ``1 / (1 - p)``;
    in eval mode the input is returned unchanged. Useful after convolutions,
    whose neighbouring activations are strongly correlated.

    Args:
        p (float): the probability of zeroing a channel, in [0, 1]. Default: 0.5
        inplace (bool): overwrite the input. Default: ``False``

    Shape:
        - Input: :math:`(N, C, H, W)` (a 3-D input is taken as (N, C, L), with a
          warning, as PyTorch does).
        - Output: the input's shape.

    Example::

        >>> y = nn.Dropout2d(p=0.5)(fastnn.ones(2, 6, 3, 3))
        >>> bool((y.amax(dim=(2, 3)) == y.amin(dim=(2, 3))).all())
        True
    """

    _fn = "dropout2d"


class Dropout3d(_DropoutNd):
    """Randomly zeroes whole channels of a (N, C, D, H, W) or (C, D, H, W) input during training.

    Each call zeroes every element of a channel together, with probability
    ``p`` per (sample, channel), and scales the kept channels by ``1 / (1 - p)``;
    in eval mode the input is returned unchanged.

    Args:
        p (float): the probability of zeroing a channel, in [0, 1]. Default: 0.5
        inplace (bool): overwrite the input. Default: ``False``

    Shape:
        - Input: :math:`(N, C, D, H, W)` or :math:`(C, D, H, W)`
        - Output: the input's shape.

    Example::

        >>> nn.Dropout3d(p=0.2)(fastnn.ones(2, 4, 3, 3, 3)).shape
        (2, 4, 3, 3, 3)
    """

    _fn = "dropout3d"


__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]
