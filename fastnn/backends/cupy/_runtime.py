"""Shared plumbing of the CuPy backend: lazy CuPy import, .cu loading, launches.

CUDA sources are read from kernels/*.cu; the shared header common.cuh is
inlined before compilation so NVRTC needs no include path. Each compiled
module is cached per (file, GPU), each kernel per (file, name, dtype, GPU).
"""
import importlib
import os

import numpy as np

KERNEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")
HEADER = "common.cuh"
BLOCK = 256            # threads per block; the row kernels' shared buffers assume 256
MAX_GRID = 65535       # grid-stride loops let a capped grid cover any size

_cupy = None
_modules: dict = {}     # (file, GPU) -> cupy.RawModule
_functions: dict = {}   # (file, name, dtype suffix, GPU) -> kernel


def cp():
    """The cupy module; RuntimeError explaining why when CUDA is unusable."""
    global _cupy
    if _cupy is None:
        try:
            _cupy = importlib.import_module("cupy")
        except ImportError:
            from ... import cuda
            cuda.require_cuda("the cupy backend")  # raises with the reason
            raise
    return _cupy


def kernel_source(fname):
    """The .cu source of ``fname`` with common.cuh inlined (what NVRTC compiles)."""
    with open(os.path.join(KERNEL_DIR, fname), encoding="utf-8") as f:
        code = f.read()
    with open(os.path.join(KERNEL_DIR, HEADER), encoding="utf-8") as f:
        header = f.read().replace("#pragma once", "")
    return code.replace(f'#include "{HEADER}"', header)


def _suffix(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return "f32"
    if dtype == np.float64:
        return "f64"
    raise TypeError(f"cupy backend: expected dtype float32 or float64, got {dtype}")


def function(fname, name, dtype):
    """The compiled kernel ``name``_f32/_f64 of kernels/``fname`` on the current GPU."""
    cupy = cp()
    dev = cupy.cuda.runtime.getDevice()
    key = (fname, name, _suffix(dtype), dev)
    fn = _functions.get(key)
    if fn is None:
        mod = _modules.get((fname, dev))
        if mod is None:
            mod = cupy.RawModule(code=kernel_source(fname), options=("--std=c++14",))
            _modules[(fname, dev)] = mod
        fn = mod.get_function(f"{name}_{key[2]}")
        _functions[key] = fn
    return fn


def launch(fname, name, dtype, n, args):
    """Run an elementwise (grid-stride) kernel over ``n`` items; nothing for n == 0.

    Python ints travel as long long and floats as double, which is how the
    kernels declare their scalar parameters.
    """
    if n <= 0:
        return
    grid = min((n + BLOCK - 1) // BLOCK, MAX_GRID)
    function(fname, name, dtype)((grid,), (BLOCK,), tuple(args))


def launch_rows(fname, name, dtype, rows, args):
    """Run a row kernel: one block of BLOCK threads per row (grid-stride over rows)."""
    if rows <= 0:
        return
    function(fname, name, dtype)((min(rows, MAX_GRID),), (BLOCK,), tuple(args))


def require_gpu_arrays(**arrays):
    """Every non-None argument is a cupy.ndarray, all on one GPU; TypeError names the odd one."""
    from ..._device_move import check_same_device
    from .. import is_cupy_array
    for name, a in arrays.items():
        if a is not None and not is_cupy_array(a):
            raise TypeError(f"{name}: the cupy backend expects a cupy.ndarray on the GPU, got "
                            f"{type(a).__module__}.{type(a).__name__}; move it with .to('cuda')")
    check_same_device(*arrays.values())


def contiguous(a):
    return None if a is None else cp().ascontiguousarray(a)


def shadow(a):
    """A zero-stride NumPy stand-in with ``a``'s shape and dtype (no copy of the data).

    Lets the reference modules' validators, which finish with
    np.ascontiguousarray, check cupy arrays by shape and dtype alone.
    """
    if a is None or not hasattr(a, "dtype") or isinstance(a, np.ndarray):
        return a
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype=a.dtype), shape=tuple(a.shape),
                                           strides=(0,) * len(a.shape), writeable=False)
