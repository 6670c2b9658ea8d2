"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
import numpy as np

from .._tensor import Tensor, _as_array, get_default_dtype


class Parameter(Tensor):
    """A leaf Tensor with ``requires_grad=True`` by default.

    Assigning a Parameter to a Module attribute registers it, so it shows up in
    ``parameters()`` and ``state_dict()``. Built from a Tensor it shares that
    Tensor's array (as ``torch.nn.Parameter`` shares storage); built from other
    data it copies, following ``fastnn.tensor``'s dtype rules.
    """

    def __init__(self, data=None, requires_grad=True):
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

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._wrap(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        if self.grad is not None:
            result.grad = Tensor._wrap(self.grad._data.copy())
        return result


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._wrap(data), requires_grad)


__all__ = ["Parameter"]
