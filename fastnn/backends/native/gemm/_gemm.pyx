# distutils: sources = fastnn/backends/native/gemm/gemm_kernel.c fastnn/backends/native/common/isa_link.c fastnn/backends/native/common/interrupt_link.c
"""Compiled side of fastnn's GEMM family: thin nogil wrappers around
fastnn_sgemm / fastnn_dgemm (gemm_kernel.c), which is compiled into this module
only. The other native modules call it through ``sgemm``/``dgemm``, exported
by cimport (see _gemm.pxd). The ISA level it runs is the common one
(fastnn.backends.native.isa()).

Callers (fastnn/backends/native/gemm/__init__.py) have already validated every shape,
dtype and stride: each operand arrives with unit stride along its rows and a
row stride ``ld`` (in elements) >= its row length, and nothing is zero-size.
"""
from cython.parallel cimport prange
from cython cimport floating


cdef extern from "gemm/gemm_kernel.h" nogil:
    void fastnn_sgemm(int trans_a, int trans_b, long m, long n, long k,
                      float alpha, const float *a, long lda,
                      const float *b, long ldb,
                      float beta, float *c, long ldc, int nthreads)
    void fastnn_dgemm(int trans_a, int trans_b, long m, long n, long k,
                      double alpha, const double *a, long lda,
                      const double *b, long ldb,
                      double beta, double *c, long ldc, int nthreads)

    const char *fastnn_gemm_tile()

# The CPU dispatch's level, common to every family (common/isa.h): the GEMM
# reads it with fastnn_isa(), through the pointer linked here.
from ..common cimport _isa
from ..common import _isa as _isa_module

_isa.fastnn_isa_link(_isa.level_address())
# Ctrl-C (common/interrupt.h): the products poll the one interrupt flag.
from ..common cimport _interrupt
_interrupt.fastnn_interrupt_link(_interrupt.watch)


def isa_level():
    """The ISA level this module's C code runs now, as a number (tests: every
    compiled module follows the one decision in common/_isa)."""
    return _isa.fastnn_isa()


cdef void sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb, float beta,
                float *c, long ldc, int nthreads) noexcept nogil:
    fastnn_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nthreads)


cdef void dgemm(int trans_a, int trans_b, long m, long n, long k, double alpha,
                const double *a, long lda, const double *b, long ldb, double beta,
                double *c, long ldc, int nthreads) noexcept nogil:
    fastnn_dgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nthreads)


cdef extern from "common/parallel.h" nogil:
    double FASTNN_PAR_MIN_MACS
    int fastnn_team(double work, double min_work)

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static int fastnn_gemm_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int fastnn_gemm_max_threads(void) { return 1; }
    #endif
    """
    int fastnn_gemm_max_threads() nogil


cdef inline void _gemm(bint ta, bint tb, long m, long n, long k, floating alpha,
                       const floating *a, long lda, const floating *b, long ldb,
                       floating beta, floating *c, long ldc, int nthreads) noexcept nogil:
    if floating is float:
        fastnn_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nthreads)
    else:
        fastnn_dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nthreads)


def gemm(const floating[:, :] a, const floating[:, :] b, floating[:, :] c,
         bint trans_a, bint trans_b, long lda, long ldb, long m, long n, long k,
         double alpha=1.0, double beta=0.0):
    """c[:m, :n] = alpha * op(a) @ op(b) + beta * c; c must be C-contiguous."""
    _interrupt.before()
    with nogil:
        _gemm(trans_a, trans_b, m, n, k, <floating>alpha, &a[0, 0], lda, &b[0, 0], ldb,
              <floating>beta, &c[0, 0], c.shape[1], 0)
    _interrupt.after()


def batched_gemm(const floating[:, :, :] a, const floating[:, :, :] b, floating[:, :, :] c,
                 bint trans_a, bint trans_b, long lda, long ldb, long sa, long sb,
                 long m, long n, long k, bint parallel_batch):
    """c[i] = op(a[i * sa]) @ op(b[i * sb]) for i < c.shape[0] (sa, sb are 0 or 1).

    parallel_batch: one thread per matrix over an OpenMP loop (many small
    products); otherwise one threaded GEMM after another.
    """
    cdef long nb = c.shape[0], i
    cdef long astep = sa * a.strides[0] // sizeof(floating)
    cdef long bstep = sb * b.strides[0] // sizeof(floating)
    cdef long cstep = m * n
    cdef const floating *pa = &a[0, 0, 0]
    cdef const floating *pb = &b[0, 0, 0]
    cdef floating *pc = &c[0, 0, 0]
    cdef int nt = fastnn_gemm_max_threads()
    cdef const _interrupt.fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        if parallel_batch and nt > 1:
            for i in prange(nb, schedule="static", num_threads=nt):
                if _interrupt.fastnn_stopped(stop):
                    continue
                _gemm(trans_a, trans_b, m, n, k, <floating>1, pa + i * astep, lda,
                      pb + i * bstep, ldb, <floating>0, pc + i * cstep, n, 1)
        else:
            for i in range(nb):
                if _interrupt.fastnn_stopped(stop):
                    break
                _gemm(trans_a, trans_b, m, n, k, <floating>1, pa + i * astep, lda,
                      pb + i * bstep, ldb, <floating>0, pc + i * cstep, n, 0)
    _interrupt.after()


def max_threads():
    """The OpenMP team size fastnn's GEMM uses now (fastnn.set_num_threads sets it)."""
    return fastnn_gemm_max_threads()


def threads_for(double macs):
    """How many threads fastnn's GEMM splits a product of ``macs`` multiply-adds over."""
    return fastnn_team(macs, FASTNN_PAR_MIN_MACS)


def variants():
    """The ISA levels the GEMM can run on this CPU, best first (the common list)."""
    return _isa_module.available()


def current_variant():
    """The ISA level the GEMM runs now (e.g. 'avx512'): fastnn.backends.native.isa()."""
    return _isa_module.current()


def tile():
    """The current level's float32 register tile, e.g. 'avx512 zmm' (for messages)."""
    return fastnn_gemm_tile().decode("ascii")
