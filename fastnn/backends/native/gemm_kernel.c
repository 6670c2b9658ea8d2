/* fastnn GEMM: C = alpha * op(A) @ op(B) + beta * C, row-major (see gemm_kernel.h).
 *
 * PLACEHOLDER (straightforward triple loop, i-p-j order, OpenMP over rows of C).
 * Correct for every transpose/stride combination; the packed, blocked version
 * replaces the body of gemm_impl below.
 * Reference: fastnn/backends/numpy_ref/gemm.py.
 */
#include "gemm_kernel.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#define DEFINE_NAIVE_GEMM(NAME, T)                                                  \
void NAME(int trans_a, int trans_b, long m, long n, long k, T alpha,                \
          const T *a, long lda, const T *b, long ldb, T beta, T *c, long ldc,       \
          int nthreads)                                                             \
{                                                                                   \
    long i;                                                                         \
    (void)nthreads;                                                                 \
    _Pragma("omp parallel for schedule(static) if(nthreads != 1 && m * n * k > 32768) num_threads(nthreads > 0 ? nthreads : omp_get_max_threads())") \
    for (i = 0; i < m; i++) {                                                       \
        T *crow = c + i * ldc;                                                      \
        for (long j = 0; j < n; j++) crow[j] = (beta == 0) ? (T)0 : beta * crow[j]; \
        for (long p = 0; p < k; p++) {                                              \
            T aip = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);            \
            if (trans_b) { for (long j = 0; j < n; j++) crow[j] += aip * b[j * ldb + p]; } \
            else { const T *brow = b + p * ldb; for (long j = 0; j < n; j++) crow[j] += aip * brow[j]; } \
        }                                                                           \
    }                                                                               \
}

#ifndef _OPENMP
static int omp_get_max_threads(void) { return 1; }
#endif

DEFINE_NAIVE_GEMM(fastnn_sgemm, float)
DEFINE_NAIVE_GEMM(fastnn_dgemm, double)
