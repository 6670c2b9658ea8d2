/* The body of conv_depthwise_kernel.c for one element type T and ISA level:
 * included through common/isa_each.h, FN(name) names this build's functions. */

/* y = sum over taps (i, j) of k[i, j] * (x shifted by the tap): one pass over
 * the output plane per tap, the plane staying in L1. */
static FASTNN_TARGET void
FN(dw_forward)(const T *restrict x, const T *restrict k, T *restrict y,
               const fastnn_dw_geo *g)
{
    const long wo = g->wo;
    memset(y, 0, (size_t)g->ho * wo * sizeof(T));
    for (long i = 0; i < g->kh; i++)
        for (long j = 0; j < g->kw; j++) {
            const T kij = k[i * g->kw + j];
            const long off = j * g->dw - g->pw;
            const long lo = conv_lo(off, g->sw, wo), hi = conv_hi(off, g->sw, g->w, wo, lo);
            for (long oh = 0; oh < g->ho; oh++) {
                const long ih = oh * g->sh + i * g->dh - g->ph;
                if (ih < 0 || ih >= g->h) continue;
                const T *restrict src = x + ih * g->w + off;
                T *restrict dst = y + oh * wo;
                if (g->sw == 1)
                    for (long ow = lo; ow < hi; ow++) dst[ow] += kij * src[ow];
                else
                    for (long ow = lo; ow < hi; ow++) dst[ow] += kij * src[ow * g->sw];
            }
        }
}

/* dx += the transposed scatter of one dy plane (dx zeroed by the caller, which
 * calls this once per output channel fed by the input channel). */
static FASTNN_TARGET void
FN(dw_backward_input)(const T *restrict dy, const T *restrict k,
                      T *restrict dx, const fastnn_dw_geo *g)
{
    const long wo = g->wo;
    for (long i = 0; i < g->kh; i++)
        for (long j = 0; j < g->kw; j++) {
            const T kij = k[i * g->kw + j];
            const long off = j * g->dw - g->pw;
            const long lo = conv_lo(off, g->sw, wo), hi = conv_hi(off, g->sw, g->w, wo, lo);
            for (long oh = 0; oh < g->ho; oh++) {
                const long ih = oh * g->sh + i * g->dh - g->ph;
                if (ih < 0 || ih >= g->h) continue;
                const T *restrict src = dy + oh * wo;
                T *restrict dst = dx + ih * g->w + off;
                if (g->sw == 1)
                    for (long ow = lo; ow < hi; ow++) dst[ow] += kij * src[ow];
                else
                    for (long ow = lo; ow < hi; ow++) dst[ow * g->sw] += kij * src[ow];
            }
        }
}

/* acc[tap, ow] += dy[oh, ow] * x[shifted] over the rows of one plane pair.
 * Summing per output column and reducing once at the end (fastnn_dw_reduce)
 * keeps the inner loop elementwise, so it vectorises without reassociating a
 * dot product (no -ffast-math). acc is kh*kw*wo, zeroed by the caller. */
static FASTNN_TARGET void
FN(dw_backward_weight)(const T *restrict dy, const T *restrict x,
                       T *restrict acc, const fastnn_dw_geo *g)
{
    const long wo = g->wo;
    for (long i = 0; i < g->kh; i++)
        for (long j = 0; j < g->kw; j++) {
            const long off = j * g->dw - g->pw;
            const long lo = conv_lo(off, g->sw, wo), hi = conv_hi(off, g->sw, g->w, wo, lo);
            T *restrict a = acc + (i * g->kw + j) * wo;
            for (long oh = 0; oh < g->ho; oh++) {
                const long ih = oh * g->sh + i * g->dh - g->ph;
                if (ih < 0 || ih >= g->h) continue;
                const T *restrict src = x + ih * g->w + off;
                const T *restrict d = dy + oh * wo;
                if (g->sw == 1)
                    for (long ow = lo; ow < hi; ow++) a[ow] += d[ow] * src[ow];
                else
                    for (long ow = lo; ow < hi; ow++) a[ow] += d[ow] * src[ow * g->sw];
            }
        }
}

static FASTNN_TARGET void
FN(dw_reduce)(const T *acc, T *dk, const fastnn_dw_geo *g)
{
    for (long t = 0; t < g->kh * g->kw; t++) {
        T s = 0;
        for (long ow = 0; ow < g->wo; ow++) s += acc[t * g->wo + ow];
        dk[t] = s;
    }
}

