"""One knob for every thread pool fastnn touches.

``set_num_threads(n)`` sets the OpenMP team size of the native kernels and,
through threadpoolctl when it is installed, the size of NumPy's BLAS pool, so
that a kernel and a BLAS call never compete with two full pools. fastnn runs
its kernels one after another, so only one pool is busy at a time.
"""
import os

_requested = None
_blas_limiter = None


def _native_openmp():
    try:
        from .backends.native import _openmp
    except ImportError:
        return None
    return _openmp


def set_num_threads(n):
    """Use ``n`` threads in the native kernels and in NumPy's BLAS."""
    global _requested, _blas_limiter
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    _requested = n
    omp = _native_openmp()
    if omp is not None:
        omp.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _blas_limiter = threadpool_limits(limits=n, user_api="blas")


def get_num_threads():
    """The number of threads the native kernels use."""
    if _requested is not None:
        return _requested
    omp = _native_openmp()
    if omp is not None and omp.have_openmp():
        return omp.get_max_threads()
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.split(",")[0].strip().isdigit():
        return int(env.split(",")[0])
    return 1 if omp is not None else (os.cpu_count() or 1)
