"""Sparse COO tensors: indices (ndim, nnz), values (nnz,), a shape -- enough for graph nets.

``SparseTensor`` is a Tensor subclass, so ``isinstance(adj, fastnn.Tensor)`` holds
as in PyTorch, with ``is_sparse`` True. What is sparse-aware:

* building: ``sparse_coo_tensor(indices, values, size)``, ``dense.to_sparse()``;
* ``coalesce()`` (sorted, duplicates summed), ``indices()``, ``values()``,
  ``_nnz()``, ``to_dense()``, ``t()``, ``to(dtype)``;
* ``sparse @ dense``, ``fastnn.mm``/``spmm``/``fastnn.sparse.mm``: a gather, a
  scale and a segment sum over the nonzeros (SparseMM below), with gradients for
  the dense operand and for the values tensor.

Anything else reads the sparse tensor as its dense array (``_data`` is the dense
matrix, built once and cached): ``eye + adj``, ``adj.sum(1)``, ``dense @ adj``,
``adj > 0`` give dense results, as most PyTorch scripts then use them. Those
dense fallbacks treat the sparse tensor as a constant: gradients reach
``values`` through the sparse-aware operations only.
"""
import numpy as np

from ..autograd.function import Function
from ..ops.rnn import array_module
from .._tensor import Tensor, _as_array


class SparseTensor(Tensor):
    """A sparse COO tensor (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        raise TypeError("build sparse tensors with fastnn.sparse_coo_tensor(indices, values, size) "
                        "or dense.to_sparse()")

    @classmethod
    def _make(cls, indices, values, shape, coalesced=False):
        t = object.__new__(cls)
        t.grad = None
        t._ctx = None
        t._out_index = 0
        t._retains_grad = False
        t.__dict__.update(_indices=indices, _values=values, _shape=tuple(shape),
                          _coalesced=coalesced, _dense=None)
        return t

    # --- the dense fallback -----------------------------------------------------------
    @property
    def _data(self):
        d = self.__dict__
        if d["_dense"] is None:
            vals = self._values._data
            xp = array_module(vals)
            out = xp.zeros(self._shape, vals.dtype)
            if vals.size:
                idx = tuple(self._indices)
                if self._coalesced:
                    out[idx] = vals
                else:
                    xp.add.at(out, idx, vals)
            d["_dense"] = out
        return d["_dense"]

    @_data.setter
    def _data(self, value):
        raise RuntimeError("a sparse tensor's data cannot be assigned; build a new one")

    @property
    def requires_grad(self):
        return False  # the values tensor carries the gradient (see the module docstring)

    @requires_grad.setter
    def requires_grad(self, value):
        if value:
            raise RuntimeError("set requires_grad on the values: "
                               "sparse_coo_tensor(i, values.requires_grad_(), size)")

    # --- what a sparse tensor is -------------------------------------------------------
    is_sparse = property(lambda self: True)
    layout = property(lambda self: "sparse_coo")

    @property
    def shape(self):
        return self._shape

    def size(self, dim=None):
        return self._shape if dim is None else self._shape[dim]

    @property
    def dtype(self):
        return self._values._data.dtype

    @property
    def ndim(self):
        return len(self._shape)

    def dim(self):
        return len(self._shape)

    def sparse_dim(self):
        return len(self._shape)

    def dense_dim(self):
        return 0

    def numel(self):
        return int(np.prod(self._shape))

    def __len__(self):
        return self._shape[0]

    @property
    def device(self):
        return self._values.device

    @property
    def is_cuda(self):
        return self._values.is_cuda

    @property
    def is_cpu(self):
        return self._values.is_cpu

    def indices(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return Tensor._wrap(self._indices)

    def _indices_(self):
        return Tensor._wrap(self._indices)

    def values(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._values

    def _nnz(self):
        return int(self._indices.shape[1])

    def is_coalesced(self):
        return self._coalesced

    def coalesce(self):
        """Indices sorted (row-major) and unique, duplicates' values summed."""
        if self._coalesced:
            return self
        idx = self._indices
        xp = array_module(idx)
        if idx.shape[1] == 0:
            return SparseTensor._make(idx, self._values, self._shape, True)
        lin = xp.ravel_multi_index(tuple(idx), self._shape)
        order = xp.argsort(lin, kind="stable")
        lin_sorted = lin[order]
        first = xp.ones(lin_sorted.shape, bool)
        first[1:] = lin_sorted[1:] != lin_sorted[:-1]
        starts = xp.nonzero(first)[0]
        new_idx = xp.stack(xp.unravel_index(lin_sorted[starts], self._shape)).astype(np.int64)
        values = _SegmentSum.apply(self._values, order, starts)
        return SparseTensor._make(new_idx, values, self._shape, True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        out = Tensor._wrap(self._data.copy())
        return out if dtype is None else out.to(dtype)

    def to_sparse(self, sparse_dim=None, *, layout=None):
        return self

    def to(self, *args, **kwargs):
        values = self._values.to(*args, **kwargs)
        if values is self._values:
            return self
        idx = values.__class__._wrap(self._indices).to(values.device)._data \
            if values.device != self._values.device else self._indices
        return SparseTensor._make(idx, values, self._shape, self._coalesced)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def detach(self):
        return SparseTensor._make(self._indices, self._values.detach(), self._shape,
                                  self._coalesced)

    def t(self):
        if self.ndim != 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return SparseTensor._make(self._indices[::-1].copy(), self._values,
                                  self._shape[::-1], False)

    def transpose(self, dim0, dim1):
        order = list(range(self.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        shape = tuple(self._shape[i] for i in order)
        return SparseTensor._make(self._indices[order].copy(), self._values, shape, False)

    # --- products ----------------------------------------------------------------------
    def mm(self, mat2):
        return mm(self, mat2)

    def __matmul__(self, other):
        if isinstance(other, Tensor) and not isinstance(other, SparseTensor) and other.ndim == 1:
            return mm(self, other.unsqueeze(1)).squeeze(1)
        return mm(self, other)

    matmul = __matmul__

    def __repr__(self):
        return (f"tensor(indices={Tensor._wrap(self._indices)!r},\n       "
                f"values={self._values!r},\n       size={self._shape}, nnz={self._nnz()}, "
                "layout=fastnn.sparse_coo)")

    def __reduce_ex__(self, protocol):
        # saved as its parts (fastnn.save): indices, values, shape
        return (_rebuild_sparse, (Tensor._wrap(self._indices), self._values, self._shape,
                                  self._coalesced))


def _rebuild_sparse(indices, values, shape, coalesced):
    return SparseTensor._make(indices._data, values, tuple(shape), coalesced)


class _SegmentSum(Function):
    """values[order] summed over the runs starting at ``starts`` (coalescing duplicates)."""

    def forward(self, values, order, starts):
        self.meta = (order, starts, values.shape[0])
        xp = array_module(values)
        return xp.add.reduceat(values[order], starts) if values.size else values.copy()

    def backward(self, g):
        order, starts, n = self.meta
        xp = array_module(g)
        run = xp.zeros(n, np.int64)
        run[starts[1:]] = 1
        run = xp.cumsum(run)  # which output each sorted value went to
        gx = xp.empty(n, g.dtype)
        gx[order] = g[run]
        return gx, None, None


class SparseMM(Function):
    """out = A @ D for A sparse (indices, values), D dense: out[r] += v * D[c] per nonzero.

    Forward gathers D's rows at the column indices, scales them by the values and
    sums them per output row (indices sorted by row after coalesce: one reduceat).
    Backward: dD = A^T g (the same, with rows and columns swapped: a scatter-add),
    dvalues[k] = g[r_k] . D[c_k].
    """

    def forward(self, values, dense, indices, n_rows):
        self.saved = (values, dense, indices)
        xp = array_module(dense)
        rows, cols = indices
        out = xp.zeros((n_rows, dense.shape[1]), dense.dtype)
        if values.size:
            contrib = dense[cols] * values[:, None]
            first = xp.ones(rows.shape, bool)
            first[1:] = rows[1:] != rows[:-1]
            starts = xp.nonzero(first)[0]
            out[rows[starts]] = xp.add.reduceat(contrib, starts, axis=0)
        return out

    def backward(self, g):
        values, dense, indices = self.saved
        xp = array_module(g)
        rows, cols = indices
        g_values = g_dense = None
        if self.needs_input_grad[1]:
            g_dense = xp.zeros(dense.shape, dense.dtype)
            if values.size:
                xp.add.at(g_dense, cols, g[rows] * values[:, None])
        if self.needs_input_grad[0]:
            g_values = (g[rows] * dense[cols]).sum(axis=1).astype(values.dtype, copy=False)
        return g_values, g_dense, None, None


def mm(mat1, mat2):
    """``mat1 @ mat2`` with ``mat1`` sparse COO (2-D) and ``mat2`` dense (2-D): a dense
    result, differentiable in ``mat2`` and in ``mat1``'s values (torch.sparse.mm)."""
    if not isinstance(mat1, SparseTensor):
        if isinstance(mat2, SparseTensor):
            # dense @ sparse: (sparse^T @ dense^T)^T
            return mm(mat2.t(), mat1.t()).t()
        return mat1.mm(mat2) if isinstance(mat1, Tensor) else Tensor._wrap(_as_array(mat1)).mm(mat2)
    if isinstance(mat2, SparseTensor):
        mat2 = mat2.to_dense()
    if not isinstance(mat2, Tensor):
        mat2 = Tensor._wrap(_as_array(mat2))
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"sparse mm: expected 2-D tensors, got {mat1.ndim}D and {mat2.ndim}D")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    a = mat1.coalesce()
    dt = np.result_type(a.dtype, mat2.dtype)
    values = a._values if a._values.dtype == dt else a._values.to(dt)
    dense = mat2 if mat2.dtype == dt else mat2.to(dt)
    return SparseMM.apply(values, dense, a._indices, a._shape[0])


def sparse_coo_tensor(indices, values, size=None, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """A sparse COO tensor with ``values[k]`` at ``indices[:, k]`` (torch.sparse_coo_tensor).

    Duplicate indices are allowed (they add up, see coalesce). ``size`` defaults
    to the smallest shape holding every index.
    """
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"sparse_coo_tensor: indices must be integers, got dtype {idx.dtype}")
    if idx.ndim != 2:
        raise ValueError(f"sparse_coo_tensor: indices must be 2-D (ndim, nnz), got shape "
                         f"{idx.shape}")
    idx = idx.astype(np.int64, copy=True) if isinstance(idx, np.ndarray) else idx.astype(np.int64)
    if isinstance(values, Tensor):
        vals = values if dtype is None or values.dtype == np.dtype(dtype) else values.to(dtype)
    else:
        arr = _as_array(values, dtype)
        vals = Tensor._wrap(arr)
    if vals.ndim != 1:
        raise ValueError(f"sparse_coo_tensor: values must be 1-D (hybrid sparse tensors are not "
                         f"supported), got shape {vals.shape}")
    if vals.shape[0] != idx.shape[1]:
        raise ValueError(f"sparse_coo_tensor: indices hold {idx.shape[1]} entries but values "
                         f"{vals.shape[0]}")
    if size is None:
        size = tuple(int(m) + 1 for m in idx.max(axis=1)) if idx.shape[1] else (0,) * idx.shape[0]
    size = tuple(int(s) for s in size)
    if len(size) != idx.shape[0]:
        raise ValueError(f"sparse_coo_tensor: size {size} has {len(size)} dims but indices "
                         f"have {idx.shape[0]} rows")
    if idx.shape[1]:
        if (idx < 0).any():
            raise RuntimeError("sparse_coo_tensor: found a negative index")
        over = idx.max(axis=1) >= np.asarray(size)
        if over.any():
            d = int(np.argmax(over))
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                               f"{size[d]} but found index {int(idx[d].max())}")
    if requires_grad:
        vals.requires_grad_(True)
    out = SparseTensor._make(idx, vals, size, coalesced=False)
    if device is not None and str(device) != "cpu":
        out = out.to(device)
    return out


def to_sparse(t, sparse_dim=None, *, layout=None):
    """The COO form of a dense tensor (its nonzeros, coalesced); values keep the graph."""
    if layout is not None and str(layout) not in ("sparse_coo", "fastnn.sparse_coo",
                                                   "torch.sparse_coo"):
        raise ValueError(f"to_sparse: only the sparse_coo layout is supported, got {layout}")
    if isinstance(t, SparseTensor):
        return t
    if sparse_dim is not None and sparse_dim != t.ndim:
        raise ValueError("to_sparse: hybrid tensors (sparse_dim < ndim) are not supported")
    xp = array_module(t._data)
    nz = xp.nonzero(t._data)
    idx = xp.stack(nz).astype(np.int64) if t.ndim else xp.zeros((0, 1), np.int64)
    values = t[tuple(Tensor._wrap(i) for i in nz)] if t.requires_grad else \
        Tensor._wrap(t._data[nz])
    return SparseTensor._make(idx, values, t.shape, coalesced=True)


def spmm(input, mat2):
    """torch.spmm: sparse @ dense."""
    return mm(input, mat2)


__all__ = ["SparseTensor", "sparse_coo_tensor", "mm", "spmm", "to_sparse"]
