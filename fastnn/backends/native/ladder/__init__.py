"""The GEMM ladder: C = A @ B computed five ways, each one idea faster than the
one before, from the textbook triple loop to the shape of fastnn's own GEMM.

    rung 1  naive       the formula as three loops                 rung1_naive.c
    rung 2  loop_order  i, p, j order: the compiler vectorises     rung2_loop_order.c
    rung 3  blocked     tiles that stay in cache                   rung3_blocked.c
    rung 4  packed      packed panels, register-tiled micro-kernel rung4_packed.c
    rung 5  threads     rung 4 on every core (OpenMP)              rung5_threads.c

For learning, not for models: fastnn's layers call fastnn.backends.native.gemm.
docs/gemm.md walks the rungs; ``python -m fastnn.bench --ladder`` measures
them on this machine. float32 only. Reference: numpy_ref/gemm.py (matmul).

    >>> import numpy as np
    >>> from fastnn.backends.native import ladder
    >>> a = np.ones((2, 3), np.float32); b = np.ones((3, 4), np.float32)
    >>> ladder.matmul(a, b, rung="blocked")[0]
    array([3., 3., 3., 3.], dtype=float32)
"""
import numpy as np

from .... import _threads
from . import _ladder

__all__ = ["RUNGS", "IDEAS", "matmul", "tile"]

RUNGS = ("naive", "loop_order", "blocked", "packed", "threads")
IDEAS = {
    "naive": "the formula as three loops (i, j, p)",
    "loop_order": "loop order i, p, j: the compiler vectorises the inner loop",
    "blocked": "cache blocking: tiles that stay in L1/L2",
    "packed": "packed panels + register-tiled micro-kernel, per ISA level",
    "threads": "rung 4 on every core (OpenMP)",
}


def _operand(x, name):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"ladder.matmul: {name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"ladder.matmul: {name} must be float32 (the ladder is float32 only), got {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"ladder.matmul: {name} must be 2-D, got shape {x.shape}")
    return np.ascontiguousarray(x)  # strided or Fortran-ordered operands are copied


def matmul(a, b, rung="threads", num_threads=None):
    """a @ b (2-D float32) by one rung of the ladder, as a new C-contiguous array.

    rung: one of RUNGS. num_threads: the team of rung 'threads' (default
    fastnn.get_num_threads()); the other rungs run on the calling thread.
    Non-contiguous operands are copied first.
    """
    if not isinstance(rung, str) or rung not in RUNGS:
        raise ValueError(f"ladder.matmul: rung must be one of {RUNGS}, got {rung!r}")
    if num_threads is None:
        num_threads = _threads.get_num_threads()
    elif isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)):
        raise TypeError(f"ladder.matmul: num_threads must be an int or None, got {type(num_threads).__name__}")
    elif num_threads < 1:
        raise ValueError(f"ladder.matmul: num_threads must be >= 1, got {num_threads}")
    a, b = _operand(a, "a"), _operand(b, "b")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"ladder.matmul: a is {a.shape} and b is {b.shape}: "
                         "expected a.shape[1] == b.shape[0]")
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    if m == 0 or n == 0 or k == 0:
        return np.zeros((m, n), np.float32)
    c = np.empty((m, n), np.float32)
    _ladder.run(RUNGS.index(rung) + 1, a, b, c, int(num_threads))
    return c


def tile():
    """Rung 4's register tile (rows x columns of C in registers) at the current ISA level."""
    return _ladder.tile()
