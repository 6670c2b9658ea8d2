/* One variant of fastnn's GEMM building blocks: packing and the register-tiled
 * micro-kernel, for one element type and one ISA level (common/isa.h).
 *
 * gemm_kernel.c (and the convolution's per-level builds, conv/conv_isa_body.h)
 * include this file once per (type, level) after defining
 *   GT      element type (float or double)
 *   GVLEN   elements per SIMD vector (1 means plain scalar C)
 *   GMR     rows of the register tile (micro-panel height of packed A)
 *   GNV     SIMD vectors per tile row; the tile is GMR x (GNV * GVLEN)
 *   GFN(x)  name mangler giving every function of this variant its own name
 *   GATTR   function attributes: the level's FASTNN_TARGET_AVX512 etc., or empty
 * and it defines the variant's three entry points (pack_a, pack_b, block).
 *
 * Why the tile is row-major with vectors along n: C is row-major, so one tile
 * row is GNV contiguous vector stores; each k step loads GNV vectors of packed
 * B and broadcasts GMR scalars of packed A. The whole tile lives in registers
 * (GMR * GNV accumulators: 24 zmm for AVX-512, 12 ymm for AVX2, 8 xmm for SSE2).
 * Everything is always_inline into the GATTR functions so that the compiler
 * emits the variant's instruction set for the inner loop.
 * Reference: fastnn/backends/numpy_ref/gemm.py (matmul).
 */
#define GNR (GNV * GVLEN)

#if GVLEN > 1
typedef GT GFN(vec) __attribute__((vector_size(GVLEN * sizeof(GT))));
/* Same vector, but only element-aligned: for loads/stores straight into C. */
typedef GT GFN(uvec) __attribute__((vector_size(GVLEN * sizeof(GT)), aligned(sizeof(GT))));
#else
typedef GT GFN(vec);
typedef GT GFN(uvec);
#endif

/* acc = packed A micro-panel (kc x GMR) times packed B micro-panel (kc x GNR);
 * then C[0:mr, 0:nr] = alpha * acc + beta * C (C not read when beta == 0). */
static inline FASTNN_ALWAYS_INLINE void
GFN(micro)(long kc, const GT *restrict ap, const GT *restrict bp, GT *restrict c, long ldc,
           GT alpha, GT beta, int mr, int nr)
{
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    V acc[GMR][GNV];
    const V zero = {0};
    FASTNN_UNROLL
    for (int i = 0; i < GMR; i++)
        FASTNN_UNROLL
        for (int v = 0; v < GNV; v++) acc[i][v] = zero;

    for (long p = 0; p < kc; p++) {
        V bv[GNV];
        FASTNN_UNROLL
        for (int v = 0; v < GNV; v++) bv[v] = ((const V *)bp)[v];
        FASTNN_UNROLL
        for (int i = 0; i < GMR; i++) {
            GT aval = ap[i];
            FASTNN_UNROLL
            for (int v = 0; v < GNV; v++) acc[i][v] += aval * bv[v];
        }
        ap += GMR;
        bp += GNR;
    }

    if (mr == GMR && nr == GNR) {
        FASTNN_UNROLL
        for (int i = 0; i < GMR; i++) {
            FASTNN_UNROLL
            for (int v = 0; v < GNV; v++) {
                VU *cp = (VU *)(c + i * ldc + v * GVLEN);
                if (beta == (GT)0) *cp = alpha * acc[i][v];
                else *cp = alpha * acc[i][v] + beta * *cp;
            }
        }
    } else {
        /* Edge tile: spill the registers and copy the valid part only. */
        V tile[GMR][GNV];
        FASTNN_UNROLL
        for (int i = 0; i < GMR; i++)
            FASTNN_UNROLL
            for (int v = 0; v < GNV; v++) tile[i][v] = acc[i][v];
        const GT *t = (const GT *)tile;
        for (int i = 0; i < mr; i++) {
            GT *crow = c + i * ldc;
            const GT *trow = t + i * GNR;
            if (beta == (GT)0) for (int j = 0; j < nr; j++) crow[j] = alpha * trow[j];
            else for (int j = 0; j < nr; j++) crow[j] = alpha * trow[j] + beta * crow[j];
        }
    }
}

/* Pack rows [0, mc) x cols [0, kc) of op(A) (already offset to the block) into
 * GMR-row micro-panels, k-major inside a panel, zero-padding the last panel.
 * Only panels [p0, p1) are written. */
static GATTR void
GFN(pack_a)(int trans, long mc, long kc, const GT *a, long lda, GT *restrict out, long p0, long p1)
{
    if (trans) {                /* op(A)[i][p] = a[p * lda + i]: rows of a are contiguous in i */
        /* Row by row, as pack_b: one sequential read stream and fixed-length
         * copies (a per-panel walk down k read rows lda apart and let the
         * compiler turn each GMR-float copy into a memcpy call). */
        long full = mc / GMR;   /* panels [0, full) have all GMR rows */
        long q1 = p1 < full ? p1 : full;
        for (long p = 0; p < kc; p++) {
            const GT *src = a + p * lda;
            for (long q = p0; q < q1; q++) {
                const GT *s = src + q * GMR;
                GT *d = out + (q * kc + p) * GMR;
                FASTNN_UNROLL
                for (int i = 0; i < GMR; i++) d[i] = s[i];
            }
        }
        if (p1 > full && full >= p0) {  /* the partial last panel, zero-padded */
            long i0 = full * GMR, rows = mc - i0;
            for (long p = 0; p < kc; p++) {
                const GT *s = a + p * lda + i0;
                GT *d = out + (full * kc + p) * GMR;
                long i = 0;
                for (; i < rows; i++) d[i] = s[i];
                for (; i < GMR; i++) d[i] = 0;
            }
        }
        return;
    }
    for (long q = p0; q < p1; q++) {    /* op(A)[i][p] = a[i * lda + p]: read along p, write strided */
        GT *dst = out + q * kc * GMR;
        long i0 = q * GMR, rows = mc - i0 < GMR ? mc - i0 : GMR;
        long i = 0;
        for (; i < rows; i++) {
            const GT *src = a + (i0 + i) * lda;
            for (long p = 0; p < kc; p++) dst[p * GMR + i] = src[p];
        }
        for (; i < GMR; i++)
            for (long p = 0; p < kc; p++) dst[p * GMR + i] = 0;
    }
}

/* Pack rows [0, kc) x cols [0, nc) of op(B) into GNR-column micro-panels,
 * k-major inside a panel, zero-padding the last panel. Panels [p0, p1) only. */
static GATTR void
GFN(pack_b)(int trans, long kc, long nc, const GT *b, long ldb, GT *restrict out, long p0, long p1)
{
    long full = nc / GNR;               /* panels [0, full) have all GNR columns */
    if (!trans) {                       /* op(B)[p][j] = b[p * ldb + j] */
        /* Row by row: one sequential read stream, whole vectors per panel. */
        long q1 = p1 < full ? p1 : full;
        for (long p = 0; p < kc; p++) {
            const GT *src = b + p * ldb;
            for (long q = p0; q < q1; q++) {
                const GT *s = src + q * GNR;
                GT *d = out + (q * kc + p) * GNR;
                FASTNN_UNROLL
                for (int j = 0; j < GNR; j++) d[j] = s[j];
            }
        }
        if (p1 > full && full >= p0) {  /* the partial last panel, zero-padded */
            long j0 = full * GNR, cols = nc - j0;
            for (long p = 0; p < kc; p++) {
                const GT *s = b + p * ldb + j0;
                GT *d = out + (full * kc + p) * GNR;
                long j = 0;
                for (; j < cols; j++) d[j] = s[j];
                for (; j < GNR; j++) d[j] = 0;
            }
        }
        return;
    }
    for (long q = p0; q < p1; q++) {    /* op(B)[p][j] = b[j * ldb + p] */
        GT *dst = out + q * kc * GNR;
        long j0 = q * GNR, cols = nc - j0 < GNR ? nc - j0 : GNR;
        long j = 0;
        for (; j < cols; j++) {
            const GT *src = b + (j0 + j) * ldb;
            for (long p = 0; p < kc; p++) dst[p * GNR + j] = src[p];
        }
        for (; j < GNR; j++)
            for (long p = 0; p < kc; p++) dst[p * GNR + j] = 0;
    }
}

/* Multiply the packed blocks: micro-panel rows [r0, r1) x micro-panel columns
 * [c0, c1) of the mc x nc block of C. A micro-panel (kc x GMR) stays in L1
 * while the B micro-panels stream from L2. */
static GATTR void
GFN(block)(long mc, long nc, long kc, const GT *ap, const GT *bp, GT *c, long ldc,
           GT alpha, GT beta, long r0, long r1, long c0, long c1)
{
    for (long r = r0; r < r1; r++) {
        const GT *apan = ap + r * kc * GMR;
        int mr = (int)(mc - r * GMR < GMR ? mc - r * GMR : GMR);
        for (long q = c0; q < c1; q++) {
            int nr = (int)(nc - q * GNR < GNR ? nc - q * GNR : GNR);
            GFN(micro)(kc, apan, bp + q * kc * GNR, c + r * GMR * ldc + q * GNR, ldc,
                       alpha, beta, mr, nr);
        }
    }
}

#undef GNR
