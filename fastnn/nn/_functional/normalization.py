"""Normalisation functionals: F.batch_norm and F.layer_norm (one autograd Function each,
fastnn/ops/nn.py, with PyTorch's running-statistics update) and F.normalize (Lp rows)."""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Sequence

from ...ops import nn as _nn
from ..._tensor import Tensor

if TYPE_CHECKING:
    import numpy as np

__all__ = ["batch_norm", "layer_norm", "normalize"]


def batch_norm(input: Tensor, running_mean: Tensor | np.ndarray | None,
               running_var: Tensor | np.ndarray | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float | None = 0.1,
               eps: float = 1e-5) -> Tensor:
    r"""Normalises each channel of an (N, C, ...) input over the batch and spatial dims:
    :math:`y = (x - \mu) / \sqrt{\sigma^2 + \epsilon} \cdot \gamma + \beta`.

    When ``training``, :math:`\mu, \sigma^2` are the batch statistics (biased variance) and
    the running buffers, if given, are updated in place:
    ``running = (1 - momentum) * running + momentum * batch_stat`` (unbiased variance).
    Otherwise the running statistics are used.

    Args:
        input (Tensor): :math:`(N, C)` or :math:`(N, C, *)`.
        running_mean (Tensor, optional): :math:`(C)`, updated in place when training.
        running_var (Tensor, optional): :math:`(C)`, updated in place when training.
        weight (Tensor, optional): :math:`\gamma`, :math:`(C)`. Default: ``None`` (ones)
        bias (Tensor, optional): :math:`\beta`, :math:`(C)`. Default: ``None`` (zeros)
        training (bool): use batch statistics. Default: ``False``
        momentum (float): weight of the new statistic in the running update. Default: ``0.1``
        eps (float): added to the variance. Default: ``1e-5``

    Shape:
        - Input: :math:`(N, C, *)`; Output: same shape.

    Example::

        >>> x = fastnn.tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> rm, rv = fastnn.zeros(2), fastnn.ones(2)
        >>> F.batch_norm(x, rm, rv, training=True)
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]])
        >>> rm, rv
        (tensor([0.2000, 0.4000]), tensor([1.1000, 1.7000]))
    """
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


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int],
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    r"""Normalises over the last ``len(normalized_shape)`` dims of each sample:
    :math:`y = (x - \mathrm{E}[x]) / \sqrt{\mathrm{Var}[x] + \epsilon} \cdot \gamma + \beta`
    (biased variance).

    Args:
        input (Tensor): :math:`(*, \text{normalized\_shape})`.
        normalized_shape (int or tuple): the trailing shape to normalise over.
        weight (Tensor, optional): :math:`\gamma` of shape ``normalized_shape``. Default: ``None``
        bias (Tensor, optional): :math:`\beta` of shape ``normalized_shape``. Default: ``None``
        eps (float): added to the variance. Default: ``1e-5``

    Shape:
        - Input: :math:`(*, \text{normalized\_shape})`; Output: same shape.

    Example::

        >>> F.layer_norm(fastnn.tensor([[1.0, 2.0], [3.0, 6.0]]), (2,))
        tensor([[-1.0000,  1.0000],
                [-1.0000,  1.0000]])
    """
    shape: Any = normalized_shape
    shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(shape)
    nd = len(shape)
    if tuple(input.shape[input.ndim - nd:]) != shape or nd > input.ndim:
        raise ValueError(f"layer_norm: input of shape {input.shape} does not end with "
                         f"normalized_shape {shape}")
    return _nn.LayerNorm.apply(input, weight, bias, nd, float(eps))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    r"""Divides each slice along ``dim`` by its :math:`L_p` norm:
    :math:`v / \max(\lVert v \rVert_p, \epsilon)`.

    Args:
        input (Tensor): the input, any shape.
        p (float): the norm's exponent. Default: ``2.0``
        dim (int): the dimension to normalise. Default: ``1``
        eps (float): lower bound of the divisor, against division by zero. Default: ``1e-12``
        out (Tensor, optional): accepted for PyTorch's signature; unused. Default: ``None``

    Example::

        >>> F.normalize(fastnn.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)
