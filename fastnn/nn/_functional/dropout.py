"""F.dropout: zero elements with probability p and scale the rest by 1 / (1 - p), drawing
from fastnn's default generator (so fastnn.manual_seed makes it repeatable)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...ops import arithmetic as _ar
from ...random import default_generator
from .activation import _in_place, _tracking

if TYPE_CHECKING:
    from ..._tensor import Tensor

__all__ = ["dropout"]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the others by ``1 / (1 - p)``,
    so the expected value is unchanged; the identity when not ``training``.

    Args:
        input (Tensor): the input, any shape.
        p (float): probability of zeroing an element, in [0, 1]. Default: ``0.5``
        training (bool): apply dropout; ``False`` returns ``input`` itself. Default: ``True``
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> y = F.dropout(fastnn.ones(2, 4), p=0.5)
        >>> sorted(set(y.flatten().tolist()))
        [0.0, 2.0]
        >>> F.dropout(fastnn.ones(2, 4), p=0.5, training=False)
        tensor([[1., 1., 1., 1.],
                [1., 1., 1., 1.]])
    """
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
