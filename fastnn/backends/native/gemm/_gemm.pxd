# The one compiled GEMM (gemm_kernel.c), exported to the other native modules.
# conv and rnn cimport sgemm/dgemm (Cython fetches the function pointers from
# _gemm's __pyx_capi__ when they are imported) and hand them to their C code,
#     from ..gemm cimport _gemm
#     _gemm.fastnn_gemm_link(_gemm.sgemm, _gemm.dgemm)
# whose fastnn_sgemm/fastnn_dgemm (gemm_link.c) then call this module's.

cdef void sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                const float *a, long lda, const float *b, long ldb, float beta,
                float *c, long ldc, int nthreads) noexcept nogil
cdef void dgemm(int trans_a, int trans_b, long m, long n, long k, double alpha,
                const double *a, long lda, const double *b, long ldb, double beta,
                double *c, long ldc, int nthreads) noexcept nogil

cdef extern from "gemm/gemm_kernel.h" nogil:
    ctypedef void (*fastnn_sgemm_fn)(int, int, long, long, long, float, const float *, long,
                                     const float *, long, float, float *, long, int) noexcept nogil
    ctypedef void (*fastnn_dgemm_fn)(int, int, long, long, long, double, const double *, long,
                                     const double *, long, double, double *, long, int) noexcept nogil
    void fastnn_gemm_link(fastnn_sgemm_fn s, fastnn_dgemm_fn d)   # gemm_link.c, in the importing module
