/* Fused attention softmax: the pass between attention's two batched GEMMs.
 *
 * Forward, in place over rows r0..r1 of the (B*L, S) score matrix s = q @ k^T
 * (row r is query i = r % L of problem b = r / L):
 *     s[j] = scale * s[j] + bias[b, i, j]      (bias NULL: none; batch stride 0: shared)
 *     s[j] = -inf for j > i when causal         (top-left aligned, as PyTorch; those
 *                                                entries are never computed, just zeroed)
 *     s    = softmax(s)                         (max, exp(x - max) and its sum, one scale)
 * two passes over the row instead of NumPy's five (scale, add, max, exp,
 * divide), the exponential the vectorisable fnn_expf (common/fast_exp.h) for
 * float32. A row whose entries are all -inf has no softmax: it becomes 0
 * (PyTorch's scaled_dot_product_attention) or NaN (empty_nan: its
 * MultiheadAttention weights path); a NaN score makes its row NaN.
 * Backward, in place: dp (the gradient of the probabilities p) becomes the
 * gradient of the scores, p * (dp - sum_j dp[j] p[j]).
 * Each function is built once per ISA level of fastnn's CPU dispatch
 * (common/isa.h) and the entry points run the current level's build.
 * Threads: the caller (_attention.pyx) splits the rows over OpenMP.
 * Reference: fastnn/backends/numpy_ref/attention.py.
 */
#if defined(__GNUC__) && !defined(__clang__)
/* A compare that might trap would otherwise keep a branch in the loops. */
#pragma GCC optimize ("no-trapping-math")
#endif

#include <math.h>
#include "attention_softmax_kernel.h"

#include "common/isa.h"
#include "common/fast_exp.h"

FASTNN_INLINE double fnn_attn_exp(double x) { return exp(x); }

#define FASTNN_ISA_BODY "attention/attention_softmax_kernel_impl.h"
#define T float
#define FN(name) FASTNN_V(fnn_attn_##name##_f32)
#define EXP fnn_expf
#include "common/isa_each.h"
#undef T
#undef FN
#undef EXP

#define T double
#define FN(name) FASTNN_V(fnn_attn_##name##_f64)
#define EXP fnn_attn_exp
#include "common/isa_each.h"
#undef T
#undef FN
#undef EXP

#define FASTNN_ATTN_API(SUF, T)                                                              \
void fastnn_attn_softmax_##SUF(T *s, const T *bias, long bias_batch_stride, long L, long S,  \
                               T scale, int causal, int empty_nan, long r0, long r1)         \
{                                                                                            \
    FASTNN_ISA_CALL(fastnn_isa(), fnn_attn_softmax_##SUF,                                   \
                    (s, bias, bias_batch_stride, L, S, scale, causal, empty_nan, r0, r1));   \
}                                                                                            \
void fastnn_attn_softmax_grad_##SUF(T *dp, const T *p, long S, long r0, long r1)             \
{                                                                                            \
    FASTNN_ISA_CALL(fastnn_isa(), fnn_attn_softmax_grad_##SUF, (dp, p, S, r0, r1));         \
}

FASTNN_ATTN_API(f32, float)
FASTNN_ATTN_API(f64, double)
