"""Module.to / float / double / half / cpu / cuda: moving a module's arrays between
dtypes and devices (a mixin of Module), and move_array, the one place that moves them."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

if TYPE_CHECKING:
    from ..._tensor import Tensor
    from ..parameter import Parameter

T = TypeVar("T", bound="_DeviceMixin")


def _parse_device(device: Any) -> Any:
    """None, or a fastnn.device for 'cpu' / 'cuda' / 'cuda:N' / N / a device object."""
    if device is None:
        return None
    from ..._device_move import as_device
    if not isinstance(device, (str, int)) and isinstance(getattr(device, "type", None), str):
        index = getattr(device, "index", None)  # any device object: fastnn's, torch's
        device = device.type if index is None else f"{device.type}:{index}"
    try:
        return as_device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"to(): invalid device {device!r}: {exc}") from None


def move_array(array: Any, device: Any = None, dtype: Any = None) -> Any:
    """Return ``array`` on ``device`` with ``dtype`` (either may be None = keep).

    This is the single place where Module.to() moves parameter and buffer
    arrays. Only floating-point arrays change dtype (PyTorch's rule: integer
    buffers such as ``num_batches_tracked`` keep theirs). The device move is
    fastnn._device_move.move_array (NumPy <-> CuPy).

    Args:
        array (ndarray): a NumPy or CuPy array.
        device (str or device, optional): ``'cpu'``, ``'cuda'``, ``'cuda:N'``,
            an int or a device object; None keeps the array where it is.
        dtype (dtype, optional): the floating dtype to cast to; None keeps it.

    Example::

        >>> from fastnn.nn.modules.module import move_array
        >>> move_array(np.arange(3), dtype=np.float32).dtype, move_array(np.ones(2), dtype=np.float32).dtype
        (dtype('int64'), dtype('float32'))
    """
    if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
        array = array.astype(dtype)
    dev = _parse_device(device)
    if dev is None:
        return array
    from ..._device_move import move_array as _move
    return _move(array, dev)


class _DeviceMixin:
    """The dtype and device methods of Module."""

    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]

    if TYPE_CHECKING:
        def children(self) -> Any: ...

    def _apply(self: T, fn: Callable[[Any], Any]) -> T:
        """Replace every parameter's, gradient's and buffer's array by ``fn(array)``.

        The Parameter objects stay the same (optimizers keep valid references);
        only their ``._data`` changes.
        """
        for m in self.children():
            m._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            p._data = fn(p._data)
            if p.grad is not None:
                p.grad._data = fn(p.grad._data)
        for name, b in self._buffers.items():
            if b is not None:
                b._data = fn(b._data)
        return self

    def to(self: T, *args: Any, **kwargs: Any) -> T:
        """Move and/or cast the parameters and buffers, in place; returns self.

        Called as ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)`` (that tensor's device and dtype) or with the keywords
        ``device`` and ``dtype``. Floating-point parameters and buffers are cast
        to ``dtype`` (integer buffers keep theirs); the Parameter objects stay the
        same, so an optimizer made before the call stays valid.

        Args:
            device (str or device, optional): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
            dtype (dtype, optional): a floating-point dtype.

        Raises:
            TypeError: ``dtype`` is not a floating-point dtype.
            ValueError: the device is not valid.

        Example::

            >>> lin = nn.Linear(2, 2).to(np.float64)
            >>> lin.weight.dtype
            dtype('float64')
        """
        from ..._device_move import parse_to_args
        device, dtype = parse_to_args(args, kwargs)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        device = _parse_device(device)  # validate before touching anything
        return self._apply(lambda a: move_array(a, device=device, dtype=dtype))

    def float(self: T) -> T:
        """Cast floating-point parameters and buffers to float32; returns self."""
        return self.to(np.float32)

    def double(self: T) -> T:
        """Cast floating-point parameters and buffers to float64; returns self."""
        return self.to(np.float64)

    def half(self: T) -> T:
        """Cast floating-point parameters and buffers to float16; returns self."""
        return self.to(np.float16)

    def cpu(self: T) -> T:
        """Move every parameter and buffer to the CPU; returns self."""
        return self.to("cpu")

    def cuda(self: T, device: int | str | None = None) -> T:
        """Move every parameter and buffer to a CUDA device (needs CuPy); returns self.

        Args:
            device (int or str, optional): the device index or name; None is the
                current device.
        """
        return self.to("cuda" if device is None else
                       (f"cuda:{device}" if isinstance(device, int) else device))

