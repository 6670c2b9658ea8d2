"""fastnn.sparse: sparse COO tensors and their products (torch.sparse's names).

``fastnn.sparse_coo_tensor``, ``Tensor.to_sparse()`` and ``fastnn.spmm`` are the
same functions, bound at the top level as in PyTorch. See coo.py.
"""
from .coo import SparseTensor, mm, sparse_coo_tensor, spmm, to_sparse  # noqa: F401


def sum(input, dim=None):
    """The sum of a sparse tensor's entries (over ``dim``), as a dense tensor."""
    if not isinstance(input, SparseTensor):
        raise TypeError(f"fastnn.sparse.sum: expected a sparse tensor, got {type(input).__name__}")
    if dim is None:
        return input.coalesce()._values.sum()
    return input.to_dense().sum(dim)


def addmm(mat, mat1, mat2, *, beta=1, alpha=1):
    """beta * mat + alpha * (mat1 @ mat2), mat1 sparse."""
    out = mm(mat1, mat2)
    return (mat * beta if beta != 1 else mat) + (out * alpha if alpha != 1 else out)


__all__ = ["SparseTensor", "mm", "spmm", "sparse_coo_tensor", "to_sparse", "sum", "addmm"]
