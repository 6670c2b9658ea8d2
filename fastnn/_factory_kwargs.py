"""PyTorch's common keyword arguments on every tensor factory function (fastnn/_factory.py).

``@factory()`` wraps fastnn's ``zeros``, ``randn``, ``arange``, ``*_like``, ... so
they accept what torch's accept: ``device=`` ("cpu", "cuda:0", a fastnn.device;
the tensor is made on the CPU and moved), ``requires_grad=`` (applied after the
move, so the result is a leaf), ``out=`` (written into, and resized if needed),
``size=`` for the ``*size`` functions (``torch.empty(size=(2, 3))``), and
``layout``/``pin_memory``/``memory_format``, which have one meaning on fastnn's
dense CPU/CUDA arrays. A ``*_like`` function puts its result on the input's
device unless told otherwise.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from . import _device_move as _dm

F = TypeVar("F", bound=Callable[..., Any])

_STRIDED = (None, "strided", "torch.strided", "fastnn.strided")
_FORMATS = (None, "contiguous_format", "preserve_format", "torch.contiguous_format",
            "torch.preserve_format")


def _check_device(device, name):
    if device is None:
        return None
    try:
        return _dm.as_device(device)
    except (RuntimeError, TypeError) as exc:
        raise type(exc)(f"{name}: device={device!r}: {exc}") from None


def factory(sized: bool = False, like: bool = False) -> Callable[[F], F]:
    """Decorator: ``sized`` for ``f(*size)`` functions, ``like`` for ``f(input, ...)``.

    The decorated function declares these keywords in its signature (for readers and
    mypy) but never receives them: the wrapper takes them and applies them here.
    """
    def deco(fn: F) -> F:
        name = fn.__name__

        @functools.wraps(fn)
        def wrapper(*args, device=None, out=None, layout=None, pin_memory=False,
                    memory_format=None, requires_grad=False, **kwargs):
            from ._tensor import Tensor
            if sized and "size" in kwargs:
                if args:
                    raise TypeError(f"{name}() got sizes both positionally and as size=")
                args = (kwargs.pop("size"),)
            if layout is not None and str(layout) not in _STRIDED:
                raise ValueError(f"{name}: layout={layout!r}: only the strided (dense) layout; "
                                 "build sparse tensors with fastnn.sparse_coo_tensor")
            if memory_format is not None and str(memory_format) not in _FORMATS:
                raise ValueError(f"{name}: memory_format={memory_format!r} is not supported "
                                 "(fastnn arrays are C-contiguous)")
            dev = _check_device(device, name)
            if dev is None and like and args and isinstance(args[0], Tensor) \
                    and args[0].is_cuda:
                dev = args[0].device
            t = fn(*args, **kwargs)
            if dev is not None and dev.type != "cpu" or dev is not None and t.is_cuda:
                t = Tensor._wrap(_dm.move_array(t._data, dev))
            if out is not None:
                return _write_out(out, t, requires_grad, name)
            if requires_grad:
                t.requires_grad_(True)
            return t
        return wrapper  # type: ignore[return-value]
    return deco


def _write_out(out, t, requires_grad, name):
    from ._tensor import Tensor
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: out must be a Tensor, got {type(out).__name__}")
    if out.requires_grad:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out.dtype != t.dtype:
        raise RuntimeError(f"{name}: expected out to have dtype {t.dtype}, got {out.dtype}")
    if out.shape == t.shape:
        out._data[...] = t._data
    else:
        out._data = t._data  # resized, as torch resizes out
    if requires_grad:
        out.requires_grad_(True)
    return out
