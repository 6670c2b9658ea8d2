/* conv_transpose.c: ConvTranspose1d/2d as GEMM + col2im, the algorithm of
 * fastnn's reference (fastnn/backends/numpy_ref/conv_transpose.py): the
 * weights' transpose times the input gives, for every input pixel, its
 * contribution through each kernel tap (cols); col2im adds each tap's plane
 * onto the output at stride s, shifted by the tap's offset times the
 * dilation, less the padding. A ConvTranspose1d is a 2d one of height 1. */

/*@ col2im */
/* y[c][oh][ow] += cols[c*kh*kw][h*w]: row (co, ky, kx) holds what input pixel
 * (iy, ix) sends to output (iy*sh - ph + ky*dh, ix*sw - pw + kx*dw); taps
 * that land in the padding (or past the output) are dropped. */
static void col2im(const float *cols, int c, int h, int w, int kh, int kw,
                   int sh, int sw, int ph, int pw, int dh, int dw,
                   int oh, int ow, float *y)
{
    int co, ky, kx, iy, ix;
    for (co = 0; co < c; co++)
        for (ky = 0; ky < kh; ky++)
            for (kx = 0; kx < kw; kx++) {
                const float *row = cols + ((long)(co * kh + ky) * kw + kx) * h * w;
                float *yc = y + (long)co * oh * ow;
                for (iy = 0; iy < h; iy++) {
                    int oy = iy * sh - ph + ky * dh;
                    if (oy < 0 || oy >= oh)
                        continue;
                    for (ix = 0; ix < w; ix++) {
                        int ox = ix * sw - pw + kx * dw;
                        if (ox >= 0 && ox < ow)
                            yc[(long)oy * ow + ox] += row[(long)iy * w + ix];
                    }
                }
            }
}

/*@ conv_transpose2d col2im gemm_nn */
/* x[n][cin][h][w]; wt: per group, the weight (cin/groups, cout/groups, kh, kw)
 * transposed to [cout/groups * kh * kw][cin/groups] by the exporter; b[cout]
 * or NULL -> y[n][cout][oh][ow]. cols is scratch of
 * (cout/groups)*kh*kw*h*w floats. */
static void conv_transpose2d(const float *x, const float *wt, const float *b, float *y,
                             float *cols, int n, int cin, int h, int w, int cout, int groups,
                             int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                             int oh, int ow)
{
    int cg = cin / groups, og = cout / groups, rows = og * kh * kw, npix = oh * ow;
    int i, g, o, p;
    for (i = 0; i < n; i++)
        for (g = 0; g < groups; g++) {
            const float *xg = x + ((long)i * cin + g * cg) * h * w;
            float *yg = y + ((long)i * cout + g * og) * npix;
            for (o = 0; o < og; o++)
                for (p = 0; p < npix; p++)
                    yg[(long)o * npix + p] = b ? b[g * og + o] : 0.0f;
            gemm_nn(wt + (long)g * rows * cg, xg, cols, rows, h * w, cg);
            col2im(cols, og, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, yg);
        }
}
