"""Array-level device helpers behind Tensor.to() / .cuda() / .cpu() / .device.

They work on plain arrays (NumPy on the CPU, CuPy on CUDA) so the Tensor and
Module layers stay a few lines each. CuPy is imported only when an array has
to go to or come from a GPU; without CuPy every CPU-only call still works.
"""
import numpy as np

from .backends import is_cupy_array
from .device import device as _device

__all__ = ["device_of", "as_device", "move_array", "check_same_device", "array_module",
           "to_numpy", "parse_to_args"]

CPU = _device("cpu")


def as_device(dev):
    """Normalise None / 'cuda:0' / 0 / fastnn.device to a fastnn.device (None stays None)."""
    if dev is None or isinstance(dev, _device):
        return dev
    if hasattr(dev, "type") and hasattr(dev, "index") and not isinstance(dev, (str, int)):
        return _device(str(dev.type), dev.index)  # e.g. a torch.device
    return _device(dev)


def parse_to_args(args, kwargs, what="to"):
    """PyTorch's ``.to(...)`` arguments -> (device or None, dtype or None).

    Accepts ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``
    (its device and dtype) and the keywords ``device``, ``dtype``,
    ``non_blocking`` and ``copy`` (the last two have no effect here). A device
    is a string, a CUDA ordinal or any object with a ``type`` string (a
    fastnn or torch device); the device is returned as given, not parsed.
    """
    kwargs = dict(kwargs)
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"{what}() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if hasattr(a, "_data") and hasattr(a, "requires_grad"):  # a fastnn Tensor
            dtype, device = a._data.dtype, device_of(a._data)
        elif isinstance(a, str) or (isinstance(a, int) and not isinstance(a, bool)) \
                or isinstance(getattr(a, "type", None), str):
            device = a
        else:
            dtype = a
    return device, (None if dtype is None else np.dtype(dtype))


def device_of(array):
    """The fastnn.device holding ``array``: cpu for NumPy, cuda:<id> for CuPy."""
    if is_cupy_array(array):
        return _device("cuda", int(array.device.id))
    return CPU


def _cuda_index(dev):
    """Concrete ordinal of a CUDA device (``cuda`` alone means the current device)."""
    from . import cuda
    cupy = cuda.require_cuda(f"moving an array to {dev}")
    if dev.index is None:
        return cupy, int(cupy.cuda.runtime.getDevice())
    n = cuda.device_count()
    if dev.index >= n:
        raise RuntimeError(f"cannot move an array to {dev}: only {n} CUDA device(s) are visible "
                           f"(valid ordinals 0..{n - 1})")
    return cupy, dev.index


def move_array(array, dev):
    """``array`` on device ``dev``; the same object when it is already there.

    cpu <- cuda copies with ``.get()`` (synchronises); cuda <- cpu with
    ``cupy.asarray`` under the target device; cuda:i <- cuda:j copies peer to peer.
    """
    dev = as_device(dev)
    if dev is None:
        return array
    if dev.type == "cpu":
        return array.get() if is_cupy_array(array) else array
    cupy, idx = _cuda_index(dev)
    if is_cupy_array(array):
        if int(array.device.id) == idx:
            return array
        with cupy.cuda.Device(idx):
            return array.copy()  # ndarray.copy() allocates on the current device
    with cupy.cuda.Device(idx):
        return cupy.asarray(array)


def check_same_device(*arrays, op_name=None):
    """Raise RuntimeError (PyTorch's wording) unless all arrays share one device.

    None entries and Python scalars are ignored. Returns the common device
    (cpu when nothing was an array).
    """
    first = None
    for a in arrays:
        if a is None or not hasattr(a, "shape"):
            continue
        d = device_of(a)
        if first is None:
            first = d
        elif d != first:
            where = f" (in {op_name})" if op_name else ""
            raise RuntimeError("Expected all tensors to be on the same device, but found at "
                               f"least two devices, {first} and {d}!{where}")
    return CPU if first is None else first


def array_module(*arrays):
    """numpy, or cupy when any argument is a CuPy array (Chainer's get_array_module)."""
    for a in arrays:
        if is_cupy_array(a):
            import cupy
            return cupy
    return np


def to_numpy(array):
    """``array`` as a NumPy array; refuses CUDA arrays as PyTorch's Tensor.numpy() does."""
    if is_cupy_array(array):
        raise TypeError(f"can't convert {device_of(array)} device type tensor to numpy. "
                        "Use Tensor.cpu() to copy the tensor to host memory first.")
    return array
