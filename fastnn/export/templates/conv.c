/* conv.c: Conv1d/Conv2d as im2col + GEMM, fastnn's own algorithm.
 * A Conv1d is a Conv2d of height 1. */

/*@ im2col */
/* Unfold one image x[c][h][w] into col[c*kh*kw][oh*ow]: row (ci, ky, kx) holds,
 * for every output position, the input pixel that kernel tap sees (0 in the
 * padding). The convolution is then one matrix product with the weights. */
static void im2col(const float *x, int c, int h, int w, int kh, int kw,
                   int sh, int sw, int ph, int pw, int dh, int dw,
                   int oh, int ow, float *col)
{
    int ci, ky, kx, oy, ox;
    for (ci = 0; ci < c; ci++)
        for (ky = 0; ky < kh; ky++)
            for (kx = 0; kx < kw; kx++) {
                float *row = col + ((long)(ci * kh + ky) * kw + kx) * oh * ow;
                for (oy = 0; oy < oh; oy++) {
                    int iy = oy * sh - ph + ky * dh;
                    for (ox = 0; ox < ow; ox++) {
                        int ix = ox * sw - pw + kx * dw;
                        int inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                        row[oy * ow + ox] = inside ? x[((long)ci * h + iy) * w + ix] : 0.0f;
                    }
                }
            }
}

/*@ conv2d im2col gemm_nn */
/* x[n][cin][h][w], w[cout][cin/groups][kh][kw], b[cout] (or NULL)
 * -> y[n][cout][oh][ow]; col is scratch of (cin/groups)*kh*kw*oh*ow floats.
 * Each group convolves its slice of input channels into its slice of outputs. */
static void conv2d(const float *x, const float *w, const float *b, float *y, float *col,
                   int n, int cin, int h, int wd, int cout, int groups,
                   int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                   int oh, int ow)
{
    int cg = cin / groups, og = cout / groups, k = cg * kh * kw, npix = oh * ow;
    int i, g, o, p;
    for (i = 0; i < n; i++)
        for (g = 0; g < groups; g++) {
            const float *xg = x + ((long)i * cin + g * cg) * h * wd;
            float *yg = y + ((long)i * cout + g * og) * npix;
            im2col(xg, cg, h, wd, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, col);
            gemm_nn(w + (long)g * og * k, col, yg, og, npix, k);
            if (b)
                for (o = 0; o < og; o++)
                    for (p = 0; p < npix; p++)
                        yg[(long)o * npix + p] += b[g * og + o];
        }
}
