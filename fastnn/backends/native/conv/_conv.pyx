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
# Ctrl-C (common/interrupt.h): every entry point runs its samples, blocks or
# planes through the shared shell (common/_parallel.pxd: run_items), which
# skips the remaining ones once Ctrl-C arrives (the GEMM and the kernels inside
# poll the flag too) and then raises KeyboardInterrupt.
from ..common cimport _interrupt
from ..common._interrupt cimport fastnn_flag_t, fastnn_stopped
from ..common._parallel cimport each_item, run_items
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


cdef struct _BiasGrad:
    bint f32
    const void *dy
    void *db
    Py_ssize_t n, o, p


cdef void _bias_grad_item(const void *job, Py_ssize_t oc, int t,
                          const fastnn_flag_t *stop) noexcept nogil:
    cdef const _BiasGrad *j = <const _BiasGrad *>job
    if j.f32:
        fastnn_conv_bias_grad_f(<const float *>j.dy, j.n, j.o, j.p, <float *>j.db, oc, oc + 1)
    else:
        fastnn_conv_bias_grad_d(<const double *>j.dy, j.n, j.o, j.p, <double *>j.db, oc, oc + 1)


def bias_grad(const real[:, :, ::1] dy, real[::1] db):
    """db[o] = dy[:, o, :].sum() for dy (N, O, H*W), OpenMP over channels."""
    cdef _BiasGrad j
    j.f32, j.n, j.o, j.p = real is float, dy.shape[0], dy.shape[1], dy.shape[2]
    cdef int nt = fastnn_team(<double>(j.n * j.o * j.p), FASTNN_PAR_MIN_ELEMS)
    if j.o > 0 and nt > j.o:
        nt = <int>j.o
    if j.n * j.p > 0:
        j.dy, j.db = &dy[0, 0, 0], &db[0]
        with nogil:
            each_item(_bias_grad_item, &j, j.o, nt, NULL)   # short: not interruptible


cdef Geo _geo(Py_ssize_t c, Py_ssize_t h, Py_ssize_t w, Py_ssize_t kh, Py_ssize_t kw, tuple params):
    cdef Geo g
    g.c, g.h, g.w, g.kh, g.kw = c, h, w, kh, kw
    g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.ho, g.wo = params
    return g


# The job of the packed, small-k and Winograd entry points: an item is one
# sample (Winograd: one thread's run of samples) and each thread has its own
# scratch row and weight-gradient partial.
cdef struct _Samples:
    bint f32                # float32 arrays, else float64
    int v                   # ISA level, read once per call: packed operands have its layout
    Geo g
    const void *x
    const void *w           # packed weights (packed, Winograd) or w itself (small k)
    const void *bias        # O entries or NULL
    const void *dy
    void *y
    void *dx
    void *part              # backward: one weight-gradient partial per thread
    void *part2             # small k: one bias-gradient partial per thread, or NULL
    void *scratch           # one row per thread
    Py_ssize_t n, o, xs, ys, part_ld, part2_ld, scratch_ld
    Py_ssize_t nt           # Winograd: threads, one item each
    long chunk              # output rows per chunk (Winograd: tile rows per block)


cdef _Samples _samples(bint f32, const Py_ssize_t *xshape, Py_ssize_t o, Py_ssize_t kh,
                       Py_ssize_t kw, tuple params, const void *scratch, Py_ssize_t scratch_ld,
                       long chunk):
    cdef _Samples j
    memset(&j, 0, sizeof(j))
    j.f32, j.v, j.n, j.o, j.chunk = f32, _isa.fastnn_isa(), xshape[0], o, chunk
    j.g = _geo(xshape[1], xshape[2], xshape[3], kh, kw, params)
    j.xs, j.ys = j.g.c * j.g.h * j.g.w, o * j.g.ho * j.g.wo
    j.scratch, j.scratch_ld = <void *>scratch, scratch_ld
    return j


include "_conv_gemm.pxi"
include "_conv_depthwise.pxi"
include "_conv_packed.pxi"
include "_conv_small.pxi"
include "_conv_winograd.pxi"
