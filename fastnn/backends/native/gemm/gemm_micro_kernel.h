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

/* The two ways of packing a kc x n block into width-wide micro-panels, k-major
 * inside a panel, zero-padding the last panel; only panels [p0, p1) are written.
 * pack_a uses them with width GMR, pack_b with GNR (a compile-time constant
 * once inlined, so the fixed-length copies unroll).
 *
 * pack_rows: element (p, j) at src[p * ld + j]. Row by row: one sequential read
 * stream and fixed-length panel copies (walking one panel down k would read
 * rows ld apart, and a copy of variable length compiles to a memcpy call). */
static inline FASTNN_ALWAYS_INLINE void
GFN(pack_rows)(int width, long kc, long n, const GT *src, long ld, GT *restrict out,
               long p0, long p1)
{
    long full = n / width;              /* panels [0, full) are width wide */
    long q1 = p1 < full ? p1 : full;
    for (long p = 0; p < kc; p++) {
        const GT *row = src + p * ld;
        for (long q = p0; q < q1; q++) {
            const GT *s = row + q * width;
            GT *d = out + (q * kc + p) * width;
            FASTNN_UNROLL
            for (int j = 0; j < width; j++) d[j] = s[j];
        }
    }
    if (p1 > full && full >= p0) {      /* the partial last panel, zero-padded */
        long j0 = full * width, cols = n - j0;
        for (long p = 0; p < kc; p++) {
            const GT *s = src + p * ld + j0;
            GT *d = out + (full * kc + p) * width;
            long j = 0;
            for (; j < cols; j++) d[j] = s[j];
            for (; j < width; j++) d[j] = 0;
        }
    }
}

/* pack_cols: element (p, j) at src[j * ld + p]: read along p, write strided. */
static inline FASTNN_ALWAYS_INLINE void
GFN(pack_cols)(int width, long kc, long n, const GT *src, long ld, GT *restrict out,
               long p0, long p1)
{
    for (long q = p0; q < p1; q++) {
        GT *dst = out + q * kc * width;
        long j0 = q * width, cols = n - j0 < width ? n - j0 : width;
        long j = 0;
        for (; j < cols; j++) {
            const GT *s = src + (j0 + j) * ld;
            for (long p = 0; p < kc; p++) dst[p * width + j] = s[p];
        }
        for (; j < width; j++)
            for (long p = 0; p < kc; p++) dst[p * width + j] = 0;
    }
}

/* Pack rows [0, mc) x cols [0, kc) of op(A) (already offset to the block) into
 * GMR-row micro-panels, k-major inside a panel, zero-padding the last panel.
 * Only panels [p0, p1) are written. op(A)[i][p] is a[p * lda + i] when trans. */
static GATTR void
GFN(pack_a)(int trans, long mc, long kc, const GT *a, long lda, GT *restrict out, long p0, long p1)
{
    if (trans)
        GFN(pack_rows)(GMR, kc, mc, a, lda, out, p0, p1);
    else
        GFN(pack_cols)(GMR, kc, mc, a, lda, out, p0, p1);
}

/* Pack rows [0, kc) x cols [0, nc) of op(B) into GNR-column micro-panels,
 * k-major inside a panel, zero-padding the last panel. Panels [p0, p1) only.
 * op(B)[p][j] is b[j * ldb + p] when trans. */
static GATTR void
GFN(pack_b)(int trans, long kc, long nc, const GT *b, long ldb, GT *restrict out, long p0, long p1)
{
    if (trans)
        GFN(pack_cols)(GNR, kc, nc, b, ldb, out, p0, p1);
    else
        GFN(pack_rows)(GNR, kc, nc, b, ldb, out, p0, p1);
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
