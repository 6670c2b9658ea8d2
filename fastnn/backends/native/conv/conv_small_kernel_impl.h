/* The small-k convolution (k = C*kH*kW <= FASTNN_CG_SMALL_K = 12, groups 1) for
 * one (element type, ISA level); the dispatch is conv_small_kernel.c. Forward and
 * backward without packing: vector accumulators along the pixels with one
 * specialised loop per k (cg_small_forward, cg_small_wgrad, cg_small_dgrad),
 * and a col2im that sums a row's taps in registers (cg_small_col2im).
 *
 * Included by conv_isa_body.h after conv_tile_impl.h (cg_row), with GCOL2IM,
 * col2im for this type (conv_im2col_kernel.c), for what the vector col2im
 * does not take. Reference: fastnn/backends/numpy_ref/conv.py (_forward,
 * _backward).
 */

/* dx += col2im(cols) for cg_small, output rows [oh0, oh1): conv_im2col_kernel.c's
 * col2im, except that with stride 1 an input row takes its kW taps summed in
 * registers, a vector at a time, before one add into dx. Tap j's row is read
 * shifted by its offset and the lanes outside its run masked to zero
 * (bitwise: garbage read past a run never counts); the row's last vector ends
 * at its end, its lanes that the vector before covered masked too. Adding each
 * tap into dx in turn, the next tap's shifted load met the last one's
 * unaligned stores in flight and could not take their data. A tap row kk is read
 * over [-reach, ncols + reach), reach = (kW - 1) * dW - pW (the largest tap
 * offset): the vector path takes reach <= GVLEN, which stays within the
 * columns before the first gradient row and the row buffer (>= 16 wide)
 * after the last in cg_small's scratch; a larger reach (wide dilation) takes
 * the plain col2im. */
#define CG_C2I_VECS 8   /* dx row vectors with precomputed masks (w <= 8 GVLEN) */
#define CG_C2I_TAPS 4
static GATTR FASTNN_NOINLINE void
GFN(cg_small_col2im)(const GT *cols, GT *restrict dx, const fastnn_conv_geo *g, long ld,
                     long oh0, long oh1)
{
#if FASTNN_HAVE_VECTORS
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    typedef int IV __attribute__((vector_size(GVLEN * sizeof(GT))));
    const int ipl = (int)(sizeof(GT) / sizeof(int));  /* ints per lane */
    const long wo = g->wo, w = g->w, kw = g->kw;
    const long nvec = (w + GVLEN - 1) / GVLEN;
    const long reach = (kw - 1) * g->dw - g->pw;
    if (g->sw != 1 || w < GVLEN || nvec > CG_C2I_VECS || kw > CG_C2I_TAPS || reach > GVLEN) {
        GCOL2IM(cols, dx, g, ld, oh0, oh1);
        return;
    }
    IV mask[CG_C2I_VECS][CG_C2I_TAPS];
    long off[CG_C2I_TAPS];
    for (long j = 0; j < kw; j++) {
        off[j] = j * g->dw - g->pw;
        const long lo = conv_lo(off[j], 1, wo), hi = conv_hi(off[j], 1, w, wo, lo);
        for (long q = 0; q < nvec; q++) {
            const long j0 = q + 1 < nvec ? q * GVLEN : w - GVLEN, start = q * GVLEN;
            for (int e = 0; e < (int)(GVLEN * ipl); e++) {
                const long col = j0 + e / ipl;  /* dx column of this lane */
                mask[q][j][e] = col >= start && col >= lo + off[j] && col < hi + off[j] ? -1 : 0;
            }
        }
    }
    const GT *row = cols;
    for (long ch = 0; ch < g->c; ch++)
        for (long i = 0; i < g->kh; i++, row += kw * ld) {
            const long ioff = i * g->dh - g->ph;
            const long rlo = conv_min(conv_max(conv_lo(ioff, g->sh, g->ho), oh0), oh1);
            const long rhi = conv_max(conv_min(conv_hi(ioff, g->sh, g->h, g->ho, 0), oh1), rlo);
            /* a vector position down all rows, then the next: a row's last
             * vector overlaps the one before, and right after its store the
             * load could not take the data from it either */
            for (long q = 0; q < nvec; q++) {
                const long j0 = q + 1 < nvec ? q * GVLEN : w - GVLEN;
                for (long oh = rlo; oh < rhi; oh++) {
                    GT *dst = dx + (ch * g->h + oh * g->sh + ioff) * w + j0;
                    const GT *src = row + (oh - oh0) * wo + j0;
                    V sum = (V){0};
                    for (long j = 0; j < kw; j++) {
                        const V t = *(const VU *)(src + j * ld - off[j]);
                        sum += (V)((IV)t & mask[q][j]);
                    }
                    *(VU *)dst += sum;
                }
            }
        }
#else
    GCOL2IM(cols, dx, g, ld, oh0, oh1);
#endif
}
#undef CG_C2I_VECS
#undef CG_C2I_TAPS

/* Small k (= C*kH*kW <= FASTNN_CG_SMALL_K, e.g. a first layer on one input channel):
 * the products are too thin to pay for packing -- the weight gradient's
 * operands both run along pixels, so packing either transposes it, and that
 * cost more than the multiply-adds. Here both products read dy in place:
 *   dwt[kk][oc] += sum_p cols[kk][p] * dy[oc][p]: two output channels at a
 *     time, 2k vector accumulators along the pixels, summed across lanes
 *     once per chunk;
 *   dcols[kk][p] = sum_oc w[oc][kk] * dy[oc][p]: k accumulators per pixel
 *     vector, one broadcast multiply-add per (oc, kk).
 * KK is a compile-time k (see cg_small's switch) so the accumulators stay in
 * registers. */
#define CG_SMALL_K FASTNN_CG_SMALL_K

/* Pixel vectors per step in cg_small_dgrad and cg_small_forward: each weight
 * broadcast (a load) then feeds NV multiply-adds. Three where 3k accumulators
 * fit beside their operands (32 vector registers), else two. */
#define CG_SMALL_NV(KK) (GREGS >= 32 && (KK) <= 9 ? 3 : 2)

/* CG_KEEP(v): v stays in a register. Without it GCC folded each column load
 * into both of its multiply-adds, loading it twice, and the vector loads, not
 * the multiply-adds, set these loops' pace. */
#if FASTNN_X86_VARIANTS && FASTNN_HAVE_VECTORS
#define CG_KEEP(v) __asm__("" : "+v"(v))
#else
#define CG_KEEP(v) (void)0
#endif

/* dwv[(kk * o + oc) * CG_LANES + lane] += the accumulators' lanes: summing
 * across lanes per sample is a serial chain of 16 adds per accumulator; the
 * caller sums the lanes once at the end. */
#define CG_LANES 16

/* The columns of pixel vector v, rows kk = 0..k-1, sit side by side at
 * cols + (v * k + kk) * GVLEN ("interleaved"), the last vector zero-padded:
 * one pointer with constant offsets reaches all k. With k rows a row stride
 * apart GCC kept k pointers, spilled them, and reloaded them every step. */
#define CG_IL(v, kk, KK) (((v) * (KK) + (kk)) * GVLEN)

static inline FASTNN_ALWAYS_INLINE void
GFN(cg_small_wgrad)(const GT *dy, long ldy, const GT *cols, long ncols, long o, GT *dwv,
                    GT *dbv, const int KK)
{
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    const long nv = ncols / GVLEN, rest = ncols - nv * GVLEN;
    for (long oc = 0; oc < o; oc += 2) {
        const int two = oc + 1 < o;
        const GT *d0 = dy + oc * ldy, *d1 = two ? d0 + ldy : d0;
        V a0[CG_SMALL_K], a1[CG_SMALL_K], b0 = {0}, b1 = {0};
        FASTNN_UNROLL
        for (int kk = 0; kk < KK; kk++) a0[kk] = a1[kk] = b0;
        for (long v = 0; v <= nv; v++) {
            V y0, y1;
            if (v < nv) {
                y0 = *(const VU *)(d0 + v * GVLEN);
                y1 = *(const VU *)(d1 + v * GVLEN);
            } else if (rest > 0) {  /* dy zero-padded; the columns are zero past ncols */
                GT t0[GVLEN] = {0}, t1[GVLEN] = {0};
                for (long i = 0; i < rest; i++) {
                    t0[i] = d0[v * GVLEN + i];
                    t1[i] = d1[v * GVLEN + i];
                }
                y0 = *(const VU *)t0;
                y1 = *(const VU *)t1;
            } else {
                break;
            }
            b0 += y0;
            b1 += y1;
            const GT *cv = cols + CG_IL(v, 0, KK);
            FASTNN_UNROLL
            for (int kk = 0; kk < KK; kk++) {
                V c = *(const V *)(cv + kk * GVLEN);
                CG_KEEP(c);
                a0[kk] += c * y0;
                a1[kk] += c * y1;
            }
        }
        if (dbv != NULL) {
            *(VU *)(dbv + oc * CG_LANES) += b0;
            if (two) *(VU *)(dbv + (oc + 1) * CG_LANES) += b1;
        }
        FASTNN_UNROLL
        for (int kk = 0; kk < KK; kk++) {
            GT *w0 = dwv + (kk * o + oc) * CG_LANES;
            *(VU *)w0 += a0[kk];
            if (two) *(VU *)(w0 + CG_LANES) += a1[kk];
        }
    }
}

/* Two pixel vectors at a time in both loops below: with one, each multiply-add
 * needed its own load of the broadcast weight, and the loads, not the
 * multiply-adds, set the pace. */
static inline FASTNN_ALWAYS_INLINE void
GFN(cg_small_dgrad)(const GT *dy, long ldy, const GT *w, long o, GT *dcols, long ncols,
                    long ldc, const int KK)
{
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    const int NV = CG_SMALL_NV(KK);
    const long nv = ncols / GVLEN;
    long v = 0;
    for (; v + NV <= nv; v += NV) {
        V acc[3][CG_SMALL_K];
        FASTNN_UNROLL
        for (int j = 0; j < NV; j++)
            FASTNN_UNROLL
            for (int kk = 0; kk < KK; kk++) acc[j][kk] = (V){0};
        for (long oc = 0; oc < o; oc++) {
            V yv[3];
            FASTNN_UNROLL
            for (int j = 0; j < NV; j++)
                yv[j] = *(const VU *)(dy + oc * ldy + (v + j) * GVLEN);
            FASTNN_UNROLL
            for (int kk = 0; kk < KK; kk++) {
                const GT wk = w[oc * KK + kk];
                FASTNN_UNROLL
                for (int j = 0; j < NV; j++) acc[j][kk] += wk * yv[j];
            }
        }
        FASTNN_UNROLL
        for (int kk = 0; kk < KK; kk++)
            FASTNN_UNROLL
            for (int j = 0; j < NV; j++)
                *(VU *)(dcols + kk * ldc + (v + j) * GVLEN) = acc[j][kk];
    }
    /* the rest: whole vectors, the last one ending at ncols (it may overlap
     * pixels already done, and writes the same values there again) */
    for (long e = v * GVLEN; e < ncols && ncols >= GVLEN; e += GVLEN) {
        const long off = e + GVLEN <= ncols ? e : ncols - GVLEN;
        V acc[CG_SMALL_K];
        FASTNN_UNROLL
        for (int kk = 0; kk < KK; kk++) acc[kk] = (V){0};
        for (long oc = 0; oc < o; oc++) {
            const V y = *(const VU *)(dy + oc * ldy + off);
            FASTNN_UNROLL
            for (int kk = 0; kk < KK; kk++) acc[kk] += w[oc * KK + kk] * y;
        }
        FASTNN_UNROLL
        for (int kk = 0; kk < KK; kk++) *(VU *)(dcols + kk * ldc + off) = acc[kk];
    }
    if (ncols < GVLEN)
        for (long p = 0; p < ncols; p++)
            for (int kk = 0; kk < KK; kk++) {
                GT s = 0;
                for (long oc = 0; oc < o; oc++) s += w[oc * KK + kk] * dy[oc * ldy + p];
                dcols[kk * ldc + p] = s;
            }
}

static inline FASTNN_ALWAYS_INLINE void
GFN(cg_small_forward)(const GT *cols, long ncols, const GT *w, const GT *bias, long o, GT *y,
                      long ldy, const int KK)
{
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    const int NV = CG_SMALL_NV(KK);
    const long nv = ncols / GVLEN, rest = ncols - nv * GVLEN;
    long v = 0;
    for (; v + NV <= nv; v += NV) {
        V c[3][CG_SMALL_K];
        FASTNN_UNROLL
        for (int j = 0; j < NV; j++)
            FASTNN_UNROLL
            for (int kk = 0; kk < KK; kk++) c[j][kk] = *(const V *)(cols + CG_IL(v + j, kk, KK));
        for (long oc = 0; oc < o; oc++) {
            const GT b = bias != NULL ? bias[oc] : (GT)0;
            V acc[3];
            FASTNN_UNROLL
            for (int j = 0; j < NV; j++) acc[j] = (V){0} + b;
            FASTNN_UNROLL
            for (int kk = 0; kk < KK; kk++) {
                const GT wk = w[oc * KK + kk];
                FASTNN_UNROLL
                for (int j = 0; j < NV; j++) acc[j] += wk * c[j][kk];
            }
            FASTNN_UNROLL
            for (int j = 0; j < NV; j++) *(VU *)(y + oc * ldy + (v + j) * GVLEN) = acc[j];
            /* the lines of this channel's next step, for writing: their
             * reads for ownership start a step early instead of stalling the
             * stores. A prefetch past y does not fault. */
            FASTNN_UNROLL
            for (int j = 0; j < NV; j++)
                FASTNN_PREFETCH_W(y + oc * ldy + (v + NV + j) * GVLEN);
        }
    }
    /* the rest one vector at a time, the last one maybe partial */
    for (; v < nv + (rest > 0); v++) {
        V cv[CG_SMALL_K];
        FASTNN_UNROLL
        for (int kk = 0; kk < KK; kk++) cv[kk] = *(const V *)(cols + CG_IL(v, kk, KK));
        for (long oc = 0; oc < o; oc++) {
            V acc = (V){0} + (bias != NULL ? bias[oc] : (GT)0);
            FASTNN_UNROLL
            for (int kk = 0; kk < KK; kk++) acc += w[oc * KK + kk] * cv[kk];
            GT *dst = y + oc * ldy + v * GVLEN;
            if (v < nv) {
                *(VU *)dst = acc;
            } else {
                GT t[GVLEN];
                *(VU *)t = acc;
                for (long i = 0; i < rest; i++) dst[i] = t[i];
            }
        }
    }
}

/* The small-k paths, chunk output rows at a time: the im2col rows of the
 * chunk, then either (forward) y = w @ cols + bias, with the k column vectors
 * of a pixel vector in registers while every output channel is one broadcast
 * multiply-add per weight and one store -- no packing, no 12-row tiles over
 * 32 channels; or (backward, dy != NULL) the weight gradient's lanes into dwv
 * (k x o x CG_LANES), the bias gradient's into dbv (o x CG_LANES) when not
 * NULL, and dx = col2im(w^T @ dy). w is unpacked (o x k). */
GATTR void GFN(cg_small)(const GT *x, const GT *w, const GT *bias, GT *y, const GT *dy,
                                GT *dx, GT *dwv, GT *dbv, long o, const fastnn_conv_geo *g,
                                long chunk, GT *scratch, const fastnn_flag_t *stop)
{
    const long k = g->c * g->kh * g->kw, p = g->ho * g->wo, wo = g->wo;
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    GT *cols = (GT *)cg_align(scratch);          /* interleaved (CG_IL) */
    GT *dcols = cols + k * cg_up(chunk * wo, 16); /* row kk at dcols + kk * ldc */
    GT *row = dcols + k * cg_up(chunk * wo, 16);
    if (dy != NULL) memset(dx, 0, (size_t)g->c * g->h * g->w * sizeof(GT));
    for (long oh0 = 0; oh0 < g->ho; oh0 += chunk) {
        if (fastnn_stopped(stop)) return;   /* Ctrl-C: outputs unspecified */
        const long oh1 = conv_min(oh0 + chunk, g->ho), ncols = (oh1 - oh0) * wo;
        const long ldc = cg_up(ncols, 16);  /* whole cache lines: no split loads */
        const long nvp = (ncols + GVLEN - 1) / GVLEN;
        for (long q = ncols; q < nvp * GVLEN; q++) row[q] = 0;
        long kk = 0;
        for (long ch = 0; ch < g->c; ch++)
            for (long i = 0; i < g->kh; i++)
                for (long j = 0; j < g->kw; j++, kk++) {
                    GFN(cg_row)(x, g, ch, i, j, oh0, oh1, row);
                    for (long v = 0; v < nvp; v++)
                        *(V *)(cols + CG_IL(v, kk, k)) = *(const VU *)(row + v * GVLEN);
                }
#if FASTNN_CG_SMALL_K != 12
#error "cg_small has one case per k = 1..12: keep it and FASTNN_CG_SMALL_K in step"
#endif
        switch (k) {
#define CG_SMALL_CASE(KC)                                                                \
        case KC:                                                                         \
            if (dy == NULL) {                                                            \
                GFN(cg_small_forward)(cols, ncols, w, bias, o, y + oh0 * wo, p, KC);     \
            } else {                                                                     \
                GFN(cg_small_wgrad)(dy + oh0 * wo, p, cols, ncols, o, dwv, dbv, KC);     \
                GFN(cg_small_dgrad)(dy + oh0 * wo, p, w, o, dcols, ncols, ldc, KC);      \
            }                                                                            \
            break;
        CG_SMALL_CASE(1) CG_SMALL_CASE(2) CG_SMALL_CASE(3) CG_SMALL_CASE(4)
        CG_SMALL_CASE(5) CG_SMALL_CASE(6) CG_SMALL_CASE(7) CG_SMALL_CASE(8)
        CG_SMALL_CASE(9) CG_SMALL_CASE(10) CG_SMALL_CASE(11) CG_SMALL_CASE(12)
#undef CG_SMALL_CASE
        default:  /* unreachable: _conv_small.pxi rejects k > FASTNN_CG_SMALL_K */
            return;
        }
        if (dy != NULL) GFN(cg_small_col2im)(dcols, dx, g, ldc, oh0, oh1);
    }
}

#undef CG_SMALL_K
#undef CG_IL
#undef CG_SMALL_NV
#undef CG_KEEP
#undef CG_LANES
