"""The GEMM ladder: C = A @ B computed five ways, each one idea faster than the
one before, from the textbook triple loop to the shape of fastnn's own GEMM.

    rung 1  naive       the formula as three loops                 rung1_naive.c
    rung 2  loop_order  i, p, j order: the compiler vectorises     rung2_loop_order.c
    rung 3  blocked     tiles that stay in cache                   rung3_blocked.c
    rung 4  packed      packed panels, register-tiled micro-kernel rung4_packed.c
    rung 5  threads     rung 4 on every core (OpenMP)              rung5_threads.c

The same for convolution (``conv2d``, valid, stride 1, one thread each):

    rung 1  direct      the formula as loops                       conv1_direct.c
    rung 2  im2col      patches to columns, then one GEMM (rung 4) conv2_im2col.c
    rung 3  winograd    F(2x2, 3x3): 16 GEMMs, 2.25x fewer products conv3_winograd.c

For learning, not for models: fastnn's layers call fastnn.backends.native.gemm
and .conv.
docs/gemm.md walks the rungs; ``python -m fastnn.bench --ladder`` measures
them on this machine. float32 only. Reference: numpy_ref/gemm.py (matmul).

    >>> import numpy as np
    >>> from fastnn.backends.native import ladder
    >>> a = np.ones((2, 3), np.float32); b = np.ones((3, 4), np.float32)
    >>> ladder.matmul(a, b, rung="blocked")[0]
    array([3., 3., 3., 3.], dtype=float32)
"""
import threading

import numpy as np

from .... import _threads
from . import _ladder

__all__ = ["RUNGS", "IDEAS", "matmul", "tile", "CONV_RUNGS", "conv2d"]

RUNGS = ("naive", "loop_order", "blocked", "packed", "threads")
IDEAS = {
    "naive": "the formula as three loops (i, j, p)",
    "loop_order": "loop order i, p, j: the compiler vectorises the inner loop",
    "blocked": "blocking: tiles that stay in L1/L2, four rows of B per pass over C",
    "packed": "packed panels + register-tiled micro-kernel, per ISA level",
    "threads": "rung 4 on every core (OpenMP)",
}


CONV_RUNGS = ("direct", "im2col", "winograd")


def _operand(x, name, ndim=2, fn="ladder.matmul"):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"{fn}: {name} must be float32 (the ladder is float32 only), got {x.dtype}")
    if x.ndim != ndim:
        raise ValueError(f"{fn}: {name} must be {ndim}-D, got shape {x.shape}")
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


def conv2d(x, weight, rung="winograd", padding=0):
    """The convolution of x (N, C, H, W) with weight (O, C, KH, KW), stride 1,
    zero padding ``padding`` on every side (copied in first), by one rung of
    CONV_RUNGS; float32, one thread. 'winograd' needs 3x3 weights. Returns
    (N, O, H + 2p - KH + 1, W + 2p - KW + 1), like torch.nn.functional.conv2d
    without bias.
    """
    fn = "ladder.conv2d"
    if not isinstance(rung, str) or rung not in CONV_RUNGS:
        raise ValueError(f"{fn}: rung must be one of {CONV_RUNGS}, got {rung!r}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)):
        raise TypeError(f"{fn}: padding must be an int, got {type(padding).__name__}")
    if padding < 0:
        raise ValueError(f"{fn}: padding must be >= 0, got {padding}")
    x, weight = _operand(x, "x", 4, fn), _operand(weight, "weight", 4, fn)
    n, c, h, w = x.shape
    o, cw, kh, kw = weight.shape
    if cw != c:
        raise ValueError(f"{fn}: weight has {cw} input channels, x has {c}: expected weight.shape[1] == x.shape[1]")
    if kh < 1 or kw < 1:
        raise ValueError(f"{fn}: weight must have a kernel of at least 1x1, got shape {weight.shape}")
    if rung == "winograd" and (kh, kw) != (3, 3):
        raise ValueError(f"{fn}: rung 'winograd' is F(2x2, 3x3): weight must be 3x3, got {kh}x{kw}")
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        h, w = h + 2 * padding, w + 2 * padding
    oh, ow = h - kh + 1, w - kw + 1
    if oh < 1 or ow < 1:
        raise ValueError(f"{fn}: the {kh}x{kw} kernel does not fit the padded {h}x{w} input")
    if n == 0 or o == 0 or c == 0:     # c == 0: every output is an empty sum
        return np.zeros((n, o, oh, ow), np.float32)
    y = np.empty((n, o, oh, ow), np.float32)
    number = CONV_RUNGS.index(rung) + 1
    _ladder.run_conv(number, x, weight, y, _workspace(_ladder.conv_work(number, n, c, h, w, o, kh, kw)))
    return y


_local = threading.local()


def _workspace(floats):
    """A float32 scratch array of at least ``floats``, kept per thread between calls:
    fresh megabytes are fresh pages, and faulting them in costs as much as the
    im2col copy or the Winograd transforms."""
    buf = getattr(_local, "work", None)
    if buf is None or buf.size < floats:
        buf = _local.work = np.empty(floats, np.float32)
    return buf
