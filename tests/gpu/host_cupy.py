"""A NumPy-backed stand-in for the part of CuPy the cupy backend uses.

For tests on machines without a GPU: arrays are NumPy arrays of a subclass
whose module name starts with "cupy" (so fastnn routes them to the cupy
backend), cuBLAS products are np.matmul, and cupy.RawModule compiles the
backend's real .cu sources with the host C++ compiler (through host_shim.h)
and runs each kernel on the CPU as one thread. Kernel arguments are checked
the way the GPU would need them: arrays C-contiguous and of the kernel's
float type. This tests the backend's Python glue and its kernels' index
arithmetic; the GPU-marked tests run the same checks on real hardware.
"""
import atexit
import contextlib
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import types

import numpy as np

SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "host_shim.h")


def compiler():
    return shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")


class ndarray(np.ndarray):
    """A 'device' array: plain NumPy memory, CuPy's .get() / .device / 0-d reductions."""

    def get(self):
        return np.array(self).view(np.ndarray)

    @property
    def device(self):
        return types.SimpleNamespace(id=0)

    def sum(self, *args, **kwargs):
        return _wrap(np.asarray(np.ndarray.sum(np.asarray(self), *args, **kwargs)))

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # keep 0-d results as arrays, as CuPy does
        return np.asarray(arr).view(ndarray)


ndarray.__module__ = "cupy_host_emulation"


def _wrap(a):
    return np.asarray(a).view(ndarray)


def _host(a):
    return np.asarray(a).view(np.ndarray) if isinstance(a, np.ndarray) else a


def asarray(a, dtype=None):
    return _wrap(np.array(_host(a), dtype=dtype))


def ascontiguousarray(a, dtype=None):
    return _wrap(np.ascontiguousarray(_host(a), dtype=dtype))


def empty(shape, dtype=np.float64):
    return _wrap(np.full(shape, np.nan, dtype=dtype) if np.dtype(dtype).kind == "f"
                 else np.empty(shape, dtype=dtype))  # NaN-filled: unwritten output shows up


def empty_like(a):
    return empty(a.shape, a.dtype)


def zeros(shape, dtype=np.float64):
    return _wrap(np.zeros(shape, dtype=dtype))


def ones(shape, dtype=np.float64):
    return _wrap(np.ones(shape, dtype=dtype))


def full(shape, value, dtype=None):
    return _wrap(np.full(shape, value, dtype=dtype))


def concatenate(arrays, axis=0):
    return _wrap(np.concatenate([_host(a) for a in arrays], axis=axis))


def exp(a):
    return _wrap(np.exp(_host(a)))


def where(cond, a, b):
    return _wrap(np.where(_host(cond), _host(a), _host(b)))


def triu(a, k=0):
    return _wrap(np.triu(_host(a), k))


def matmul(a, b, out=None):
    r = np.matmul(_host(a), _host(b))
    if out is None:
        return _wrap(r)
    assert out.shape == r.shape and out.dtype == r.dtype, "matmul out= mismatch"
    out[...] = r
    return out


class _Device:
    def __init__(self, idx=0):
        self.id = idx

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


cuda = types.SimpleNamespace(
    Device=_Device,
    runtime=types.SimpleNamespace(getDevice=lambda: 0, getDeviceCount=lambda: 1,
                                  deviceSynchronize=lambda: None))

_BUILD_DIR = tempfile.mkdtemp(prefix="fastnn_host_cu_")
atexit.register(shutil.rmtree, _BUILD_DIR, True)


class RawModule:
    """Compile CUDA source for the host; get_function returns a launcher."""

    def __init__(self, code, options=()):
        key = hashlib.sha1(code.encode()).hexdigest()[:16]
        src = os.path.join(_BUILD_DIR, f"{key}.cpp")
        lib = os.path.join(_BUILD_DIR, f"{key}.so")
        if not os.path.exists(lib):
            with open(src, "w") as f:
                f.write(code)
            cmd = [compiler(), "-std=c++14", "-O1", "-shared", "-fPIC", "-w",
                   "-include", SHIM, src, "-o", lib]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode:
                raise RuntimeError(f"host compile failed:\n{res.stderr[-3000:]}")
        self._lib = ctypes.CDLL(lib)

    def get_function(self, name):
        return _Kernel(getattr(self._lib, name), name)


class _Kernel:
    def __init__(self, fn, name):
        self.fn, self.name = fn, name
        self.fn.restype = None
        self.dtype = np.dtype(np.float32 if name.endswith("_f32") else np.float64)

    def __call__(self, grid, block, args):
        assert len(grid) == 1 and len(block) == 1 and grid[0] >= 1 and block[0] >= 1
        cargs, keep = [], []
        for i, a in enumerate(args):
            if isinstance(a, np.generic):
                a = _wrap(np.asarray(a))
            if isinstance(a, np.ndarray):
                assert a.flags.c_contiguous, f"{self.name}: argument {i} is not C-contiguous"
                if a.dtype.kind == "f":
                    assert a.dtype == self.dtype, \
                        f"{self.name}: argument {i} has dtype {a.dtype}, kernel wants {self.dtype}"
                keep.append(a)
                cargs.append(ctypes.c_void_p(a.ctypes.data))
            elif isinstance(a, bool):
                raise AssertionError(f"{self.name}: argument {i} is a bool; pass an int")
            elif isinstance(a, int):
                cargs.append(ctypes.c_longlong(a))
            elif isinstance(a, float):
                cargs.append(ctypes.c_double(a))
            else:
                raise AssertionError(f"{self.name}: argument {i} of type {type(a)}")
        self.fn(*cargs)


@contextlib.contextmanager
def installed(monkeypatch):
    """Route the cupy backend to this module for the duration of a test."""
    import sys

    from fastnn.backends.cupy import _runtime
    this = sys.modules[__name__]
    monkeypatch.setattr(_runtime, "_cupy", this)
    monkeypatch.setattr(_runtime, "_modules", {})
    monkeypatch.setattr(_runtime, "_functions", {})
    yield this
