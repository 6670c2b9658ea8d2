"""Index functionals: F.embedding (row lookup, one autograd Function with PyTorch's
padding_idx, max_norm and scale_grad_by_freq) and F.one_hot."""
from __future__ import annotations

from typing import Any

import numpy as np

from ... import _sizes
from ...ops import nn as _nn
from ..._tensor import Tensor

__all__ = ["embedding", "one_hot"]


def embedding(input: Tensor | Any, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Looks up rows of ``weight`` by integer index: ``weight[input]``.

    Args:
        input (Tensor): integer indices in ``[0, num_embeddings)``, any shape.
        weight (Tensor): the table, :math:`(\\text{num\\_embeddings}, \\text{embedding\\_dim})`.
        padding_idx (int, optional): this row receives no gradient. Default: ``None``
        max_norm (float, optional): rows looked up whose ``norm_type`` norm exceeds it are
            rescaled to it, in place in ``weight``. Default: ``None``
        norm_type (float): the p of that norm. Default: ``2.0``
        scale_grad_by_freq (bool): divide each row's gradient by how often the batch uses
            it. Default: ``False``
        sparse (bool): accepted for PyTorch's signature; gradients are dense. Default: ``False``

    Shape:
        - Input: :math:`(*)`; Output: :math:`(*, \\text{embedding\\_dim})`

    Example::

        >>> w = fastnn.arange(6.0).reshape(3, 2)
        >>> F.embedding(fastnn.tensor([[0, 2], [1, 1]]), w)
        tensor([[[0., 1.],
                 [4., 5.]],
        <BLANKLINE>
                [[2., 3.],
                 [2., 3.]]])
    """
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: input must hold integer indices, got dtype {idx.dtype}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"embedding: index out of range for {n} embeddings")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError("embedding: padding_idx must be within num_embeddings")
        padding_idx %= n
    if max_norm is not None:
        rows = np.unique(idx)
        w = weight._data
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] *= scale[:, None].astype(w.dtype)
    out = _nn.Embedding.apply(weight, idx, padding_idx)
    if scale_grad_by_freq and out.requires_grad:
        counts = np.bincount(idx.reshape(-1), minlength=n)
        out._ctx.freq = counts
    return out


def one_hot(tensor: Tensor | Any, num_classes: int = -1) -> Tensor:
    """Integer class indices as one-hot int64 vectors along a new last dim.

    Args:
        tensor (Tensor): integer class indices, any shape.
        num_classes (int): length of the new dim; ``-1`` means ``max + 1``. Default: ``-1``

    Shape:
        - Input: :math:`(*)`; Output: :math:`(*, \\text{num\\_classes})`, int64.

    Example::

        >>> F.one_hot(fastnn.tensor([0, 2, 1]))
        tensor([[1, 0, 0],
                [0, 0, 1],
                [0, 1, 0]])
        >>> tuple(F.one_hot(fastnn.tensor([0, 2]), num_classes=4).shape)
        (2, 4)
    """
    t = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if t.dtype.kind not in "iu":
        raise TypeError("one_hot is only applicable to index tensors")
    if num_classes == -1:
        num_classes = int(t.max()) + 1 if t.size else 0
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError("one_hot: class values must be non-negative and smaller than num_classes")
    _sizes.check_alloc(f"one_hot: num_classes={num_classes}", t.shape + (int(num_classes),), 8)
    out = np.zeros(t.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, t[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._wrap(out)
