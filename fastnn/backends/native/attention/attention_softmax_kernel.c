/* Fused attention softmax: the pass between attention's two batched GEMMs.
 *
 * Forward, in place over rows r0..r1 of the (B*L, S) score matrix s = q @ k^T
 * (row r is query i = r % L of problem b = r / L):
 *     s[j] = scale * s[j] + bias[b, i, j]      (bias NULL: none; batch stride 0: shared)
 *     s[j] = -inf for j > i when causal         (top-left aligned, as PyTorch)
 *     s    = softmax(s)                         (max, exp(x - max) and its sum, one scale)
 * one read and one write of the row instead of the four NumPy passes (scale,
 * add, max/exp, divide). A row whose entries are all -inf has no softmax: it
 * becomes 0 (PyTorch's scaled_dot_product_attention) or NaN (empty_nan, its
 * MultiheadAttention weights path).
 * Backward, in place: dp (the gradient of the probabilities p) becomes the
 * gradient of the scores, p * (dp - sum_j dp[j] p[j]) (a NaN row stays NaN, as in PyTorch).
 * Sums accumulate in double. Threads: the caller (_attention.pyx) splits the
 * rows over OpenMP. Reference: fastnn/backends/numpy_ref/attention.py.
 */
#include <math.h>
#include "attention_softmax_kernel.h"

#define DEFINE_ATTN(T, SUF, EXP)                                                             \
void fastnn_attn_softmax_##SUF(T *s, const T *bias, long bias_batch_stride, long L, long S,  \
                               T scale, int causal, int empty_nan, long r0, long r1)         \
{                                                                                            \
    for (long r = r0; r < r1; r++) {                                                         \
        long b = r / L, i = r % L;                                                           \
        T *row = s + r * S;                                                                  \
        long n = causal ? (i + 1 < S ? i + 1 : S) : S; /* entries not masked by causality */ \
        if (bias != 0) {                                                                     \
            const T *br = bias + b * bias_batch_stride + i * S;                              \
            for (long j = 0; j < n; j++)                                                     \
                row[j] = scale * row[j] + br[j];                                             \
        } else {                                                                             \
            for (long j = 0; j < n; j++)                                                     \
                row[j] = scale * row[j];                                                     \
        }                                                                                    \
        T m = -INFINITY;                                                                     \
        int nan = 0;                                                                         \
        for (long j = 0; j < n; j++) {                                                       \
            m = row[j] > m ? row[j] : m;                                                     \
            nan |= row[j] != row[j];                                                         \
        }                                                                                    \
        if (nan || m == -INFINITY) {                                                         \
            /* NaN in: NaN row (as exp/sum would give); no finite entry: 0 or NaN */         \
            T fill = (nan || empty_nan) ? (T)NAN : (T)0;                                     \
            for (long j = 0; j < S; j++)                                                     \
                row[j] = fill;                                                               \
            continue;                                                                        \
        }                                                                                    \
        double tot = 0.0;                                                                    \
        for (long j = 0; j < n; j++) {                                                       \
            T e = EXP(row[j] - m);                                                           \
            row[j] = e;                                                                      \
            tot += e;                                                                        \
        }                                                                                    \
        T f = (T)(1.0 / tot);                                                                \
        for (long j = 0; j < n; j++)                                                         \
            row[j] *= f;                                                                     \
        for (long j = n; j < S; j++)                                                         \
            row[j] = 0;                                                                      \
    }                                                                                        \
}                                                                                            \
                                                                                             \
void fastnn_attn_softmax_grad_##SUF(T *dp, const T *p, long S, long r0, long r1)             \
{                                                                                            \
    for (long r = r0; r < r1; r++) {                                                         \
        T *d = dp + r * S;                                                                   \
        const T *pr = p + r * S;                                                             \
        double dot = 0.0;                                                                    \
        for (long j = 0; j < S; j++)                                                         \
            dot += (double)d[j] * (double)pr[j];                                             \
        T t = (T)dot;                                                                        \
        for (long j = 0; j < S; j++)                                                         \
            d[j] = pr[j] * (d[j] - t);                                                       \
    }                                                                                        \
}

DEFINE_ATTN(float, f32, expf)
DEFINE_ATTN(double, f64, exp)
