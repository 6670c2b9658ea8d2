"""fastnn.cuda: is CUDA usable, and if not, why.

Everything here works without CuPy and without a GPU: ``is_available()`` is
then False and ``device_count()`` 0, while the functions that need a GPU raise
a RuntimeError that says what is missing (CuPy, or a GPU/driver). CuPy is only
imported the first time one of these functions runs, never by ``import fastnn``.
"""
import importlib

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "unavailable_reason", "require_cuda"]

_NOT_CHECKED = object()
_state = {"cupy": _NOT_CHECKED, "count": 0, "reason": None}


def _probe():
    """Import CuPy and count GPUs once; remember why CUDA is unusable, if it is."""
    if _state["cupy"] is not _NOT_CHECKED:
        return
    try:
        cupy = importlib.import_module("cupy")
    except ImportError as exc:
        _state.update(cupy=None, count=0,
                      reason=f"CuPy is not installed (pip install fastnn[gpu]): {exc}")
        return
    except Exception as exc:  # a broken CuPy install (missing CUDA libraries, ...)
        _state.update(cupy=None, count=0,
                      reason=f"CuPy is installed but could not be imported: "
                             f"{type(exc).__name__}: {exc}")
        return
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDARuntimeError: no driver, no device, ...
        _state.update(cupy=cupy, count=0,
                      reason=f"CuPy is installed but no CUDA GPU/driver was found: "
                             f"{type(exc).__name__}: {exc}")
        return
    if count < 1:
        _state.update(cupy=cupy, count=0,
                      reason="CuPy is installed but no CUDA GPU/driver was found: "
                             "the CUDA runtime reports 0 devices")
        return
    _state.update(cupy=cupy, count=count, reason=None)


def _reset_probe():
    """Forget the cached probe (tests use this after faking CuPy's presence)."""
    _state.update(cupy=_NOT_CHECKED, count=0, reason=None)


def is_available():
    """True when CuPy imports and at least one CUDA GPU is usable."""
    _probe()
    return _state["count"] > 0


def device_count():
    _probe()
    return _state["count"]


def unavailable_reason():
    """None when CUDA is usable, else a sentence saying why not."""
    _probe()
    return _state["reason"]


def require_cuda(what="CUDA"):
    """Return the cupy module, or raise RuntimeError explaining why CUDA is unusable."""
    _probe()
    if _state["reason"] is not None:
        raise RuntimeError(f"{what} needs CUDA, which is unavailable: {_state['reason']}")
    return _state["cupy"]


def _check_index(index, what):
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"{what}: device index must be an int, got {index!r}")
    n = device_count()
    if not 0 <= index < n:
        raise RuntimeError(f"{what}: invalid device ordinal {index}; "
                           f"{n} CUDA device(s) are visible")
    return index


def _resolve(dev, what):
    """A CUDA ordinal from None / int / 'cuda:1' / fastnn.device."""
    from .device import device as _device
    if dev is None:
        return current_device()
    if not isinstance(dev, int) or isinstance(dev, bool):
        d = _device(dev)
        if d.type != "cuda":
            raise ValueError(f"{what}: expected a CUDA device, got {d}")
        return current_device() if d.index is None else _check_index(d.index, what)
    return _check_index(dev, what)


def current_device():
    cupy = require_cuda("fastnn.cuda.current_device()")
    return int(cupy.cuda.runtime.getDevice())


def set_device(dev):
    cupy = require_cuda("fastnn.cuda.set_device()")
    cupy.cuda.runtime.setDevice(_resolve(dev, "set_device"))


def synchronize(device=None):
    """Wait for every kernel queued on ``device`` (default: the current one)."""
    cupy = require_cuda("fastnn.cuda.synchronize()")
    with cupy.cuda.Device(_resolve(device, "synchronize")):
        cupy.cuda.runtime.deviceSynchronize()


def get_device_name(device=None):
    cupy = require_cuda("fastnn.cuda.get_device_name()")
    props = cupy.cuda.runtime.getDeviceProperties(_resolve(device, "get_device_name"))
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


# --- seeding -------------------------------------------------------------------------------
# fastnn draws every random number, for CPU and GPU tensors alike, from the one
# default generator (fastnn.manual_seed), then moves it to the device: so a GPU
# run repeats a CPU run's numbers. There is no separate CUDA generator to seed;
# these accept PyTorch's calls and leave the default generator alone, as
# torch.cuda.manual_seed leaves the CPU generator alone.
def manual_seed(seed):
    """Accepted for PyTorch scripts; fastnn.manual_seed seeds GPU draws too."""
    from .random import _check_seed
    _check_seed(seed, "cuda.manual_seed")


def manual_seed_all(seed):
    manual_seed(seed)


def seed():
    pass


def seed_all():
    pass


def initial_seed():
    from .random import initial_seed as _initial
    return _initial()
