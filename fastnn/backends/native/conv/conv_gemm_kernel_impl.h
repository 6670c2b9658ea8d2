/* One (element type, ISA level) of the packed-GEMM convolution (see
 * conv_gemm_kernel.c). Included by conv_isa_body.h right after
 * gemm_micro_kernel.h with the same GT/GVLEN/GMR/GNV/GFN/GATTR, plus
 *   GCKC     the largest k block (the GEMM's KC for this type)
 *   GCOL2IM  col2im for this type (conv_im2col_kernel.c)
 * and uses that level's pack_a, pack_b and micro kernel. */
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

/* Forward A: w (o x k) in GMR-row panels, k cut into even blocks of <= GCKC.
 * The GEMM's pack_a reads one row at a time and stores GMR apart; here the
 * GMR rows of a panel are read side by side so each k step is one
 * contiguous store of GMR values (a tenth of a batch-1 32->64 forward
 * before). */
GATTR void GFN(cg_pack_w)(const GT *w, long o, long k, GT *wp)
{
    const long kc = cg_kc(k, GCKC), mpan = (o + GMR - 1) / GMR;
    for (long pc = 0; pc < k; pc += kc) {
        const long kcur = conv_min(kc, k - pc);
        for (long r = 0; r < mpan; r++) {
            GT *restrict dst = wp + pc * mpan * GMR + r * kcur * GMR;
            const GT *src = w + r * GMR * k + pc;
            if ((r + 1) * GMR <= o) {
                for (long p = 0; p < kcur; p++) {
                    FASTNN_UNROLL
                    for (int i = 0; i < GMR; i++) dst[p * GMR + i] = src[i * k + p];
                }
            } else {
                const long rows = o - r * GMR;
                for (long p = 0; p < kcur; p++)
                    for (int i = 0; i < GMR; i++)
                        dst[p * GMR + i] = i < rows ? src[i * k + p] : (GT)0;
            }
        }
    }
}

/* Input-gradient A: w^T (k x o) in GMR-row panels, o cut into blocks. */
GATTR void GFN(cg_pack_wt)(const GT *w, long o, long k, GT *wtp)
{
    const long kc = cg_kc(o, GCKC), mpan = (k + GMR - 1) / GMR;
    for (long pc = 0; pc < o; pc += kc) {
        long kcur = conv_min(kc, o - pc);
        GFN(pack_a)(1, k, kcur, w + pc * k, k, wtp + pc * mpan * GMR, 0, mpan);
    }
}

/* y = w @ im2col(x) (+ bias), chunk output rows at a time. im2col writes
 * straight into the packed B panels (through one L1 row), and the micro-kernel
 * stores into y with row stride ho*wo: no column matrix, no packing pass, no
 * copy of the result. */
GATTR void GFN(cg_forward)(const GT *x, const GT *wp, const GT *bias, GT *y, long o,
                                  const fastnn_conv_geo *g, long chunk, GT *scratch,
                                  const fastnn_flag_t *stop)
{
    const long k = g->c * g->kh * g->kw, p = g->ho * g->wo, wo = g->wo;
    const long kc = cg_kc(k, GCKC), mpan = (o + GMR - 1) / GMR;
    GT *tmp = (GT *)cg_align(scratch);
    GT *bp = tmp + cg_up(cg_up(chunk * wo, 32), 16);
    for (long oh0 = 0; oh0 < g->ho; oh0 += chunk) {
        if (fastnn_stopped(stop)) return;   /* Ctrl-C: outputs unspecified */
        const long oh1 = conv_min(oh0 + chunk, g->ho), ncols = (oh1 - oh0) * wo;
        const long npan = (ncols + CNR - 1) / CNR;
        for (long q = ncols; q < npan * CNR; q++) tmp[q] = 0;
        long kk = 0;
        for (long ch = 0; ch < g->c; ch++)
            for (long i = 0; i < g->kh; i++)
                for (long j = 0; j < g->kw; j++, kk++) {
                    GFN(cg_row)(x, g, ch, i, j, oh0, oh1, tmp);
                    const long pc = kk / kc * kc, kcur = conv_min(kc, k - pc);
                    GT *restrict dst = bp + pc * npan * CNR + (kk - pc) * CNR;
                    /* constant-size copies: whole vectors, no call */
                    for (long q = 0; q < npan; q++)
                        memcpy(dst + q * kcur * CNR, tmp + q * CNR, CNR * sizeof(GT));
                }
        GT *yc = y + oh0 * wo;
        for (long pc = 0; pc < k; pc += kc) {
            const long kcur = conv_min(kc, k - pc);
            GFN(cg_gemm)(kcur, wp + pc * mpan * GMR, bp + pc * npan * CNR, yc, p, o, ncols,
                         pc != 0, bias);
        }
    }
}

/* One sample's backward, chunk output rows at a time:
 *   dwt (k x o) += im2col(x) @ dy^T: im2col rows written straight into the
 *     packed A panels (k = the chunk's pixels), dy^T packed by pack_b;
 *   dx = col2im(w^T @ dy): dy packed as B straight from the sample (no copy),
 *     the column gradient in L2-sized scratch, then scattered. */
GATTR void GFN(cg_backward)(const GT *dy, const GT *x, const GT *wtp, GT *dx, GT *dwt,
                                   long o, const fastnn_conv_geo *g, long chunk, GT *scratch,
                                   const fastnn_flag_t *stop)
{
    const long k = g->c * g->kh * g->kw, p = g->ho * g->wo, wo = g->wo;
    const long cc = chunk * wo, kmp = (k + GMR - 1) / GMR, onp = (o + CNR - 1) / CNR;
    const long kco = cg_kc(o, GCKC);
    GT *tmp = (GT *)cg_align(scratch);
    GT *awg = tmp + cg_up(cg_up(cc, 32), 16);
    GT *bwg = awg + cg_up(cg_up(k, 12) * cc, 16);
    GT *bdg = bwg + cg_up(cg_up(o, 32) * cc, 16);
    GT *dcols = bdg + cg_up(o * cg_up(cc, 32), 16);
    memset(dx, 0, (size_t)g->c * g->h * g->w * sizeof(GT));
    for (long oh0 = 0; oh0 < g->ho; oh0 += chunk) {
        if (fastnn_stopped(stop)) return;   /* Ctrl-C: outputs unspecified */
        const long oh1 = conv_min(oh0 + chunk, g->ho), ncols = (oh1 - oh0) * wo;
        const long npan = (ncols + CNR - 1) / CNR;
        const GT *dyc = dy + oh0 * wo;
        /* weight gradient */
        if (k % GMR) {
            GT *last = awg + (kmp - 1) * ncols * GMR;
            for (long l = 0; l < ncols; l++)
                for (long e = k % GMR; e < GMR; e++) last[l * GMR + e] = 0;
        }
        long kk = 0;
        for (long ch = 0; ch < g->c; ch++)
            for (long i = 0; i < g->kh; i++)
                for (long j = 0; j < g->kw; j++, kk++) {
                    GFN(cg_row)(x, g, ch, i, j, oh0, oh1, tmp);
                    GT *restrict dst = awg + (kk / GMR) * ncols * GMR + kk % GMR;
                    for (long l = 0; l < ncols; l++) dst[l * GMR] = tmp[l];
                }
        GFN(pack_b)(1, ncols, o, dyc, p, bwg, 0, onp);
        GFN(cg_gemm)(ncols, awg, bwg, dwt, o, k, o, 1, NULL);
        /* input gradient */
        for (long pc = 0; pc < o; pc += kco) {
            const long kcur = conv_min(kco, o - pc);
            GFN(pack_b)(0, kcur, ncols, dyc + pc * p, p, bdg + pc * npan * CNR, 0, npan);
        }
        for (long pc = 0; pc < o; pc += kco) {
            const long kcur = conv_min(kco, o - pc);
            GFN(cg_gemm)(kcur, wtp + pc * kmp * GMR, bdg + pc * npan * CNR, dcols, ncols, k,
                         ncols, pc != 0, NULL);
        }
        GCOL2IM(dcols, dx, g, ncols, oh0, oh1);
    }
}

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
        default:  /* unreachable: _conv.pyx rejects k > FASTNN_CG_SMALL_K */
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
#undef CNR
