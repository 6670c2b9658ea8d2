"""fastnn.diag, diagonal, diag_embed, trace: the Tensor-level functions over ops/diagonal.py."""
import numbers

from .ops import diagonal as _ops
from .ops._util import norm_dim


def _tensor(x, what):
    from ._tensor import Tensor
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: input must be a Tensor, got {type(x).__name__}")
    return x


def _offset(v, what):
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{what}: diagonal must be an int, got {v!r}")
    return int(v)


def diag(input, diagonal=0):
    """A 1-D input -> the square matrix with it on diagonal ``diagonal``; a 2-D input
    -> that diagonal (a copy), as torch.diag."""
    input = _tensor(input, "diag")
    k = _offset(diagonal, "diag")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return _ops.Diag.apply(input, k)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` of every (dim1, dim2) plane, as the last dim (torch.diagonal)."""
    input = _tensor(input, "diagonal")
    k = _offset(offset, "diagonal")
    if input.ndim < 2:
        raise RuntimeError(f"diagonal(): input must have at least 2 dims, got {input.ndim}")
    d1, d2 = norm_dim(dim1, input.ndim), norm_dim(dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _ops.Diagonal.apply(input, k, d1, d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Each last-dim vector of ``input`` placed on diagonal ``offset`` of new planes."""
    input = _tensor(input, "diag_embed")
    k = _offset(offset, "diag_embed")
    nd = input.ndim + 1
    d1, d2 = norm_dim(dim1, nd), norm_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _ops.DiagEmbed.apply(input, k, d1, d2)


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    input = _tensor(input, "trace")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diagonal(input).sum()


__all__ = ["diag", "diagonal", "diag_embed", "trace"]
