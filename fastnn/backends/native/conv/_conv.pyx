# distutils: sources = fastnn/backends/native/conv/conv_gemm_kernel.c fastnn/backends/native/conv/conv_small_kernel.c fastnn/backends/native/conv/conv_winograd_kernel.c fastnn/backends/native/conv/conv_isa_generic.c fastnn/backends/native/conv/conv_isa_avx2.c fastnn/backends/native/conv/conv_isa_avx512.c fastnn/backends/native/conv/conv_im2col_kernel.c fastnn/backends/native/conv/conv_depthwise_kernel.c fastnn/backends/native/common/isa_link.c fastnn/backends/native/common/interrupt_link.c
# Convolution, compiled: the entry points of every convolution path, one
# algorithm per included file (the module's Python names stay those of one
# module, _conv):
#   _conv_gemm.pxi       blocked im2col + GEMM + col2im (forward_gemm,
#                        backward_gemm; the transposed convolutions' parts=)
#   _conv_depthwise.pxi  direct loops for depthwise (depthwise_*)
#   _conv_packed.pxi     packed GEMM, im2col written into its panels (*_packed)
#   _conv_small.pxi      C*kH*kW <= SMALL_K without packing (*_small)
#   _conv_winograd.pxi   Winograd F(2x2, 3x3) (winograd_*, *_winograd)
# This file holds what they share: the element types, fastnn's GEMM, the CPU
# dispatch and Ctrl-C links, the thread policy (team), the geometry struct
# (Geo) and the bias gradient. Their C kernels are conv_<algorithm>_kernel.c.
# Reference: fastnn/backends/numpy_ref/conv.py. Callers (__init__.py) validate
# shapes and pass C-contiguous arrays only.
from cython.parallel cimport prange, threadid
from libc.string cimport memset, memcpy

ctypedef fused real:
    float
    double


# fastnn's one GEMM, compiled into gemm/_gemm: these are function pointers
# that module exports (Cython fetches them from its __pyx_capi__ at import).
from ..gemm._gemm cimport sgemm, dgemm
# The CPU dispatch's level, common to every family (common/isa.h): the kernels'
# C code reads it with fastnn_isa(), through the pointer linked here.
from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())
# Ctrl-C (common/interrupt.h): the loops over samples, blocks and planes poll
# the one interrupt flag (as do the GEMM and the Winograd kernels inside them)
# and skip their remaining iterations; every such call is wrapped in
# before()/after(), which raise KeyboardInterrupt when it arrived meanwhile.
from ..common cimport _interrupt
from ..common._interrupt cimport fastnn_flag_t, fastnn_stopped
_interrupt.fastnn_interrupt_link(_interrupt.watch)


def isa_level():
    """The ISA level this module's C code runs now, as a number (tests: every
    compiled module follows the one decision in common/_isa)."""
    return _isa.fastnn_isa()


cdef inline void _gemm(int ta, int tb, long m, long n, long k, const real *a, long lda,
                       const real *b, long ldb, real beta, real *c, long ldc, int nt) noexcept nogil:
    if real is float:
        sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, nt)
    else:
        dgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, nt)


cdef extern from "common/parallel.h":
    double FASTNN_PAR_MIN_MACS
    int fastnn_team(double work, double min_work) nogil
    double FASTNN_PAR_MIN_ELEMS


def team(double macs):
    """Threads worth waking for a convolution of ``macs`` multiply-adds (parallel.h)."""
    return fastnn_team(macs, <double>FASTNN_PAR_MIN_MACS)


# Geometry of one convolution, passed by pointer to the per-block helpers.
cdef extern from "conv_im2col_kernel.h" nogil:
    ctypedef struct fastnn_conv_geo:
        long c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo

ctypedef fastnn_conv_geo Geo


cdef extern from "conv_im2col_kernel.h" nogil:
    void fastnn_conv_bias_grad_f(const float *dy, long n, long o, long p, float *db, long o0, long o1)
    void fastnn_conv_bias_grad_d(const double *dy, long n, long o, long p, double *db, long o0,
                                 long o1)


def bias_grad(const real[:, :, ::1] dy, real[::1] db):
    """db[o] = dy[:, o, :].sum() for dy (N, O, H*W), OpenMP over channels."""
    cdef Py_ssize_t n = dy.shape[0], o = dy.shape[1], p = dy.shape[2], oc
    cdef int nt = fastnn_team(<double>(n * o * p), FASTNN_PAR_MIN_ELEMS)
    if o > 0 and nt > o:
        nt = <int>o
    with nogil:
        if n * p > 0:
            for oc in prange(o, schedule="static", num_threads=nt):
                if real is float:
                    fastnn_conv_bias_grad_f(&dy[0, 0, 0], n, o, p, &db[0], oc, oc + 1)
                else:
                    fastnn_conv_bias_grad_d(&dy[0, 0, 0], n, o, p, &db[0], oc, oc + 1)


cdef Geo _geo(Py_ssize_t c, Py_ssize_t h, Py_ssize_t w, Py_ssize_t kh, Py_ssize_t kw, tuple params):
    cdef Geo g
    g.c, g.h, g.w, g.kh, g.kw = c, h, w, kh, kw
    g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.ho, g.wo = params
    return g


include "_conv_gemm.pxi"
include "_conv_depthwise.pxi"
include "_conv_packed.pxi"
include "_conv_small.pxi"
include "_conv_winograd.pxi"
