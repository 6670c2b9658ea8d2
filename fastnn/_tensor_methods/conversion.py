"""Tensor conversions: to another dtype or device (``to``, ``float``, ``cuda``, ``type``),
to Python and NumPy values (``item``, ``tolist``, ``numpy``, ``bool(t)``, ``float(t)``),
and the memory facts (``stride``, ``is_contiguous``, ``data_ptr``).
"""
# mypy: disable-error-code="misc"
# (the methods annotate ``self: Tensor``, the class that combines the mixins; mypy
# reports that as misc, since Tensor is a subclass of the mixin, not a supertype)

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .. import _device_move as _dm
from .. import _legacy
from ..autograd import function
from ..ops import arithmetic as _ops_ar

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .._types import DeviceLike, DTypeLike
    from ..device import device

_Cast = _ops_ar.Cast.apply

_TYPE_NAMES = {np.dtype(np.float32): "fastnn.FloatTensor", np.dtype(np.float64): "fastnn.DoubleTensor",
               np.dtype(np.int64): "fastnn.LongTensor", np.dtype(np.int32): "fastnn.IntTensor",
               np.dtype(np.bool_): "fastnn.BoolTensor", np.dtype(np.float16): "fastnn.HalfTensor"}


class _ScalarConversionError(RuntimeError, ValueError):
    """item() of a tensor with more than one element."""


class _ToDevice(function.Function):
    """Copy to another device; the gradient is copied back."""

    def forward(self, a, target):
        self.source = _dm.device_of(a)
        return _dm.move_array(a, target)

    def backward(self, g):
        return _dm.move_array(g, self.source), None


class ConversionMethods:
    __slots__ = ()

    # --- Python and NumPy values ---------------------------------------------------------
    def numpy(self: Tensor, *, force: bool = False) -> np.ndarray:
        """This tensor's values as a NumPy array, sharing memory on the CPU.

        Args:
            force (bool): also for a tensor that requires grad (as
                ``t.detach().cpu().numpy()``); a GPU tensor is copied. Default: False.

        Example::

            >>> t = fastnn.tensor([1.0, 2.0])
            >>> a = t.numpy()
            >>> a[0] = 7.0
            >>> t
            tensor([7., 2.])
        """
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return _dm.to_numpy(self._data)

    def item(self: Tensor) -> Any:
        """The value of a one-element tensor as a Python number.

        Example::

            >>> fastnn.tensor([[2.5]]).item()
            2.5
            >>> fastnn.tensor(3).item()
            3
        """
        if self._data.size != 1:
            # RuntimeError as torch raises; also a ValueError, which fastnn raised before
            raise _ScalarConversionError(f"a Tensor with {self._data.size} elements cannot be converted "
                                         f"to Scalar (only one element tensors can be converted to Python "
                                         f"scalars, got shape {self.shape})")
        return self._data.reshape(-1)[0].item()

    def tolist(self: Tensor) -> Any:
        """The values as (nested) Python lists; a 0-d tensor gives a number.

        Example::

            >>> fastnn.tensor([[1, 2], [3, 4]]).tolist()
            [[1, 2], [3, 4]]
        """
        return self._data.tolist()

    def __array__(self: Tensor, dtype: DTypeLike = None, copy: Optional[bool] = None) -> Any:
        return self._data if dtype is None else self._data.astype(dtype)

    def __bool__(self: Tensor) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(-1)[0])

    def __float__(self: Tensor) -> float:
        return float(self.item())

    def __int__(self: Tensor) -> int:
        return int(self.item())

    def __index__(self: Tensor) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self: Tensor, format_spec: str) -> str:
        # As PyTorch: a 0-d tensor formats as its Python number (f"{loss:.4f}");
        # any other tensor only with an empty spec.
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    # --- device ---------------------------------------------------------------------------
    @property
    def device(self: Tensor) -> device:
        return _dm.device_of(self._data)

    @property
    def is_cuda(self: Tensor) -> bool:
        return not isinstance(self._data, np.ndarray)

    @property
    def is_cpu(self: Tensor) -> bool:
        return isinstance(self._data, np.ndarray)

    # Devices fastnn has no backend for: scripts test these to pick a device.
    is_xpu = is_mps = is_xla = is_ipu = is_mtia = is_maia = is_meta = is_vulkan = \
        is_quantized = is_mkldnn = is_nested = is_sparse = is_sparse_csr = property(lambda self: False)

    def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        """This tensor in another dtype and/or on another device (itself if nothing changes).

        Forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (other's
        device and dtype), with ``dtype=``/``device=`` keywords as in PyTorch. Gradients
        flow back through the conversion.

        Example::

            >>> x = fastnn.tensor([1.7, -2.2])
            >>> x.to(fastnn.int64)
            tensor([ 1, -2])
            >>> x.to("cpu") is x
            True
        """
        dev, dtype = _dm.parse_to_args(args, kwargs)
        out = self
        if dev is not None:
            out = out._to_device(dev)
        if dtype is not None and dtype != out._data.dtype:
            out = _Cast(out, dtype)
        return out

    def _to_device(self: Tensor, dev: DeviceLike) -> Tensor:
        target = _dm.as_device(dev)
        if _dm.device_of(self._data) == target or (target.type == "cuda" and target.index is None
                                                  and not isinstance(self._data, np.ndarray)):
            return self
        return _ToDevice.apply(self, target)

    def cpu(self: Tensor) -> Tensor:
        """This tensor on the CPU (itself if it is there already).

        Example::

            >>> x = fastnn.ones(2)
            >>> x.cpu() is x
            True
        """
        return self._to_device("cpu")

    def cuda(self: Tensor, device: DeviceLike = None) -> Tensor:
        return self._to_device("cuda" if device is None else device)

    # --- dtype ----------------------------------------------------------------------------
    def type(self: Tensor, dtype: Any = None) -> Union[str, Tensor]:
        if dtype is None:
            return _TYPE_NAMES.get(self._data.dtype, str(self._data.dtype))
        if isinstance(dtype, str) and dtype in _legacy.BY_NAME:  # t.type("torch.LongTensor")
            dtype = _legacy.BY_NAME[dtype]
        return self.to(getattr(dtype, "_legacy_dtype", dtype))  # t.type(fastnn.LongTensor)

    def type_as(self: Tensor, other: Tensor) -> Tensor:
        return self.to(other._data.dtype)

    def is_floating_point(self: Tensor) -> bool:
        return self._data.dtype.kind == "f"

    # --- memory ---------------------------------------------------------------------------
    def element_size(self: Tensor) -> int:
        return self._data.dtype.itemsize

    def is_contiguous(self: Tensor) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self: Tensor, dim: Optional[int] = None) -> Union[int, tuple[int, ...]]:
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[dim]

    def data_ptr(self: Tensor) -> int:
        return self._data.__array_interface__["data"][0] if isinstance(self._data, np.ndarray) \
            else int(self._data.data.ptr)

    # --- casts (last: the names int/float/bool would shadow the types in annotations below)
    def float(self: Tensor) -> Tensor:
        """This tensor as float32 (``self.to(fastnn.float32)``); ``double``, ``half``,
        ``long``, ``int``, ``short``, ``bool`` likewise.

        Example::

            >>> fastnn.tensor([1, 2]).float()
            tensor([1., 2.])
        """
        return self.to(np.float32)

    def double(self: Tensor) -> Tensor:
        return self.to(np.float64)

    def half(self: Tensor) -> Tensor:
        return self.to(np.float16)

    def long(self: Tensor) -> Tensor:
        return self.to(np.int64)

    def int(self: Tensor) -> Tensor:
        return self.to(np.int32)

    def short(self: Tensor) -> Tensor:
        return self.to(np.int16)

    def bool(self: Tensor) -> Tensor:
        return self.to(np.bool_)
