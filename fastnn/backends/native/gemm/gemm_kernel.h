/* fastnn GEMM C interface, shared by every native kernel that multiplies matrices.
 * Compiled once, into the _gemm module (gemm_kernel.c); the other modules'
 * C code calls it through gemm_link.c (see _gemm.pxd).
 *
 *   C = alpha * op(A) @ op(B) + beta * C      (row-major, op(X) = X or X^T)
 *
 * op(A) is m x k, op(B) is k x n, C is m x n. lda/ldb/ldc are row strides in
 * elements. nthreads is the number of OpenMP threads the call may use: pass 1
 * when calling from inside an OpenMP parallel region, 0 for "the current
 * fastnn setting" (omp_get_max_threads()).
 * When beta == 0, C is not read (it may hold NaN garbage).
 *
 * Reference: fastnn/backends/numpy_ref/gemm.py (matmul).
 */
#ifndef FASTNN_GEMM_KERNEL_H
#define FASTNN_GEMM_KERNEL_H

#ifdef __cplusplus
extern "C" {
#endif

void fastnn_sgemm(int trans_a, int trans_b, long m, long n, long k,
                  float alpha, const float *a, long lda,
                  const float *b, long ldb,
                  float beta, float *c, long ldc, int nthreads);

void fastnn_dgemm(int trans_a, int trans_b, long m, long n, long k,
                  double alpha, const double *a, long lda,
                  const double *b, long ldb,
                  double beta, double *c, long ldc, int nthreads);

typedef void (*fastnn_sgemm_fn)(int, int, long, long, long, float, const float *, long,
                                const float *, long, float, float *, long, int);
typedef void (*fastnn_dgemm_fn)(int, int, long, long, long, double, const double *, long,
                                const double *, long, double, double *, long, int);
/* The current level's float register tile ("avx512 zmm", "16-byte vectors",
 * "scalar"...), for tests and messages. */
const char *fastnn_gemm_tile(void);

/* gemm_link.c: make this module's fastnn_sgemm/fastnn_dgemm call s and d. */
void fastnn_gemm_link(fastnn_sgemm_fn s, fastnn_dgemm_fn d);

#ifdef __cplusplus
}
#endif
#endif
