/* The body of conv_im2col_kernel.c for one element type T and ISA level:
 * included through common/isa_each.h, FN(name) names this build's functions. */

/* cols[(c*kh + i)*kw + j, (oh - oh0)*wo + ow] = xpad[c, oh*sh + i*dh, ow*sw + j*dw]
 * for output rows oh0 <= oh < oh1; matrix rows ld apart. */
static FASTNN_TARGET void
FN(im2col)(const T *restrict x, T *restrict cols,
           const fastnn_conv_geo *g, long ld, long oh0, long oh1)
{
    const long wo = g->wo, sw = g->sw;
    T *restrict row = cols;
    for (long ch = 0; ch < g->c; ch++)
        for (long i = 0; i < g->kh; i++) {
            /* output rows whose input row lies inside the image: [rlo, rhi) */
            const long ioff = i * g->dh - g->ph;
            const long rlo = conv_min(conv_max(conv_lo(ioff, g->sh, g->ho), oh0), oh1);
            const long rhi = conv_max(conv_min(conv_hi(ioff, g->sh, g->h, g->ho, 0), oh1), rlo);
            for (long j = 0; j < g->kw; j++) {
                const long off = j * g->dw - g->pw;
                const long lo = conv_lo(off, sw, wo), hi = conv_hi(off, sw, g->w, wo, lo);
                T *restrict dst = row;
                if (rlo > oh0) memset(dst, 0, (size_t)(rlo - oh0) * wo * sizeof(T));
                dst += (rlo - oh0) * wo;
                const T *src = x + (ch * g->h + rlo * g->sh + ioff) * g->w + off;
                for (long oh = rlo; oh < rhi; oh++) {
                    for (long ow = 0; ow < lo; ow++) dst[ow] = 0;
                    if (sw == 1)
                        for (long ow = lo; ow < hi; ow++) dst[ow] = src[ow];
                    else
                        for (long ow = lo; ow < hi; ow++) dst[ow] = src[ow * sw];
                    for (long ow = hi; ow < wo; ow++) dst[ow] = 0;
                    dst += wo;
                    src += g->sh * g->w;
                }
                if (oh1 > rhi) memset(dst, 0, (size_t)(oh1 - rhi) * wo * sizeof(T));
                row += ld;
            }
        }
}

/* dx[c, ih, iw] += the cols entries that im2col copied from (ih, iw), output
 * rows [oh0, oh1). dx is not cleared here (chunks of one sample accumulate). */
static FASTNN_TARGET void
FN(col2im)(const T *restrict cols, T *restrict dx,
           const fastnn_conv_geo *g, long ld, long oh0, long oh1)
{
    const long wo = g->wo, sw = g->sw;
    const T *restrict row = cols;
    for (long ch = 0; ch < g->c; ch++)
        for (long i = 0; i < g->kh; i++) {
            const long ioff = i * g->dh - g->ph;
            const long rlo = conv_min(conv_max(conv_lo(ioff, g->sh, g->ho), oh0), oh1);
            const long rhi = conv_max(conv_min(conv_hi(ioff, g->sh, g->h, g->ho, 0), oh1), rlo);
            for (long j = 0; j < g->kw; j++) {
                const long off = j * g->dw - g->pw;
                const long lo = conv_lo(off, sw, wo), hi = conv_hi(off, sw, g->w, wo, lo);
                const T *restrict src = row + (rlo - oh0) * wo;
                T *dst = dx + (ch * g->h + rlo * g->sh + ioff) * g->w + off;
                for (long oh = rlo; oh < rhi; oh++) {
                    if (sw == 1)
                        for (long ow = lo; ow < hi; ow++) dst[ow] += src[ow];
                    else
                        for (long ow = lo; ow < hi; ow++) dst[ow * sw] += src[ow];
                    src += wo;
                    dst += g->sh * g->w;
                }
                row += ld;
            }
        }
}

/* db[oc] = sum over samples and pixels of dy[s, oc, :] for oc in [o0, o1): the
 * bias gradient. Eight running sums per row so the adds vectorise (a plain
 * reduction would be one serial chain; NumPy's dy.sum(axis=(0, 2, 3)) took
 * 0.3 ms at 64x32x26x26, and a BLAS product with ones woke BLAS's threads on
 * top of the convolution's). */
static FASTNN_TARGET void
FN(conv_bias_grad)(const T *restrict dy, long n, long o, long p,
                   T *restrict db, long o0, long o1)
{
    for (long oc = o0; oc < o1; oc++) {
        T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (long s = 0; s < n; s++) {
            const T *row = dy + (s * o + oc) * p;
            long q = 0;
            for (; q + 8 <= p; q += 8)
                for (int e = 0; e < 8; e++) acc[e] += row[q + e];
            for (; q < p; q++) acc[q & 7] += row[q];
        }
        db[oc] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    }
}

