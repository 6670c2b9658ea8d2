"""fastnn.accelerator: PyTorch's device-agnostic questions (torch.accelerator).

fastnn's one accelerator is CUDA through CuPy (fastnn.cuda). With no usable GPU
the answers are PyTorch's on a CPU-only build: ``is_available()`` is False,
``current_accelerator()`` is None, ``device_count()`` is 0, and the calls that
need a device raise RuntimeError. So the usual idiom ports unchanged::

    device = (fastnn.accelerator.current_accelerator()
              if fastnn.accelerator.is_available() else fastnn.device("cpu"))
"""
import contextlib

from . import cuda as _cuda
from .device import device as _device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "set_device_index", "set_device_idx", "device_index",
           "synchronize", "empty_cache", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "get_device_capability"]

_NONE = "Cannot access accelerator device when none is available."


def _require():
    if not _cuda.is_available():
        raise RuntimeError(_NONE)


def is_available():
    """Whether an accelerator (a CUDA GPU usable through CuPy) is present."""
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """``device('cuda')`` when a GPU is usable, else None (``check_available`` as torch:
    the device type is only returned when it is available, which fastnn always checks)."""
    return _device("cuda") if _cuda.is_available() else None


def device_count():
    return _cuda.device_count()


def current_device_index():
    _require()
    return _cuda.current_device()


current_device_idx = current_device_index


def _index(dev, what):
    if dev is None:
        return None
    if isinstance(dev, int) and not isinstance(dev, bool):
        return dev
    d = _device(dev)
    if d.type != "cuda":
        raise ValueError(f"{what}: expected the accelerator's device type 'cuda', got {d}")
    return d.index


def set_device_index(device, /):
    _require()
    idx = _index(device, "set_device_index")
    if idx is not None:
        _cuda.set_device(idx)


set_device_idx = set_device_index


@contextlib.contextmanager
def device_index(device, /):
    """``with device_index(i):`` -- make accelerator ``i`` current inside the block
    (``None``: a no-op, allowed without an accelerator, as torch)."""
    if device is None:
        yield
        return
    _require()
    prev = _cuda.current_device()
    _cuda.set_device(_index(device, "device_index"))
    try:
        yield
    finally:
        _cuda.set_device(prev)


def synchronize(device=None, /):
    _require()
    _cuda.synchronize(_index(device, "synchronize"))


def _cupy():
    _require()
    return _cuda.require_cuda("fastnn.accelerator")


def empty_cache():
    _cupy().get_default_memory_pool().free_all_blocks()


def memory_allocated(device_index=None, /):
    return int(_cupy().get_default_memory_pool().used_bytes())


def max_memory_allocated(device_index=None, /):
    # CuPy's pool keeps no peak: its total (used + cached) bounds it from above
    return int(_cupy().get_default_memory_pool().total_bytes())


def memory_reserved(device_index=None, /):
    return int(_cupy().get_default_memory_pool().total_bytes())


def get_device_capability(device=None, /):
    cupy = _cupy()
    idx = _index(device, "get_device_capability")
    dev = cupy.cuda.Device(_cuda.current_device() if idx is None else idx)
    major, minor = divmod(int(dev.compute_capability), 10)
    import numpy as np
    dtypes = {np.dtype(t) for t in (np.float16, np.float32, np.float64, np.int8, np.int16,
                                    np.int32, np.int64, np.uint8, np.bool_)}
    return {"supported_dtypes": dtypes, "major": major, "minor": minor}
