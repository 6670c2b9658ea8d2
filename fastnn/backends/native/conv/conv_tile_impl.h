/* The register tile that the packed convolutions multiply with, for one
 * (element type, ISA level): a tile store with fused bias or accumulate
 * (cg_store), the micro-kernel over an A and a B panel (cg_micro, 4/8/12-row
 * heights), their product over whole packed operands (cg_gemm), and one im2col
 * row copied into a contiguous buffer (cg_row). conv_gemm_kernel_impl.h (packed
 * GEMM), conv_small_kernel_impl.h (k <= 12) and conv_winograd_kernel_impl.h
 * build on them.
 *
 * Included by conv_isa_body.h right after gemm_micro_kernel.h with the same
 * GT/GVLEN/GMR/GNV/GFN/GATTR, and uses that level's vector types; CNR, the
 * tile's columns, stays defined for the files after it (conv_isa_body.h
 * undefines it). Reference: fastnn/backends/numpy_ref/conv.py (_columns is
 * im2col; the products are its matmuls).
 */
#define CNR (GNV * GVLEN)

/* Store a register tile t (rows [0, mr), columns [0, nr)) into C: + C when
 * acc, else + bias[i] on row i when bias != NULL. Whole vectors go straight
 * to C; only a partial last vector is spilled and copied. */
static inline FASTNN_ALWAYS_INLINE void
GFN(cg_store)(GFN(vec) t[GMR][GNV], GT *restrict c, long ldc, int acc, const GT *bias,
              const int MRR, int mr, int nr)
{
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    const V zero = {0};
    const int nfull = nr / GVLEN, rest = nr - nfull * GVLEN;
    FASTNN_UNROLL
    for (int i = 0; i < MRR; i++) {
        if (i >= mr) break;
        GT *crow = c + i * ldc;
        const GT bi = (!acc && bias != NULL) ? bias[i] : (GT)0;
        if (nfull == GNV) {
            FASTNN_UNROLL
            for (int v = 0; v < GNV; v++) {
                VU *cp = (VU *)(crow + v * GVLEN);
                *cp = acc ? t[i][v] + *cp : t[i][v] + bi;
            }
        } else {
            for (int v = 0; v < nfull; v++) {
                VU *cp = (VU *)(crow + v * GVLEN);
                *cp = acc ? t[i][v] + *cp : t[i][v] + bi;
            }
            if (rest) {
                V last = zero;
                FASTNN_UNROLL
                for (int v = 0; v < GNV; v++)
                    if (v == nfull) last = t[i][v];
                const GT *lv = (const GT *)&last;
                GT *cp = crow + nfull * GVLEN;
                for (int j = 0; j < rest; j++) cp[j] = acc ? lv[j] + cp[j] : lv[j] + bi;
            }
        }
    }
}

/* The convolution's own micro-kernel: C[0:mr, 0:nr] = A panel @ B panel
 * (+ C when acc, else + bias[i] when bias != NULL), with the tile height MRR
 * a compile-time constant (each call site passes a literal, so always_inline
 * gives one specialised loop per height). Why not the GEMM's micro: 64
 * output channels are 5 panels of 12 and one of 4, and the GEMM's kernel
 * computes that last panel as 12 rows; an 8- or 4-row loop does only what
 * it needs. The bias rides on
 * the first k block's store instead of a pass over y, and an edge tile
 * stores its whole vectors directly, spilling only the partial one. */
static inline FASTNN_ALWAYS_INLINE void
GFN(cg_micro)(long kc, const GT *restrict ap, const GT *restrict bp, GT *restrict c, long ldc,
              int acc, const GT *bias, const int MRR, int mr, int nr)
{
    typedef GFN(vec) V;
    V t[GMR][GNV];
    const V zero = {0};
    FASTNN_UNROLL
    for (int i = 0; i < MRR; i++)
        FASTNN_UNROLL
        for (int v = 0; v < GNV; v++) t[i][v] = zero;
    for (long p = 0; p < kc; p++) {
        V bv[GNV];
        FASTNN_UNROLL
        for (int v = 0; v < GNV; v++) bv[v] = ((const V *)bp)[v];
        FASTNN_UNROLL
        for (int i = 0; i < MRR; i++) {
            const GT a = ap[i];
            FASTNN_UNROLL
            for (int v = 0; v < GNV; v++) t[i][v] += a * bv[v];
        }
        ap += GMR;
        bp += CNR;
    }
    GFN(cg_store)(t, c, ldc, acc, bias, MRR, mr, nr);
}

/* cg_micro with MRR the smallest of {4, 8, GMR} (capped at GMR) covering mr. */
static inline FASTNN_ALWAYS_INLINE void
GFN(cg_tile)(long kc, const GT *ap, const GT *bp, GT *c, long ldc, int acc, const GT *bias,
             int mr, int nr)
{
    if (mr > 8 || GMR <= 4)
        GFN(cg_micro)(kc, ap, bp, c, ldc, acc, bias, GMR, mr, nr);
    else if (mr > 4)
        GFN(cg_micro)(kc, ap, bp, c, ldc, acc, bias, GMR < 8 ? GMR : 8, mr, nr);
    else
        GFN(cg_micro)(kc, ap, bp, c, ldc, acc, bias, 4, mr, nr);
}

/* C (m x n, row stride ldc) = A @ B over packed panels (A: GMR-row panels
 * of kc steps, B: CNR-column panels), + C when acc, else + bias[row] when
 * bias != NULL. Not inlined into the callers on purpose: with the im2col
 * and packing loops in the same function GCC spilled the tile loop's
 * registers. */
static GATTR FASTNN_NOINLINE void
GFN(cg_gemm)(long kc, const GT *ab, const GT *bb, GT *c, long ldc, long m, long n, int acc,
             const GT *bias)
{
    const long mpan = (m + GMR - 1) / GMR, npan = (n + CNR - 1) / CNR;
    for (long r = 0; r < mpan; r++) {
        const int mr = (int)conv_min(GMR, m - r * GMR);
        const GT *br = bias != NULL ? bias + r * GMR : NULL;
        for (long q = 0; q < npan; q++)
            GFN(cg_tile)(kc, ab + r * kc * GMR, bb + q * kc * CNR, c + r * GMR * ldc + q * CNR,
                         ldc, acc, br, mr, (int)conv_min(CNR, n - q * CNR));
    }
}

/* One im2col row -- channel ch, kernel tap (i, j) -- over output rows
 * [oh0, oh1) into tmp, contiguous: the three runs of conv_im2col_kernel.c. */
static inline FASTNN_ALWAYS_INLINE void
GFN(cg_row)(const GT *restrict x, const fastnn_conv_geo *g, long ch, long i, long j,
            long oh0, long oh1, GT *restrict tmp)
{
    const long wo = g->wo, sw = g->sw;
    const long ioff = i * g->dh - g->ph, off = j * g->dw - g->pw;
    const long rlo = conv_min(conv_max(conv_lo(ioff, g->sh, g->ho), oh0), oh1);
    const long rhi = conv_max(conv_min(conv_hi(ioff, g->sh, g->h, g->ho, 0), oh1), rlo);
    const long lo = conv_lo(off, sw, wo), hi = conv_hi(off, sw, g->w, wo, lo);
    GT *restrict dst = tmp;
    for (long q = 0; q < (rlo - oh0) * wo; q++) dst[q] = 0;
    dst += (rlo - oh0) * wo;
    const GT *src = x + (ch * g->h + rlo * g->sh + ioff) * g->w + off;
    for (long oh = rlo; oh < rhi; oh++) {
        for (long ow = 0; ow < lo; ow++) dst[ow] = 0;
        if (sw == 1 && FASTNN_HAVE_VECTORS && hi - lo >= GVLEN) {
            /* whole vectors, the last one ending at hi (overlapping the one
             * before): GCC's own loop ends a short run in half vectors and
             * scalars */
            typedef GFN(uvec) VU;
            for (long ow = lo; ow < hi; ow += GVLEN) {
                const long at = ow + GVLEN <= hi ? ow : hi - GVLEN;
                *(VU *)(dst + at) = *(const VU *)(src + at);
            }
        } else if (sw == 1) {
            for (long ow = lo; ow < hi; ow++) dst[ow] = src[ow];
        } else {
            for (long ow = lo; ow < hi; ow++) dst[ow] = src[ow * sw];
        }
        for (long ow = hi; ow < wo; ow++) dst[ow] = 0;
        dst += wo;
        src += g->sh * g->w;
    }
    for (long q = 0; q < (oh1 - rhi) * wo; q++) dst[q] = 0;
}
