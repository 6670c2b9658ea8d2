# distutils: sources = fastnn/backends/native/ladder/rung1_naive.c fastnn/backends/native/ladder/rung2_loop_order.c fastnn/backends/native/ladder/rung3_blocked.c fastnn/backends/native/ladder/rung4_packed.c fastnn/backends/native/ladder/rung5_threads.c fastnn/backends/native/ladder/conv1_direct.c fastnn/backends/native/ladder/conv2_im2col.c fastnn/backends/native/ladder/conv3_winograd.c fastnn/backends/native/common/isa_link.c
"""Compiled side of the GEMM and convolution ladders (ladder.h): one nogil call per rung.

The wrapper (ladder/__init__.py) has checked the operands: float32,
C-contiguous, a is m x k, b is k x n, c is m x n, none of m, n, k zero; for a
convolution, no axis zero, the output at least 1 x 1, 3x3 weights for Winograd.
Rungs 4 and 5 run at fastnn's common ISA level (common/isa.h), read once here.
"""
from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())

cdef extern from "ladder/ladder.h" nogil:
    int LADDER_MR
    void ladder_naive(long m, long n, long k, const float *a, const float *b, float *c)
    void ladder_loop_order(long m, long n, long k, const float *a, const float *b, float *c)
    void ladder_blocked(long m, long n, long k, const float *a, const float *b, float *c)
    int ladder_packed(int isa, long m, long n, long k, const float *a, const float *b, float *c)
    int ladder_threads(int isa, long m, long n, long k, const float *a, const float *b, float *c,
                       int nthreads)
    int ladder_tile_width(int isa)
    void ladder_conv_direct(long n, long c, long h, long w, long o, long kh, long kw,
                            const float *x, const float *wt, float *y)
    long ladder_conv_im2col_work(long c, long h, long w, long kh, long kw)
    int ladder_conv_im2col(int isa, long n, long c, long h, long w, long o, long kh, long kw,
                           const float *x, const float *wt, float *y, float *work)
    long ladder_conv_winograd_work(long n, long c, long h, long w, long o)
    int ladder_conv_winograd(int isa, long n, long c, long h, long w, long o,
                             const float *x, const float *wt, float *y, float *work)


def run(int rung, const float[:, ::1] a, const float[:, ::1] b, float[:, ::1] c, int nthreads):
    """c = a @ b by rung 1..5; nthreads is used by rung 5 only."""
    cdef long m = a.shape[0], k = a.shape[1], n = b.shape[1]
    cdef int isa = _isa.fastnn_isa(), status = 0
    with nogil:
        if rung == 1:
            ladder_naive(m, n, k, &a[0, 0], &b[0, 0], &c[0, 0])
        elif rung == 2:
            ladder_loop_order(m, n, k, &a[0, 0], &b[0, 0], &c[0, 0])
        elif rung == 3:
            ladder_blocked(m, n, k, &a[0, 0], &b[0, 0], &c[0, 0])
        elif rung == 4:
            status = ladder_packed(isa, m, n, k, &a[0, 0], &b[0, 0], &c[0, 0])
        else:
            status = ladder_threads(isa, m, n, k, &a[0, 0], &b[0, 0], &c[0, 0], nthreads)
    if status != 0:
        raise MemoryError("GEMM ladder: cannot allocate the packing buffers")


def conv_work(int rung, long n, long c, long h, long w, long o, long kh, long kw):
    """Floats of scratch convolution rung 1..3 needs (at least 1)."""
    if rung == 2:
        return max(1, ladder_conv_im2col_work(c, h, w, kh, kw))
    if rung == 3:
        return max(1, ladder_conv_winograd_work(n, c, h, w, o))
    return 1


def run_conv(int rung, const float[:, :, :, ::1] x, const float[:, :, :, ::1] w,
             float[:, :, :, ::1] y, float[::1] work):
    """y = conv(x, w), valid, stride 1, by convolution rung 1..3 (3: 3x3 weights);
    work holds at least conv_work(...) floats."""
    cdef long n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
    cdef long o = w.shape[0], kh = w.shape[2], kw = w.shape[3]
    cdef int isa = _isa.fastnn_isa(), status = 0
    if work.shape[0] < conv_work(rung, n, c, h, wd, o, kh, kw):
        raise ValueError("run_conv: work is smaller than conv_work()")
    with nogil:
        if rung == 1:
            ladder_conv_direct(n, c, h, wd, o, kh, kw, &x[0, 0, 0, 0], &w[0, 0, 0, 0], &y[0, 0, 0, 0])
        elif rung == 2:
            status = ladder_conv_im2col(isa, n, c, h, wd, o, kh, kw, &x[0, 0, 0, 0], &w[0, 0, 0, 0],
                                        &y[0, 0, 0, 0], &work[0])
        else:
            status = ladder_conv_winograd(isa, n, c, h, wd, o, &x[0, 0, 0, 0], &w[0, 0, 0, 0],
                                          &y[0, 0, 0, 0], &work[0])
    if status != 0:
        raise MemoryError("convolution ladder: cannot allocate its buffers")


def isa_level():
    """The ISA level this module's C code runs now, as a number (see common/isa.h)."""
    return _isa.fastnn_isa()


def tile():
    """Rung 4's register tile at the current level, e.g. '6x32'."""
    return f"{LADDER_MR}x{ladder_tile_width(_isa.fastnn_isa())}"
