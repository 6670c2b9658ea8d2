"""Channel-wise functionals: F.pixel_shuffle / pixel_unshuffle and F.dropout1d / 2d / 3d,
with PyTorch's shapes, argument checks and warnings. Compositions of Tensor ops
(reshape, permute, multiply), so autograd gives the backward."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ...ops import arithmetic as _ar
from ...random import default_generator
from ..._tensor import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle", "dropout1d", "dropout2d", "dropout3d"]


def _factor(name: str, r: Any) -> int:
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 1:
        raise ValueError(f"{name}: expected a positive int, got {r!r}")
    return int(r)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    r"""Rearranges :math:`(*, C r^2, H, W)` into :math:`(*, C, H r, W r)`: each group of
    :math:`r^2` channels becomes an :math:`r \times r` block of pixels (sub-pixel convolution).

    Args:
        input (Tensor): :math:`(*, C r^2, H, W)`.
        upscale_factor (int): :math:`r`.

    Shape:
        - Input: :math:`(*, C r^2, H, W)`; Output: :math:`(*, C, H r, W r)`

    Example::

        >>> F.pixel_shuffle(fastnn.arange(4.0).reshape(1, 4, 1, 1), 2)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
        >>> tuple(F.pixel_shuffle(fastnn.ones(1, 8, 3, 3), 2).shape)
        (1, 2, 6, 6)
    """
    r = _factor("upscale_factor", upscale_factor)
    if input.ndim < 3:
        raise ValueError(f"pixel_shuffle: expected at least 3 dims (*, C*r^2, H, W), got shape "
                         f"{tuple(input.shape)}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle: channels {c} are not divisible by upscale_factor^2 "
                         f"= {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    r"""The inverse of :func:`pixel_shuffle`: :math:`(*, C, H r, W r)` into
    :math:`(*, C r^2, H, W)`.

    Args:
        input (Tensor): :math:`(*, C, H r, W r)`.
        downscale_factor (int): :math:`r`; must divide H and W.

    Shape:
        - Input: :math:`(*, C, H r, W r)`; Output: :math:`(*, C r^2, H, W)`

    Example::

        >>> x = fastnn.arange(16.0).reshape(1, 1, 4, 4)
        >>> tuple(F.pixel_unshuffle(x, 2).shape)
        (1, 4, 2, 2)
        >>> bool((F.pixel_shuffle(F.pixel_unshuffle(x, 2), 2) == x).all())
        True
    """
    r = _factor("downscale_factor", downscale_factor)
    if input.ndim < 3:
        raise ValueError(f"pixel_unshuffle: expected at least 3 dims (*, C, H*r, W*r), got "
                         f"shape {tuple(input.shape)}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle: height {h} and width {w} must be divisible by "
                         f"downscale_factor={r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def _channel_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     batched_ndim: int) -> Tensor:
    """Zero whole channels (dim 1 of a batched input, dim 0 of an unbatched one)."""
    if isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    lead = 2 if input.ndim == batched_ndim else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    dt = input._data.dtype
    if p == 1.0:
        mask = np.zeros(shape, dtype=dt)
    else:
        mask = (default_generator().random(shape) >= p).astype(dt) * dt.type(1.0 / (1.0 - p))
    if not isinstance(input._data, np.ndarray):
        from ...backends.cupy._runtime import cp
        mask = cp().asarray(mask)
    if inplace:
        return input.mul_(Tensor._wrap(mask))
    return _ar.Mul.apply(input, mask)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeroes whole channels of an (N, C, L) input, each with probability ``p``, and scales
    the kept ones by ``1 / (1 - p)``; the identity when not ``training``.

    Args:
        input (Tensor): :math:`(N, C, L)` or unbatched :math:`(C, L)`.
        p (float): probability of zeroing a channel. Default: ``0.5``
        training (bool): apply dropout. Default: ``True``
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> y = F.dropout1d(fastnn.ones(2, 3, 5), p=0.5)
        >>> all(v in (0.0, 10.0) for v in y.sum(2).flatten().tolist())
        True
    """
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2-D or 3-D input, got {input.ndim}-D (it "
                         f"takes (N, C, L) or (C, L))")
    return _channel_dropout(input, p, training, inplace, 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeroes whole channels of an (N, C, H, W) input, each with probability ``p``, and
    scales the kept ones by ``1 / (1 - p)``. A 3-D input is taken as (N, C, L) with a
    warning, as PyTorch does.

    Args:
        input (Tensor): :math:`(N, C, H, W)`.
        p (float): probability of zeroing a channel. Default: ``0.5``
        training (bool): apply dropout. Default: ``True``
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> y = F.dropout2d(fastnn.ones(2, 3, 4, 4), p=0.5)
        >>> all(v in (0.0, 32.0) for v in y.sum((2, 3)).flatten().tolist())
        True
    """
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: received a {input.ndim}-D input; it expects (N, C, H, W) and "
                      f"zeroes whole channels (dim 1)", UserWarning, stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. To maintain the 1D "
                      "channel-wise dropout behavior, please switch to using dropout1d instead.",
                      UserWarning, stacklevel=2)
    return _channel_dropout(input, p, training, inplace, input.ndim)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zeroes whole channels of an (N, C, D, H, W) input, each with probability ``p``, and
    scales the kept ones by ``1 / (1 - p)``.

    Args:
        input (Tensor): :math:`(N, C, D, H, W)` or unbatched :math:`(C, D, H, W)`.
        p (float): probability of zeroing a channel. Default: ``0.5``
        training (bool): apply dropout. Default: ``True``
        inplace (bool): write the result into ``input``. Default: ``False``

    Example::

        >>> y = F.dropout3d(fastnn.ones(1, 3, 2, 2, 2), p=0.5, training=False)
        >>> bool((y == 1).all())
        True
    """
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: received a {input.ndim}-D input; it expects (N, C, D, H, W) "
                      f"or (C, D, H, W)", UserWarning, stacklevel=2)
        return _channel_dropout(input, p, training, inplace, input.ndim)
    return _channel_dropout(input, p, training, inplace, 5)
