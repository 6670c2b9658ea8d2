"""Tensor in-place methods: ``add_``, ``mul_``, ``clamp_``, ``zero_``, ``fill_``, ``copy_``,
the in-place unary math (``exp_``, ``relu_``, ...) and ``t += x``.

Without autograd they write into the array. Under autograd (the tensor or the
operand requires grad) the op runs out of place on a snapshot of the old value and
the result is rebound into this tensor, so the graph sees the old value as input,
as PyTorch's version counter arranges; a view's in-place op also writes back into
the tensor it views (``_rebind``).
"""
# mypy: disable-error-code="misc"
# (the methods annotate ``self: Tensor``, the class that combines the mixins; mypy
# reports that as misc, since Tensor is a subclass of the mixin, not a supertype)

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

import numpy as np

from .._promotion import _raw
from ..autograd import grad_mode
from ..random import default_generator

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._types import Number, TensorLike
    from ..random import Generator


def _any_requires_grad(fn: Callable[..., Any]) -> bool:
    """Whether a closure passed to ``_inplace`` captured a Tensor that requires grad."""
    cells = getattr(fn, "__closure__", None) or ()
    return any(isinstance(c.cell_contents, Tensor) and c.cell_contents.requires_grad
               for c in cells)


class InplaceMethods:
    __slots__ = ()

    # --- the machinery -------------------------------------------------------------------
    def _check_inplace(self: Tensor) -> None:
        if self.requires_grad and self._ctx is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")

    def _snapshot(self: Tensor) -> Tensor:
        """A Tensor standing for this tensor's value (and grad_fn) before an in-place op."""
        old = Tensor._wrap(self._data)
        old.requires_grad = self.requires_grad
        old._ctx = self._ctx
        old._out_index = self._out_index
        return old

    def _rebind(self: Tensor, out: Tensor) -> None:
        self._data = out._data
        self._ctx = out._ctx
        self._out_index = out._out_index
        self.requires_grad = out.requires_grad
        view = getattr(self, "_view_of", None)  # set by __getitem__ on basic-index views
        if view is not None:
            base, idx = view
            base[idx] = self  # the recorded write-back of a view's in-place op

    def _inplace(self: Tensor, fn: Callable[..., Any], other: Any, ufunc: Any,
                 plain: Optional[Callable[[], Tensor]] = None) -> Tensor:
        if grad_mode._state.record and (self.requires_grad or
                                        (isinstance(other, Tensor) and other.requires_grad) or
                                        (plain is not None and _any_requires_grad(fn))):
            self._check_inplace()
            out = fn(self._snapshot(), other)
            if out._data.dtype != self._data.dtype:
                out = out.to(self._data.dtype)
            self._rebind(out)
            return self
        if plain is not None:
            self._data[...] = plain()._data
            return self
        ufunc(self._data, _raw(other), out=self._data)
        return self

    def _unary_inplace(self: Tensor, name: str) -> Tensor:
        """``self.<name>()`` written into this tensor (``exp_`` is ``_unary_inplace("exp")``)."""
        if grad_mode._state.record and self.requires_grad:
            self._check_inplace()
            out = getattr(self._snapshot(), name)()
            self._rebind(out if out._data.dtype == self._data.dtype else out.to(self._data.dtype))
            return self
        self._data[...] = getattr(Tensor._wrap(self._data), name)()._data
        return self

    # ``t += x`` is in place, as in PyTorch: ``w -= lr * w.grad`` under no_grad keeps w
    # the same leaf Parameter (Python's fallback would bind w to a new, graph-less Tensor).
    def __iadd__(self: Tensor, other: TensorLike) -> Tensor:
        return self.add_(other)

    def __isub__(self: Tensor, other: TensorLike) -> Tensor:
        return self.sub_(other)

    def __imul__(self: Tensor, other: TensorLike) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self: Tensor, other: TensorLike) -> Tensor:
        return self.div_(other)

    # --- binary ----------------------------------------------------------------------------
    def add_(self: Tensor, other: TensorLike, alpha: Number = 1) -> Tensor:
        return self._inplace(Tensor.__add__, other * alpha if alpha != 1 else other,  # type: ignore[operator]
                             np.add)

    def sub_(self: Tensor, other: TensorLike, alpha: Number = 1) -> Tensor:
        return self._inplace(Tensor.__sub__, other * alpha if alpha != 1 else other,  # type: ignore[operator]
                             np.subtract)

    def mul_(self: Tensor, other: TensorLike) -> Tensor:
        return self._inplace(Tensor.__mul__, other, np.multiply)

    def div_(self: Tensor, other: TensorLike) -> Tensor:
        return self._inplace(Tensor.__truediv__, other, np.true_divide)

    def pow_(self: Tensor, other: TensorLike) -> Tensor:
        return self._inplace(Tensor.__pow__, other, np.power)

    def clamp_(self: Tensor, min: Optional[TensorLike] = None,
               max: Optional[TensorLike] = None) -> Tensor:
        if grad_mode._state.record and self.requires_grad:
            self._check_inplace()
            self._rebind(self._snapshot().clamp(min, max))
            return self
        np.clip(self._data, _raw(min), _raw(max), out=self._data)
        return self

    def scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None,
                 reduce: Optional[str] = None) -> Tensor:
        return self._inplace(lambda a, _: a.scatter(dim, index, src, value, reduce), None,
                             None, lambda: self.scatter(dim, index, src, value, reduce))

    def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
        return self._inplace(lambda a, _: a.scatter_add(dim, index, src), None,
                             None, lambda: self.scatter_add(dim, index, src))

    # --- filling -----------------------------------------------------------------------------
    def zero_(self: Tensor) -> Tensor:
        """Fills this tensor with zeros, in place; returns it.

        Example::

            >>> x = fastnn.ones(2, 2)
            >>> x.zero_()
            tensor([[0., 0.],
                    [0., 0.]])
        """
        return self.fill_(0)

    def fill_(self: Tensor, value: TensorLike) -> Tensor:
        """Fills this tensor with ``value``, in place; returns it.

        Args:
            value (Number or 0-d Tensor): the value to write everywhere.

        Example::

            >>> fastnn.zeros(3).fill_(2.5)
            tensor([2.5000, 2.5000, 2.5000])
        """
        if grad_mode._state.record and (self.requires_grad or
                                        (isinstance(value, Tensor) and value.requires_grad)):
            self._check_inplace()
            self[...] = value
            return self
        self._data[...] = _raw(value)
        return self

    def copy_(self: Tensor, src: TensorLike) -> Tensor:
        """Copies ``src`` (broadcast, cast to this dtype) into this tensor; returns it.

        Args:
            src (Tensor or array): the values to copy.

        Example::

            >>> x = fastnn.zeros(2, 2)
            >>> x.copy_(fastnn.tensor([1.0, 2.0]))
            tensor([[1., 2.],
                    [1., 2.]])
        """
        if grad_mode._state.record and (self.requires_grad or
                                        (isinstance(src, Tensor) and src.requires_grad)):
            self._check_inplace()
            self[...] = src
            return self
        s = _raw(src)
        if not isinstance(s, np.ndarray) and hasattr(s, "get"):
            s = s.get()  # a CuPy array
        self._data[...] = s
        return self

    def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0,
                 generator: Optional[Generator] = None) -> Tensor:
        g = generator or default_generator()
        with grad_mode.no_grad():
            return self.copy_(g.uniform(a, b, self._data.shape))

    def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0,
                generator: Optional[Generator] = None) -> Tensor:
        g = generator or default_generator()
        with grad_mode.no_grad():
            return self.copy_(g.normal(mean, std, self._data.shape))

    def apply_(self: Tensor, callable: Callable[[Any], Any]) -> Tensor:
        """Replace each element x by callable(x) (CPU, slow; as torch's apply_)."""
        values = [callable(v) for v in self._data.reshape(-1).tolist()]
        self._data[...] = np.asarray(values, dtype=self._data.dtype).reshape(self._data.shape)
        return self

    # --- unary math in place: the result of the out-of-place method, written back ---------
    def abs_(self: Tensor) -> Tensor:
        return self._unary_inplace("abs")

    def neg_(self: Tensor) -> Tensor:
        return self._unary_inplace("neg")

    def exp_(self: Tensor) -> Tensor:
        return self._unary_inplace("exp")

    def log_(self: Tensor) -> Tensor:
        return self._unary_inplace("log")

    def log1p_(self: Tensor) -> Tensor:
        return self._unary_inplace("log1p")

    def sqrt_(self: Tensor) -> Tensor:
        return self._unary_inplace("sqrt")

    def rsqrt_(self: Tensor) -> Tensor:
        return self._unary_inplace("rsqrt")

    def sin_(self: Tensor) -> Tensor:
        return self._unary_inplace("sin")

    def cos_(self: Tensor) -> Tensor:
        return self._unary_inplace("cos")

    def sigmoid_(self: Tensor) -> Tensor:
        return self._unary_inplace("sigmoid")

    def tanh_(self: Tensor) -> Tensor:
        return self._unary_inplace("tanh")

    def relu_(self: Tensor) -> Tensor:
        return self._unary_inplace("relu")

    def reciprocal_(self: Tensor) -> Tensor:
        return self._unary_inplace("reciprocal")

    def square_(self: Tensor) -> Tensor:
        return self._unary_inplace("square")

    def sign_(self: Tensor) -> Tensor:
        return self._unary_inplace("sign")

    def floor_(self: Tensor) -> Tensor:
        return self._unary_inplace("floor")

    def ceil_(self: Tensor) -> Tensor:
        return self._unary_inplace("ceil")

    def trunc_(self: Tensor) -> Tensor:
        return self._unary_inplace("trunc")

    def round_(self: Tensor) -> Tensor:
        return self._unary_inplace("round")
