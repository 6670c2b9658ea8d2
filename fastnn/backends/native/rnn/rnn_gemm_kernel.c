/* Recurrent-step GEMM: C (M x N) [+]= A (M x K) @ op(W) with op(W) packed once,
 * and the weight grads' product C [+]= A^T B of two packed operands.
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

/* One row of a kernel's tile, NV vectors at v, into C's nw columns at cr
 * (added to them when acc); a partial panel goes through a copy. */
#define FASTNN_RGEMM_STORE(NAME, LANES, NV, cr_, v, nw, acc)                                 \
    do {                                                                                    \
        float *cr = (cr_);                                                                  \
        if ((nw) == (NV) * (LANES)) {                                                       \
            for (int q = 0; q < (NV); q++) {                                                \
                if (acc) {                                                                  \
                    NAME##_v old;                                                           \
                    memcpy(&old, cr + q * (LANES), sizeof old);                             \
                    (v)[q] += old;                                                          \
                }                                                                           \
                memcpy(cr + q * (LANES), &(v)[q], sizeof(v)[q]);                            \
            }                                                                               \
        } else {                                                                            \
            float t[(NV) * (LANES)];                                                        \
            memcpy(t, (v), sizeof t);                                                       \
            for (long j = 0; j < (nw); j++) cr[j] = ((acc) ? cr[j] : 0.0f) + t[j];          \
        }                                                                                   \
    } while (0)

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
            NAME##_v s[MR][2];                                                              \
            for (int r = 0; r < (MR); r++) {                                                \
                s[r][0] = (NAME##_v){0};                                                    \
                s[r][1] = s[r][0];                                                          \
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
                        s[r][0] += ar[r][k] * w0;                                           \
                        s[r][1] += ar[r][k] * w1;                                           \
                    }                                                                       \
                }                                                                           \
            }                                                                               \
            for (int r = 0; r < (MR) && m0 + r < M; r++)                                    \
                FASTNN_RGEMM_STORE(NAME, LANES, 2, c + (m0 + r) * ldc + n0, s[r], nw, acc);  \
        }                                                                                   \
    }                                                                                       \
}

/* C (M x N) [+]= A^T B with both operands packed in panels of one vector's
 * lanes: A's columns (K x LANES each, a_ps floats apart), B's columns (b_ps
 * apart). The weight grads' product: A a chunk of gate grads, B its rows
 * [x_t | h_{t-1}], each written into its panels as the steps produce them, so
 * that a tile's loads are two streams read front to back (read in place, the
 * gate grads' column for a tile is one line per row, a page apart: ~20% slower
 * in the backward than the shared GEMM, which pays for packing both). Tile:
 * LANES x LANES, one accumulator per row (16 x 16 ran as fast as 8 x 32 with
 * AVX-512, Zen 4, and halves the copies of an A row). Rows of a partial panel
 * (past M) are computed but not stored. */
#define FASTNN_RGEMM_PACKED_KERNEL(NAME, ATTR, LANES)                                         \
typedef float NAME##_v __attribute__((vector_size((LANES) * 4)));                          \
ATTR static void NAME(long M, long N, long K, const float *ap, long a_ps, const float *bp,  \
                      long b_ps, float *c, long ldc, int acc)                               \
{                                                                                           \
    for (long m0 = 0; m0 < M; m0 += (LANES)) {                                              \
        const float *a = ap + m0 / (LANES) * a_ps;                                          \
        for (long n0 = 0; n0 < N; n0 += (LANES)) {                                          \
            const long nw = N - n0 < (LANES) ? N - n0 : (LANES);                            \
            const float *b = bp + n0 / (LANES) * b_ps;                                      \
            NAME##_v sum[LANES];                                                            \
            for (int r = 0; r < (LANES); r++) sum[r] = (NAME##_v){0};                       \
            for (long k = 0; k < K; k++) {                                                  \
                NAME##_v w;                                                                 \
                memcpy(&w, b + k * (LANES), sizeof w);                                      \
                for (int r = 0; r < (LANES); r++) sum[r] += a[k * (LANES) + r] * w;         \
            }                                                                               \
            for (int r = 0; r < (LANES) && m0 + r < M; r++)                                 \
                FASTNN_RGEMM_STORE(NAME, LANES, 1, c + (m0 + r) * ldc + n0, &sum[r], nw,     \
                                   acc);                                                    \
        }                                                                                   \
    }                                                                                       \
}

FASTNN_RGEMM_KERNEL(rgemm_generic, , 4, 4)
FASTNN_RGEMM_PACKED_KERNEL(rgemm_packed_generic, , 4)
#if FASTNN_X86_VARIANTS
FASTNN_RGEMM_KERNEL(rgemm_avx2, FASTNN_TARGET_AVX2, 8, 6)
FASTNN_RGEMM_KERNEL(rgemm_avx512, FASTNN_TARGET_AVX512, 16, 8)
FASTNN_RGEMM_PACKED_KERNEL(rgemm_packed_avx2, FASTNN_TARGET_AVX2, 8)
FASTNN_RGEMM_PACKED_KERNEL(rgemm_packed_avx512, FASTNN_TARGET_AVX512, 16)
#endif

typedef void (*rgemm_fn)(long, long, long, const float *, long, const float *, long,
                         const float *, long, const float *, float *, long, int, long, long);
typedef void (*rgemm_packed_fn)(long, long, long, const float *, long, const float *, long,
                                float *, long, int);
/* nr: columns of a W panel, 2 vectors of the level's lanes; mr: rows of the
 * step kernel's tile; pw: columns of a panel of the packed product, 1 vector. */
typedef struct { long nr, mr, pw; rgemm_fn fn; rgemm_packed_fn packed; } rgemm_variant;

/* Indexed by ISA level. */
static const rgemm_variant variants[FASTNN_ISA_COUNT] = {
    [FASTNN_ISA_GENERIC] = {8, 4, 4, rgemm_generic, rgemm_packed_generic},
#if FASTNN_X86_VARIANTS
    [FASTNN_ISA_AVX2] = {16, 6, 8, rgemm_avx2, rgemm_packed_avx2},
    [FASTNN_ISA_AVX512] = {32, 8, 16, rgemm_avx512, rgemm_packed_avx512},
#else
    [FASTNN_ISA_AVX2] = {8, 4, 4, rgemm_generic, rgemm_packed_generic},
    [FASTNN_ISA_AVX512] = {8, 4, 4, rgemm_generic, rgemm_packed_generic},
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

long fastnn_rgemm_packed_width(int isa)
{
    return variants[isa].pw;
}

void fastnn_rgemm_packed(int isa, long M, long N, long K, const float *ap, long a_ps,
                         const float *bp, long b_ps, float *c, long ldc, int accumulate)
{
    if (M > 0 && N > 0) variants[isa].packed(M, N, K, ap, a_ps, bp, b_ps, c, ldc, accumulate);
}
#else
long fastnn_rgemm_panel_width(int isa) { (void)isa; return 1; }
long fastnn_rgemm_tile_rows(int isa) { (void)isa; return 1; }
void fastnn_rgemm_panels2(int isa, long M, long N, long K, const float *a, long lda,
                          const float *wp, long K2, const float *a2, long lda2,
                          const float *wp2, float *c, long ldc, int accumulate, long p0, long p1)
{ (void)isa; (void)M; (void)N; (void)K; (void)a; (void)lda; (void)wp; (void)K2; (void)a2;
  (void)lda2; (void)wp2; (void)c; (void)ldc; (void)accumulate; (void)p0; (void)p1; }
long fastnn_rgemm_packed_width(int isa) { (void)isa; return 1; }
void fastnn_rgemm_packed(int isa, long M, long N, long K, const float *ap, long a_ps,
                         const float *bp, long b_ps, float *c, long ldc, int accumulate)
{ (void)isa; (void)M; (void)N; (void)K; (void)ap; (void)a_ps; (void)bp; (void)b_ps; (void)c;
  (void)ldc; (void)accumulate; }
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
