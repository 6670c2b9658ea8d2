"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _as_array, get_default_dtype


class Parameter(Tensor):
    """A Tensor that is a module parameter: a leaf with ``requires_grad=True`` by default.

    Assigning a Parameter to a Module attribute registers it, so it shows up in
    :meth:`Module.parameters` (what an optimizer updates) and
    :meth:`Module.state_dict`; a plain Tensor attribute does not. Built from a
    Tensor it shares that Tensor's array (as ``torch.nn.Parameter`` shares
    storage); built from other data it copies, following ``fastnn.tensor``'s
    dtype rules.

    Args:
        data (Tensor or array-like, optional): the value; None gives an empty
            tensor of the default dtype. Default: ``None``
        requires_grad (bool): whether autograd records operations on it.
            Default: ``True``

    Example::

        >>> class Scale(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.gain = nn.Parameter(fastnn.ones(2))
        ...         self.offset = fastnn.zeros(2)  # a plain Tensor: not registered
        ...     def forward(self, x):
        ...         return x * self.gain + self.offset
        >>> [name for name, _ in Scale().named_parameters()]
        ['gain']
        >>> nn.Parameter(fastnn.tensor([1.0, 2.0]))
        Parameter containing:
        tensor([1., 2.], requires_grad=True)
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty((0,), dtype=get_default_dtype())
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = _as_array(data)
        self._data = arr
        self.grad = None
        self._ctx = None
        self._out_index = 0
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self._data, self.requires_grad))

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._wrap(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        if self.grad is not None:
            result.grad = Tensor._wrap(self.grad._data.copy())
        return result


def _rebuild_parameter(data: Any, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._wrap(data), requires_grad)


__all__ = ["Parameter"]
