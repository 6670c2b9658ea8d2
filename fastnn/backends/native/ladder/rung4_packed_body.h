/* Rung 4's code for one ISA level (see rung4_packed.c): included once per level
 * through common/isa_each.h, which defines FASTNN_TARGET (the level's function
 * attribute) and FASTNN_V(name) (name_generic, name_avx2 or name_avx512).
 */
#define LANES FASTNN_PASTE(LADDER_LANES, FASTNN_ISA_SUFFIX)
#define NR (2 * LANES)

#if LANES > 1
typedef float FASTNN_V(vec) __attribute__((vector_size(LANES * sizeof(float))));
/* The same vector at any float's address: for C, which is not aligned. */
typedef float FASTNN_V(vec_u) __attribute__((vector_size(LANES * sizeof(float)), aligned(sizeof(float))));
#else
typedef float FASTNN_V(vec);
typedef float FASTNN_V(vec_u);
#endif

static int FASTNN_V(ladder_tile_nr)(void) { return NR; }

/* A[0:mc, 0:kc] (row stride lda) into MR-row panels: panel q holds
 * A[q*MR + i][p] at p*MR + i, rows past mc are zero. */
FASTNN_INLINE FASTNN_TARGET void
FASTNN_V(pack_a)(long mc, long kc, const float *a, long lda, float *out)
{
    for (long i0 = 0; i0 < mc; i0 += MR) {
        const long rows = min_l(MR, mc - i0);
        for (long p = 0; p < kc; p++, out += MR) {
            long i = 0;
            for (; i < rows; i++) out[i] = a[(i0 + i) * lda + p];
            for (; i < MR; i++) out[i] = 0.0f;
        }
    }
}

/* B[0:kc, 0:nc] (row stride ldb) into NR-column panels: panel q holds
 * B[p][q*NR + j] at p*NR + j, columns past nc are zero. */
FASTNN_INLINE FASTNN_TARGET void
FASTNN_V(pack_b)(long kc, long nc, const float *b, long ldb, float *out)
{
    for (long j0 = 0; j0 < nc; j0 += NR) {
        const long cols = min_l(NR, nc - j0);
        for (long p = 0; p < kc; p++, out += NR) {
            long j = 0;
            for (; j < cols; j++) out[j] = b[p * ldb + j0 + j];
            for (; j < NR; j++) out[j] = 0.0f;
        }
    }
}

/* The micro-kernel: C[0:mr, 0:nr] += A panel (kc x MR) @ B panel (kc x NR).
 * acc is the MR x NR tile of C as 2*MR vectors: the compiler keeps them in
 * registers, and with the level's target each `acc += a * b` is one FMA. */
FASTNN_INLINE FASTNN_TARGET void
FASTNN_V(micro)(long kc, const float *ap, const float *bp, float *c, long ldc, long mr, long nr)
{
    typedef FASTNN_V(vec) V;
    typedef FASTNN_V(vec_u) VU;
    const V zero = {0};
    V acc[MR][2];
    FASTNN_UNROLL
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = zero;
    for (long p = 0; p < kc; p++, ap += MR, bp += NR) {
        const V b0 = ((const V *)bp)[0], b1 = ((const V *)bp)[1];
        FASTNN_UNROLL
        for (int i = 0; i < MR; i++) {
            acc[i][0] += ap[i] * b0;
            acc[i][1] += ap[i] * b1;
        }
    }
    if (mr == MR && nr == NR) {     /* a whole tile: add the registers to C */
        FASTNN_UNROLL
        for (int i = 0; i < MR; i++) {
            VU *ci = (VU *)(c + i * ldc);
            ci[0] += acc[i][0];
            ci[1] += acc[i][1];
        }
    } else {                        /* an edge tile: through memory, the part inside C */
        float tile[MR][NR];
        memcpy(tile, acc, sizeof tile);
        for (long i = 0; i < mr; i++)
            for (long j = 0; j < nr; j++) c[i * ldc + j] += tile[i][j];
    }
}

/* C = A @ B: the loop nest of rung4_packed.c. */
static FASTNN_TARGET void
FASTNN_V(ladder_packed_run)(long m, long n, long k, const float *a, const float *b, float *c,
                            float *abuf, float *bbuf)
{
    memset(c, 0, (size_t)(m * n) * sizeof(float));
    for (long jc = 0; jc < n; jc += NC) {
        const long nc = min_l(NC, n - jc);
        for (long pc = 0; pc < k; pc += KC) {
            const long kc = min_l(KC, k - pc);
            FASTNN_V(pack_b)(kc, nc, b + pc * n + jc, n, bbuf);
            for (long ic = 0; ic < m; ic += MC) {
                const long mc = min_l(MC, m - ic);
                FASTNN_V(pack_a)(mc, kc, a + ic * k + pc, k, abuf);
                for (long ir = 0; ir < mc; ir += MR)        /* panel ir / MR starts at ir * kc */
                    for (long jr = 0; jr < nc; jr += NR)
                        FASTNN_V(micro)(kc, abuf + ir * kc, bbuf + jr * kc,
                                        c + (ic + ir) * n + jc + jr, n,
                                        min_l(MR, mc - ir), min_l(NR, nc - jr));
            }
        }
    }
}

#undef LANES
#undef NR
