/* Recurrent-step GEMM: C (M x N) [+]= A (M x K) @ op(W) with op(W) packed once.
 *
 * Packed layout: panel p holds columns [p*NR, p*NR + NR) of op(W) as K rows of NR
 * contiguous floats (zero-padded past N), so a step reads each panel front to back.
 * Kernel: for each panel and each block of MR rows of A, 2*MR vector accumulators
 * (NR = 2 vectors wide) sum a[r][k] * panel[k] over all of K (and, for a step's
 * two products, a2[r][k] * panel2[k] over K2), then add into C.
 * Written with GCC/Clang vector extensions and built once per ISA level of
 * fastnn's CPU dispatch (common/isa.h) with its target attribute (AVX-512: 16
 * lanes x 8 rows, AVX2+FMA: 8 lanes x 6 rows, generic: 4 lanes x 4 rows); the
 * caller passes the level. The caller's team splits the panels between threads.
 *
 * Interface and rationale: rnn_gemm_kernel.h. Reference: numpy_ref/gemm.py matmul.
 */
#include <stdlib.h>
#include <string.h>
#include "rnn_gemm_kernel.h"
#include "common/isa.h"

#if FASTNN_HAVE_VECTORS

/* The sum runs over two operands in turn, a (K) then a2 (K2, packed wp2;
 * K2 = 0: none), in the same accumulators: an RNN step adds x_t W_ih^T and
 * h_{t-1} W_hh^T with one store of C. */
#define FASTNN_RGEMM_KERNEL(NAME, ATTR, LANES, MR)                                            \
typedef float NAME##_v __attribute__((vector_size((LANES) * 4)));                          \
ATTR static void NAME(long M, long N, long K, const float *a, long lda, const float *wp,   \
                      long K2, const float *a2, long lda2, const float *wp2,               \
                      float *c, long ldc, int acc, long p0, long p1)                       \
{                                                                                           \
    enum { NR = 2 * (LANES) };                                                              \
    for (long p = p0; p < p1; p++) {                                                        \
        long n0 = p * NR, nw = N - n0 < NR ? N - n0 : NR;                                   \
        for (long m0 = 0; m0 < M; m0 += (MR)) {                                             \
            NAME##_v s0[MR], s1[MR];                                                        \
            for (int r = 0; r < (MR); r++) {                                                \
                s0[r] = (NAME##_v){0};                                                      \
                s1[r] = s0[r];                                                              \
            }                                                                               \
            for (int seg = 0; seg < 2; seg++) {                                             \
                const long KS = seg ? K2 : K;                                               \
                if (KS == 0) continue;                                                      \
                const float *w = (seg ? wp2 : wp) + p * KS * NR, *ar[MR];                   \
                for (int r = 0; r < (MR); r++) {   /* rows past M repeat the last one */    \
                    long row = m0 + r < M ? m0 + r : M - 1;                                 \
                    ar[r] = seg ? a2 + row * lda2 : a + row * lda;                          \
                }                                                                           \
                for (long k = 0; k < KS; k++) {                                             \
                    NAME##_v w0, w1;                                                        \
                    memcpy(&w0, w + k * NR, sizeof w0);                                     \
                    memcpy(&w1, w + k * NR + (LANES), sizeof w1);                           \
                    for (int r = 0; r < (MR); r++) {                                        \
                        s0[r] += ar[r][k] * w0;                                             \
                        s1[r] += ar[r][k] * w1;                                             \
                    }                                                                       \
                }                                                                           \
            }                                                                               \
            for (int r = 0; r < (MR) && m0 + r < M; r++) {                                  \
                float *cr = c + (m0 + r) * ldc + n0;                                        \
                if (nw == NR) {                                                             \
                    if (acc) {                                                              \
                        NAME##_v c0, c1;                                                    \
                        memcpy(&c0, cr, sizeof c0);                                         \
                        memcpy(&c1, cr + (LANES), sizeof c1);                               \
                        s0[r] += c0;                                                        \
                        s1[r] += c1;                                                        \
                    }                                                                       \
                    memcpy(cr, &s0[r], sizeof s0[r]);                                       \
                    memcpy(cr + (LANES), &s1[r], sizeof s1[r]);                             \
                } else {                                                                    \
                    float t[NR];                                                            \
                    memcpy(t, &s0[r], sizeof s0[r]);                                        \
                    memcpy(t + (LANES), &s1[r], sizeof s1[r]);                              \
                    for (long v = 0; v < nw; v++) cr[v] = (acc ? cr[v] : 0.0f) + t[v];      \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
}

FASTNN_RGEMM_KERNEL(rgemm_generic, , 4, 4)
#if FASTNN_X86_VARIANTS
FASTNN_RGEMM_KERNEL(rgemm_avx2, FASTNN_TARGET_AVX2, 8, 6)
FASTNN_RGEMM_KERNEL(rgemm_avx512, FASTNN_TARGET_AVX512, 16, 8)
#endif

typedef void (*rgemm_fn)(long, long, long, const float *, long, const float *, long,
                         const float *, long, const float *, float *, long, int, long, long);
typedef struct { long nr, mr; rgemm_fn fn; } rgemm_variant;

/* Indexed by ISA level; nr = 2 vectors of the level's lanes, mr its rows. */
static const rgemm_variant variants[FASTNN_ISA_COUNT] = {
    [FASTNN_ISA_GENERIC] = {8, 4, rgemm_generic},
#if FASTNN_X86_VARIANTS
    [FASTNN_ISA_AVX2] = {16, 6, rgemm_avx2},
    [FASTNN_ISA_AVX512] = {32, 8, rgemm_avx512},
#else
    [FASTNN_ISA_AVX2] = {8, 4, rgemm_generic},
    [FASTNN_ISA_AVX512] = {8, 4, rgemm_generic},
#endif
};
#endif

int fastnn_rgemm_available(void) { return FASTNN_HAVE_VECTORS; }

#if FASTNN_HAVE_VECTORS
size_t fastnn_rgemm_packed_len(int isa, long N, long K)
{
    const long nr = variants[isa].nr;
    return (size_t)((N + nr - 1) / nr) * (size_t)nr * (size_t)K;
}

void fastnn_rgemm_pack(int isa, int trans_w, long N, long K, const float *w, float *wp,
                       long p0, long p1)
{
    const long nr = variants[isa].nr, np = (N + nr - 1) / nr;
    for (long p = p0; p < p1 && p < np; p++) {
        float *dst = wp + p * K * nr;
        long n0 = p * nr, nw = N - n0 < nr ? N - n0 : nr;
        if (nw < nr) memset(dst, 0, sizeof(float) * (size_t)(K * nr));   /* pad past N */
        if (trans_w)        /* op(W)[k][n] = w[n * K + k]: read each row of w in order */
            for (long v = 0; v < nw; v++)
                for (long k = 0; k < K; k++) dst[k * nr + v] = w[(n0 + v) * K + k];
        else
            for (long k = 0; k < K; k++) memcpy(dst + k * nr, w + k * N + n0, sizeof(float) * nw);
    }
}

long fastnn_rgemm_panel_width(int isa)
{
    return variants[isa].nr;
}

long fastnn_rgemm_tile_rows(int isa)
{
    return variants[isa].mr;
}

void fastnn_rgemm_panels2(int isa, long M, long N, long K, const float *a, long lda,
                          const float *wp, long K2, const float *a2, long lda2,
                          const float *wp2, float *c, long ldc, int accumulate, long p0, long p1)
{
    long np = (N + variants[isa].nr - 1) / variants[isa].nr;
    if (p1 > np) p1 = np;
    if (M > 0 && p1 > p0)
        variants[isa].fn(M, N, K, a, lda, wp, K2, a2, lda2, wp2, c, ldc, accumulate, p0, p1);
}
#else
long fastnn_rgemm_panel_width(int isa) { (void)isa; return 1; }
long fastnn_rgemm_tile_rows(int isa) { (void)isa; return 1; }
void fastnn_rgemm_panels2(int isa, long M, long N, long K, const float *a, long lda,
                          const float *wp, long K2, const float *a2, long lda2,
                          const float *wp2, float *c, long ldc, int accumulate, long p0, long p1)
{ (void)isa; (void)M; (void)N; (void)K; (void)a; (void)lda; (void)wp; (void)K2; (void)a2;
  (void)lda2; (void)wp2; (void)c; (void)ldc; (void)accumulate; (void)p0; (void)p1; }
size_t fastnn_rgemm_packed_len(int isa, long N, long K) { (void)isa; (void)N; (void)K; return 0; }
void fastnn_rgemm_pack(int isa, int trans_w, long N, long K, const float *w, float *wp,
                       long p0, long p1)
{ (void)isa; (void)trans_w; (void)N; (void)K; (void)w; (void)wp; (void)p0; (void)p1; }
#endif

/* One operand: the two-operand product with none second. */
void fastnn_rgemm_panels(int isa, long M, long N, long K, const float *a, long lda,
                         const float *wp, float *c, long ldc, int accumulate, long p0, long p1)
{
    fastnn_rgemm_panels2(isa, M, N, K, a, lda, wp, 0, NULL, 0, NULL, c, ldc, accumulate, p0, p1);
}
