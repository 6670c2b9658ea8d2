/* Elementwise and fused kernels: relu, bias+relu, cross-entropy over class indices.
 *
 * Every loop is written branch-free (selects, not ifs) so GCC vectorises it:
 * with random signs a branch per element mispredicts half the time, which
 * made a scalar relu backward ~10x slower than one vector pass.
 *   relu / bias+relu forward: y = (v <= 0) ? 0 : v, so NaN stays NaN (torch.relu).
 *   backward: dx = (y > 0) ? dy : 0; bias+relu also sums dx per channel into a
 *   float64 row `part` (the caller gives each thread its own row: no atomics).
 *   cross-entropy, one row: max, then exp(x - max) into the gradient buffer
 *   with its sum, log-sum-exp gives the loss, and the buffer is scaled in place
 *   into (sum_c q_c) softmax - q times the 'mean' factor, so backward is one
 *   multiply. float32 uses its own exp (below); float64 uses libm's.
 * Each function is built once per ISA level of fastnn's CPU dispatch
 * (common/isa.h: AVX-512, AVX2, generic) and the entry points at the end run
 * the build of the current level.
 * Threads: the caller (_elementwise.pyx) splits rows / chunks over OpenMP.
 * Reference: fastnn/backends/numpy_ref/elementwise.py.
 */
#if defined(__GNUC__) && !defined(__clang__)
/* A compare that might trap would otherwise keep a branch in the loop. */
#pragma GCC optimize ("no-trapping-math")
#endif

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "elementwise_kernel.h"

#include "common/isa.h"


#include "common/fast_exp.h"  /* fnn_expf: the vectorisable float32 e^x */

FASTNN_INLINE double fnn_exp(double x) { return exp(x); }

/* rows shorter than this exponentiate through libm (see exp_shifted) */
#define FASTNN_SHORT_ROW 32

#define FASTNN_ISA_BODY "elementwise/elementwise_kernel_impl.h"
#define T float
#define FN(name) FASTNN_V(fnn_##name##_f32)
#define EXP fnn_expf
#define EXP_LIBM expf
#include "common/isa_each.h"
#undef T
#undef FN
#undef EXP
#undef EXP_LIBM

#define T double
#define FN(name) FASTNN_V(fnn_##name##_f64)
#define EXP fnn_exp
#define EXP_LIBM exp
#include "common/isa_each.h"
#undef T
#undef FN
#undef EXP
#undef EXP_LIBM

/* The entry points run the build of the current level. */
#define FASTNN_EW_API(SUF, T)                                                                \
void fnn_relu_fwd_##SUF(const T *x, T *y, long n)                                          \
{                                                                                           \
    FASTNN_ISA_CALL(fastnn_isa(), fnn_relu_fwd_##SUF, (x, y, n));                           \
}                                                                                           \
void fnn_relu_bwd_##SUF(const T *dy, const T *y, T *dx, long n)                            \
{                                                                                           \
    FASTNN_ISA_CALL(fastnn_isa(), fnn_relu_bwd_##SUF, (dy, y, dx, n));                      \
}                                                                                           \
void fnn_bias_relu_fwd_##SUF(const T *x, const T *b, T *y, long rows, long C, long inner)  \
{                                                                                           \
    FASTNN_ISA_CALL(fastnn_isa(), fnn_bias_relu_fwd_##SUF, (x, b, y, rows, C, inner));      \
}                                                                                           \
void fnn_bias_relu_bwd_##SUF(const T *dy, const T *y, T *dx, double *part, long rows,      \
                             long C, long inner)                                           \
{                                                                                           \
    FASTNN_ISA_CALL(fastnn_isa(), fnn_bias_relu_bwd_##SUF, (dy, y, dx, part, rows, C, inner)); \
}                                                                                           \
double fnn_ce_row_##SUF(const T *x, int64_t t, double a, const T *s, int smooth,           \
                        double ssum, double scale, T *g, long C)                           \
{                                                                                           \
    return FASTNN_ISA_CALL(fastnn_isa(), fnn_ce_row_##SUF,                                  \
                           (x, t, a, s, smooth, ssum, scale, g, C));                        \
}                                                                                           \
void fnn_softmax_rows_##SUF(const T *x, T *y, long rows, long C, int logarithm)            \
{                                                                                           \
    FASTNN_ISA_CALL(fastnn_isa(), fnn_softmax_rows_##SUF, (x, y, rows, C, logarithm));      \
}

FASTNN_EW_API(f32, float)
FASTNN_EW_API(f64, double)
