/* int8.c: post-training int8 Linear and Conv. Weights are int8 with one scale
 * per output channel (w ~ wq * w_scale[o]); the input is quantized on the fly
 * with the scale calibrated at export (x ~ xq * x_scale); products accumulate
 * in int32 and one multiply per output brings them back to float:
 *     y[o] = (sum xq * wq) * x_scale * w_scale[o] + b[o]                    */

/*@ quantize */
/* q = clamp(round(x / scale), -127, 127); inv_scale = 1 / scale */
static void quantize(const float *x, signed char *q, long n, float inv_scale)
{
    long i;
    for (i = 0; i < n; i++) {
        float v = x[i] * inv_scale;
        v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
        q[i] = (signed char)(v >= 0.0f ? (int)(v + 0.5f) : -(int)(0.5f - v));
    }
}

/*@ linear_int8 quantize */
/* x[rows][in] float -> y[rows][out]; xq is scratch of rows*in bytes. Four
 * outputs at a time share each load of x (their weight rows read side by
 * side): the same int32 sums, exact while in * 127 * 127 < 2^31
 * (in < 133000), whatever the order. */
static void linear_int8(const float *x, const signed char *w, const float *w_scale,
                        const float *b, float *y, signed char *xq, float x_scale,
                        int rows, int in, int out)
{
    int r, o, k, j;
    quantize(x, xq, (long)rows * in, 1.0f / x_scale);
    for (r = 0; r < rows; r++) {
        const signed char *restrict xr = xq + (long)r * in;
        for (o = 0; o < out; o += 4) {
            const int m = out - o < 4 ? out - o : 4;
            const signed char *restrict w0 = w + (long)o * in;
            const signed char *restrict w1 = m > 1 ? w0 + in : w0;
            const signed char *restrict w2 = m > 2 ? w0 + 2 * (long)in : w0;
            const signed char *restrict w3 = m > 3 ? w0 + 3 * (long)in : w0;
            int32_t acc[4] = {0, 0, 0, 0};
            for (k = 0; k < in; k++) {
                const int xk = xr[k];
                acc[0] += xk * w0[k];
                acc[1] += xk * w1[k];
                acc[2] += xk * w2[k];
                acc[3] += xk * w3[k];
            }
            for (j = 0; j < m; j++)
                y[(long)r * out + o + j] = (float)acc[j] * (x_scale * w_scale[o + j])
                                           + (b ? b[o + j] : 0.0f);
        }
    }
}

/*@ im2col_int8 */
/* im2col (conv.c) on int8 data: the padding is 0, exact in symmetric int8 */
static void im2col_int8(const signed char *x, int c, int h, int w, int kh, int kw,
                        int sh, int sw, int ph, int pw, int dh, int dw,
                        int oh, int ow, signed char *col)
{
    int ci, ky, kx, oy, ox;
    for (ci = 0; ci < c; ci++)
        for (ky = 0; ky < kh; ky++)
            for (kx = 0; kx < kw; kx++) {
                signed char *row = col + ((long)(ci * kh + ky) * kw + kx) * oh * ow;
                for (oy = 0; oy < oh; oy++) {
                    int iy = oy * sh - ph + ky * dh;
                    for (ox = 0; ox < ow; ox++) {
                        int ix = ox * sw - pw + kx * dw;
                        int inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                        row[oy * ow + ox] = inside ? x[((long)ci * h + iy) * w + ix] : 0;
                    }
                }
            }
}

/*@ conv2d_int8 quantize im2col_int8 gemm_nn */
/* conv2d (conv.c) with int8 operands; xq holds the quantized input
 * (n*cin bytes per pixel), col the int8 im2col matrix; scratch: acc
 * og*oh*ow floats, wf og*k, colf k*oh*ow, a32 oh*ow int32.
 * The int8 products are summed exactly: with k*127*127 < 2^24 every partial
 * sum is an integer that float represents exactly, so the weights and the
 * column matrix widened to float and multiplied by the float GEMM (whose
 * register tiles vectorise at -O2, which int8 x int8 -> int32 code does not
 * without intrinsics) give the int32 sums to the bit. Larger k take the
 * int32 loop (restrict: a char pointer may alias anything, and the compiler
 * would otherwise check for overlap before vectorising its inner loop). */
static void conv2d_int8(const float *x, const signed char *w, const float *w_scale,
                        const float *b, float *y, signed char *xq, signed char *col,
                        float *restrict acc, float *restrict wf, float *restrict colf,
                        int32_t *restrict a32, float x_scale,
                        int n, int cin, int h, int wd, int cout, int groups,
                        int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                        int oh, int ow)
{
    int cg = cin / groups, og = cout / groups, k = cg * kh * kw, npix = oh * ow;
    int exact = (long)k * 127 * 127 < (1L << 24);
    int i, g, o, p, q;
    long e;
    quantize(x, xq, (long)n * cin * h * wd, 1.0f / x_scale);
    for (i = 0; i < n; i++)
        for (g = 0; g < groups; g++) {
            const signed char *xg = xq + ((long)i * cin + g * cg) * h * wd;
            im2col_int8(xg, cg, h, wd, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, col);
            if (exact) {
                for (e = 0; e < (long)og * k; e++)
                    wf[e] = (float)w[(long)g * og * k + e];
                for (e = 0; e < (long)k * npix; e++)
                    colf[e] = (float)col[e];
                gemm_nn(wf, colf, acc, og, npix, k);
            } else {
                for (o = 0; o < og; o++) {
                    const signed char *wr = w + ((long)g * og + o) * k;
                    for (p = 0; p < npix; p++)
                        a32[p] = 0;
                    for (q = 0; q < k; q++) {
                        const int wq = wr[q];
                        const signed char *restrict cr = col + (long)q * npix;
                        for (p = 0; p < npix; p++)
                            a32[p] += wq * cr[p];
                    }
                    for (p = 0; p < npix; p++)
                        acc[(long)o * npix + p] = (float)a32[p];
                }
            }
            for (o = 0; o < og; o++) {
                int oc = g * og + o;
                float *yr = y + ((long)i * cout + oc) * npix;
                float s = x_scale * w_scale[oc];
                for (p = 0; p < npix; p++)
                    yr[p] = acc[(long)o * npix + p] * s + (b ? b[oc] : 0.0f);
            }
        }
}

/*@ widen_int8 */
/* f = q as float, n a multiple of 16: a direct int8 convolution's weights,
 * widened once per call so the layer's exact integer sums run on float
 * vectors (direct.c, QUANT). The inner loop's constant 16 lets -O2 vectorise it. */
static void widen_int8(const signed char *restrict q, float *restrict f, long n)
{
    long i;
    int j;
    for (i = 0; i < n; i += 16)
        for (j = 0; j < 16; j++)
            f[i + j] = (float)q[i + j];
}
