/* Convolution (groups = 1) as a packed GEMM whose packing is the im2col, for
 * one (element type, ISA level); the dispatch and the algorithm's outline are
 * in conv_gemm_kernel.c. Packs the weights as the forward's A operand
 * (cg_pack_w) or their transpose as the input gradient's (cg_pack_wt), and
 * runs one sample forward (cg_forward: im2col rows written straight into the
 * B panels) or backward (cg_backward: weight gradient with im2col as the A
 * panels, input gradient by col2im), chunk output rows at a time.
 *
 * Included by conv_isa_body.h after conv_tile_impl.h (cg_gemm, cg_row, CNR), with
 *   GCKC     the largest k block (the GEMM's KC for this type)
 *   GCOL2IM  col2im for this type (conv_im2col_kernel.c)
 * and uses that level's pack_a and pack_b (gemm_micro_kernel.h).
 * Reference: fastnn/backends/numpy_ref/conv.py (_forward, _backward).
 */

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
