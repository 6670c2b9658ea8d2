"""Tensor: an array, its gradient, and the Function that produced it.

``Tensor._data`` is a NumPy array (or a CuPy array on the GPU). Operations on
Tensors are Functions (fastnn/autograd/function.py) whose forward/backward
work on those arrays; ``backward()`` walks the recorded graph.

This file is the class core: construction, the autograd fields and data access.
The rest of Tensor, as in PyTorch's split of torch/_tensor.py and friends:

- the methods, one family per module: fastnn/_tensor_methods/ (arithmetic,
  reduction, shape, indexing, inplace, conversion, creation), mixed in below
  (why mixins: fastnn/_tensor_methods/__init__.py);
- dtype rules and promotion: fastnn/_promotion.py; printing: fastnn/_tensor_str.py;
- the factories (fastnn.tensor, zeros, arange, randn, ...): fastnn/_factory.py;
- the functions over tensors (fastnn.cat, stack, where, sum, ...): fastnn/_functions.py.

``fastnn.tensor`` is only the factory function; the class is ``fastnn.Tensor``
(``from fastnn._tensor import Tensor``), as ``torch.tensor`` and ``torch.Tensor``.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, Optional, overload

import numpy as np

from . import _device_move as _dm
from . import _legacy
from . import _promotion
from . import _tensor_str
from ._tensor_methods import arithmetic as _arithmetic
from ._tensor_methods import conversion as _conversion
from ._tensor_methods import creation as _creation
from ._tensor_methods import indexing as _indexing
from ._tensor_methods import inplace as _inplace
from ._tensor_methods import reduction as _reduction
from ._tensor_methods import shape as _shape
from .autograd import function
from .autograd.function import run_backward

if TYPE_CHECKING:
    from ._types import DeviceLike, DTypeLike, TensorLike


class Tensor(_arithmetic.ArithmeticMethods, _reduction.ReductionMethods, _shape.ShapeMethods,
             _indexing.IndexingMethods, _inplace.InplaceMethods, _conversion.ConversionMethods,
             _creation.CreationMethods):
    """A multi-dimensional array with automatic differentiation.

    Make tensors with the factories (``fastnn.tensor``, ``fastnn.zeros``, ...);
    ``Tensor(2, 3)`` and ``Tensor(data)`` are PyTorch's legacy constructors (float32).

    Example::

        >>> x = fastnn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([[2., 4.],
                [6., 8.]])
    """

    # ``__dict__``: as on torch.Tensor, users may set attributes of their own on a
    # tensor (``t.name = "w"``); rarely set fields live there too (autograd/hooks.py).
    __slots__ = ("_data", "grad", "requires_grad", "_ctx", "_out_index", "_retains_grad",
                 "_view_of", "__weakref__", "__dict__")
    __array_priority__ = 1000  # make ndarray (op) Tensor defer to Tensor's reflected ops

    _data: Any              # the array: numpy.ndarray, or cupy.ndarray on a GPU
    grad: Optional[Tensor]  # d(loss)/d(self), filled by backward() on leaves
    requires_grad: bool
    _ctx: Any               # the Function that produced this tensor; None on a leaf
    _out_index: int         # which of _ctx's outputs this tensor is
    _retains_grad: bool     # a non-leaf that keeps .grad (retain_grad())
    _view_of: tuple[Tensor, Any]  # (base, index) of a basic-index view; unset otherwise

    def __init__(self, *args: Any, dtype: DTypeLike = None, requires_grad: bool = False,
                 device: DeviceLike = None) -> None:
        # PyTorch's legacy constructor (fastnn/_legacy.py): Tensor(2, 3) is a 2x3 and
        # Tensor([1, 2]) a float tensor in the default dtype; fastnn.tensor() infers.
        if len(args) == 2 and dtype is None and not isinstance(args[1], numbers.Integral):
            dtype = args[1]  # fastnn's older Tensor(data, dtype)
            args = args[:1]
        if dtype is not None and len(args) == 1 and not _legacy._is_size_args(args):
            self._data = _promotion._as_array(args[0], dtype)
        else:
            self._data = _legacy.legacy_array(args, dtype or _promotion._default_dtype)
        if device is not None and str(device) != "cpu":
            self._data = _dm.move_array(self._data, _dm.as_device(device))
        self.grad = None
        self._ctx = None
        self._out_index = 0
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array: Any) -> Tensor:
        """A Tensor around ``array`` without copying (internal fast path)."""
        if isinstance(array, np.generic):
            # NumPy gives scalars for 0-d results (-a, a[i], a.sum()); a 0-d tensor
            # holds a 0-d array, so in-place ops (ufunc out=, a[...] =) work on it.
            array = np.asarray(array)
        t = cls.__new__(cls)
        t._data = array
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t._out_index = 0
        t._retains_grad = False
        return t

    # --- .data: PyTorch's detached view ------------------------------------------------
    # The array itself lives in ``_data`` (what Functions and kernels see). As in
    # PyTorch, ``t.data`` is a Tensor sharing that memory, outside the graph, and
    # assigning ``t.data = other`` swaps the array without touching the graph.
    @property
    def data(self) -> Tensor:
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: TensorLike) -> None:
        self._data = value._data if isinstance(value, Tensor) else _promotion._as_array(value)

    # --- size and type ----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dim, as a tuple of ints (``t.shape == t.size()``).

        Example::

            >>> fastnn.zeros(2, 3).shape
            (2, 3)
        """
        return tuple(self._data.shape)

    @overload
    def size(self, dim: None = None) -> tuple[int, ...]: ...

    @overload
    def size(self, dim: int) -> int: ...

    def size(self, dim: Optional[int] = None) -> Any:
        """The shape, or the size of dim ``dim``.

        Args:
            dim (int, optional): the dim to report; negative counts from the end.

        Example::

            >>> x = fastnn.zeros(2, 3)
            >>> x.size()
            (2, 3)
            >>> x.size(-1)
            3
        """
        return self.shape if dim is None else self.shape[dim]

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        """The number of dims (0 for a scalar tensor).

        Example::

            >>> fastnn.zeros(2, 3, 4).dim()
            3
        """
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements.

        Example::

            >>> fastnn.zeros(2, 3, 4).numel()
            24
        """
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __repr__(self) -> str:
        return _tensor_str.tensor_repr(self)

    def __hash__(self) -> int:
        return id(self)

    # --- autograd -------------------------------------------------------------------
    @property
    def grad_fn(self) -> Any:
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Sets whether autograd records operations on this (leaf) tensor; returns it.

        Args:
            requires_grad (bool): record operations, so ``backward()`` fills ``.grad``.
                Default: True.

        Example::

            >>> w = fastnn.ones(2).requires_grad_()
            >>> w.requires_grad
            True
            >>> (w * 3).sum().backward()
            >>> w.grad
            tensor([3., 3.])
        """
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only floating point tensors can require gradients, "
                               f"got dtype {self._data.dtype}")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keeps ``.grad`` on this non-leaf tensor in ``backward()`` (leaves always keep it).

        Example::

            >>> x = fastnn.ones(2, requires_grad=True)
            >>> y = x * 2
            >>> y.retain_grad()
            >>> y.sum().backward()
            >>> y.grad
            tensor([1., 1.])
        """
        if self._ctx is not None:
            self._retains_grad = True

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(self)`` in backward once this leaf's ``.grad`` holds its gradient.

        Returns a handle whose ``remove()`` unregisters it (fastnn/autograd/hooks.py).
        """
        from .autograd import hooks
        return hooks.register(self, hook)

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory, outside the graph (no grad, no history).

        Example::

            >>> x = fastnn.ones(2, requires_grad=True)
            >>> y = (x * 2).detach()
            >>> y.requires_grad, y.grad_fn
            (False, None)
        """
        return Tensor._wrap(self._data)

    def detach_(self) -> Tensor:
        self._ctx = None
        self.requires_grad = False
        return self

    def _accumulate(self, g: Any) -> None:
        if self.grad is None:
            self.grad = Tensor._wrap(g.copy() if g.base is not None or not g.flags.writeable else g) \
                if isinstance(g, np.ndarray) else Tensor._wrap(g.copy())
        else:
            self.grad._data = np.asarray(self.grad._data + g) \
                if isinstance(self.grad._data, np.ndarray) else self.grad._data + g

    def backward(self, gradient: Optional[TensorLike] = None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False) -> None:
        """Computes the gradient of this tensor with respect to the graph's leaves.

        Accumulates ``d(self)/d(leaf) * gradient`` into ``.grad`` of every leaf that
        requires grad (add to, not replace: zero grads between steps).

        Args:
            gradient (Tensor, optional): d(loss)/d(self), of this tensor's shape; may
                be left out for a one-element tensor (then 1).
            retain_graph (bool, optional): accepted for PyTorch compatibility; fastnn's
                graph may be walked again.
            create_graph (bool): higher-order gradients; not supported. Default: False.

        Example::

            >>> x = fastnn.tensor([1.0, 2.0, 3.0], requires_grad=True)
            >>> (x ** 2).sum().backward()
            >>> x.grad
            tensor([2., 4., 6.])
            >>> y = x * 10
            >>> y.backward(fastnn.tensor([1.0, 0.0, 0.0]))
            >>> x.grad
            tensor([12.,  4.,  6.])
        """
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   "pass gradient=")
            g = np.ones_like(self._data)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
            if g.shape != self._data.shape:
                raise RuntimeError(f"backward: gradient has shape {g.shape}, expected {self.shape}")
            g = g.astype(self._data.dtype, copy=False)
        run_backward(self, g)


# The modules below use ``Tensor`` at call time but are imported before it exists
# (they build it); hand it to them now. Functions make their outputs through it too.
for _module in (_promotion, _arithmetic, _conversion, _creation, _indexing, _inplace, _reduction,
                _shape):
    setattr(_module, "Tensor", Tensor)
del _module
function._Tensor = Tensor  # type: ignore[assignment]  # None there until this line

# Names other modules import from here (the class's old home kept everything).
from ._promotion import (_as_array, _floatify, _promote, _promote_dtypes,  # noqa: E402,F401
                         _raw, _result_dtype, _t, get_default_dtype, set_default_dtype)
from ._factory import *  # noqa: E402,F401,F403
from ._functions import *  # noqa: E402,F401,F403
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: E402
                                 is_inference_mode_enabled, no_grad, set_grad_enabled)
from .device import device  # noqa: E402
from .random import manual_seed  # noqa: E402
from . import _factory, _functions  # noqa: E402

__all__ = ["Tensor", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "is_inference_mode_enabled", "manual_seed", "set_default_dtype",
           "get_default_dtype", "device"] + _factory.__all__ + _functions.__all__
