"""NumPy's BLAS thread count, set directly through the BLAS library's own C API.

Why fastnn touches it at all: two thread pools that busy-wait cannot share
the cores. OpenBLAS's workers spin for up to ~0.1 s after each call (2**28
cycles unless OPENBLAS_THREAD_TIMEOUT was set before NumPy loaded); if
fastnn's OpenMP team starts a parallel region meanwhile, one of its threads
shares a core with a spinner and every barrier waits for a scheduler time
slice. On a 2-core AMD EPYC a 192^3 GEMM went from 0.08 ms to 1.6 ms right
after one np.matmul. So while fastnn's native kernels compute, NumPy's BLAS
runs on one thread (fastnn._threads decides when).

This module finds the BLAS that NumPy actually loaded and calls its
set/get-threads functions with ctypes: no threadpoolctl, no environment
variable read at load time, so import order does not matter.

* Linux: every shared object of the process is listed in /proc/self/maps.
* macOS and Windows wheels: NumPy's bundled libraries (numpy/.dylibs,
  numpy.libs), which are the ones NumPy loaded.

Known libraries: OpenBLAS (plain, and the scipy-openblas builds NumPy's
wheels use, whose symbols carry a prefix and a 64-bit-integer suffix), MKL
and BLIS. Any other BLAS (Apple Accelerate, a reference BLAS) is left alone
and ``available()`` is False; fastnn.backends.native.gemm then keeps large
products on fastnn's own GEMM.
"""
import ctypes
import glob
import os

__all__ = ["available", "get_num_threads", "set_num_threads", "describe"]

# (library name fragment, set function names, get function names)
_KNOWN = (
    ("openblas",
     [p + "openblas_set_num_threads" + s for p in ("scipy_", "") for s in ("64_", "")],
     [p + "openblas_get_num_threads" + s for p in ("scipy_", "") for s in ("64_", "")]),
    ("mkl_rt", ["MKL_Set_Num_Threads"], ["MKL_Get_Max_Threads"]),
    ("blis", ["bli_thread_set_num_threads"], ["bli_thread_get_num_threads"]),
)

_controls = None  # list of (name, path, setter, getter), found once


def _loaded_libraries():
    paths = []
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                fields = line.split(None, 5)
                if len(fields) == 6 and fields[5].startswith("/"):
                    paths.append(fields[5].strip())
    except OSError:
        pass
    if not paths:
        import numpy
        base = os.path.dirname(numpy.__file__)
        for pattern in (os.path.join(base, ".dylibs", "*"),
                        os.path.join(os.path.dirname(base), "numpy.libs", "*")):
            paths.extend(glob.glob(pattern))
    return list(dict.fromkeys(paths))


def _function(lib, names):
    for name in names:
        fn = getattr(lib, name, None)
        if fn is not None:
            return name, fn
    return None, None


def _find():
    global _controls
    if _controls is not None:
        return _controls
    import numpy  # noqa: F401  (makes sure NumPy's BLAS is loaded before looking)
    found = []
    for path in _loaded_libraries():
        base = os.path.basename(path).lower()
        for fragment, set_names, get_names in _KNOWN:
            if fragment not in base:
                continue
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            set_name, setter = _function(lib, set_names)
            _, getter = _function(lib, get_names)
            if setter is None or getter is None:
                continue
            # OpenBLAS and BLIS take an int; MKL too (MKL_Set_Num_Threads(int)).
            setter.argtypes, setter.restype = [ctypes.c_int], None
            getter.argtypes, getter.restype = [], ctypes.c_int
            found.append((fragment, path, setter, getter))
    _controls = found
    return found


def available():
    """True when NumPy's BLAS was found and its thread count can be set."""
    return bool(_find())


def get_num_threads():
    """NumPy's BLAS thread count, or None when the BLAS is unknown."""
    controls = _find()
    return controls[0][3]() if controls else None


def set_num_threads(n):
    """Set NumPy's BLAS thread count; returns False when the BLAS is unknown."""
    controls = _find()
    for _, _, setter, _ in controls:
        setter(int(n))
    return bool(controls)


def describe():
    """'openblas (/path/to/lib)' for each BLAS found, for reports."""
    return [f"{name} ({path})" for name, path, _, _ in _find()]
