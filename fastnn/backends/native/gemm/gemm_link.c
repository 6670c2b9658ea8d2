/* fastnn_sgemm / fastnn_dgemm for the native modules other than _gemm (conv,
 * rnn): they call the GEMM compiled into _gemm (gemm_kernel.c) through the
 * function pointers the module's .pyx hands over when it is imported,
 *     from ..gemm cimport _gemm
 *     _gemm.fastnn_gemm_link(_gemm.sgemm, _gemm.dgemm)
 * so there is one GEMM, with one CPU dispatch, in the process. The call
 * through a pointer costs nanoseconds; the products it starts take
 * microseconds at least. Interface: gemm_kernel.h.
 */
#include "gemm/gemm_kernel.h"

static fastnn_sgemm_fn linked_s;
static fastnn_dgemm_fn linked_d;

void fastnn_gemm_link(fastnn_sgemm_fn s, fastnn_dgemm_fn d)
{
    linked_s = s;
    linked_d = d;
}

/* The module links before any of its functions can be called from Python. */
void fastnn_sgemm(int trans_a, int trans_b, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc, int nthreads)
{
    linked_s(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nthreads);
}

void fastnn_dgemm(int trans_a, int trans_b, long m, long n, long k, double alpha,
                  const double *a, long lda, const double *b, long ldb,
                  double beta, double *c, long ldc, int nthreads)
{
    linked_d(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nthreads);
}
