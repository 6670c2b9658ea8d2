"""One knob, one pool: ``set_num_threads(n)`` sizes the pool that computes.

With the native kernels (the default on CPU) that pool is fastnn's OpenMP
team, and NumPy's BLAS is kept on one thread: two busy-waiting pools on the
same cores take turns in scheduler time slices (see fastnn/_blas.py for the
numbers). Every product fastnn's native backend issues therefore runs on
fastnn's GEMM or on a one-thread BLAS call, and a user's own ``np.matmul``
between two fastnn calls cannot leave a spinning BLAS worker behind.

With ``use_backend("numpy")`` the reference kernels compute through NumPy, so
``n`` goes to NumPy's BLAS instead.

Set ``FASTNN_BLAS_THREADS`` (an int) to leave NumPy's BLAS at that count
whatever the backend, e.g. in a program that mostly multiplies large NumPy
matrices itself.
"""
import os

_requested = None
_blas_single = False  # NumPy's BLAS is known to run on one thread (set by apply_policy)


def _native_openmp():
    try:
        from .backends.native import _openmp
    except ImportError:
        return None
    return _openmp


def _team_size():
    if _requested is not None:
        return _requested
    omp = _native_openmp()
    if omp is not None and omp.have_openmp():
        return omp.get_max_threads()
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.split(",")[0].strip().isdigit():
        return int(env.split(",")[0])
    return 1 if omp is not None else (os.cpu_count() or 1)


def _blas_override():
    value = os.environ.get("FASTNN_BLAS_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def apply_policy():
    """Give NumPy's BLAS the thread count the current CPU backend calls for."""
    global _blas_single
    from . import _blas
    from .backends import current_cpu_backend
    n = _blas_override()
    if n is None:
        n = _team_size() if current_cpu_backend().name == "numpy" else 1
    _blas_single = _blas.set_num_threads(n) and n == 1


def blas_single_threaded():
    """True when a BLAS call cannot wake a second pool (fastnn.backends.native.gemm asks)."""
    return _blas_single


def set_num_threads(n):
    """Use ``n`` threads: fastnn's OpenMP team (native kernels) or NumPy's BLAS (numpy backend)."""
    global _requested
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    _requested = n
    omp = _native_openmp()
    if omp is not None:
        omp.set_num_threads(n)
    apply_policy()


def get_num_threads():
    """The number of threads fastnn computes with."""
    return _team_size()
