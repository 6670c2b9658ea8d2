/* pool.c: max and average pooling over planes x[planes][h][w]
 * (planes = batch * channels), PyTorch's window and divisor rules. */

/*@ max_pool2d */
/* Windows start at oy*sh - ph; taps in the padding are skipped. */
static void max_pool2d(const float *x, float *y, int planes, int h, int w,
                       int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                       int oh, int ow)
{
    int p, oy, ox, ky, kx;
    for (p = 0; p < planes; p++) {
        const float *xp = x + (long)p * h * w;
        for (oy = 0; oy < oh; oy++)
            for (ox = 0; ox < ow; ox++) {
                float best = -HUGE_VALF;
                for (ky = 0; ky < kh; ky++) {
                    int iy = oy * sh - ph + ky * dh;
                    if (iy < 0 || iy >= h)
                        continue;
                    for (kx = 0; kx < kw; kx++) {
                        int ix = ox * sw - pw + kx * dw;
                        if (ix >= 0 && ix < w && (xp[iy * w + ix] > best || xp[iy * w + ix] != xp[iy * w + ix]))
                            best = xp[iy * w + ix];
                    }
                }
                y[((long)p * oh + oy) * ow + ox] = best;
            }
    }
}

/*@ avg_pool2d */
/* The divisor counts the padding when include_pad (PyTorch's default), but
 * never the part of a ceil_mode window past the padded edge. */
static void avg_pool2d(const float *x, float *y, int planes, int h, int w,
                       int kh, int kw, int sh, int sw, int ph, int pw,
                       int oh, int ow, int include_pad)
{
    int p, oy, ox, iy, ix;
    for (p = 0; p < planes; p++) {
        const float *xp = x + (long)p * h * w;
        for (oy = 0; oy < oh; oy++)
            for (ox = 0; ox < ow; ox++) {
                int y0 = oy * sh - ph, x0 = ox * sw - pw;
                int y1 = y0 + kh < h + ph ? y0 + kh : h + ph;
                int x1 = x0 + kw < w + pw ? x0 + kw : w + pw;
                int area = (y1 - y0) * (x1 - x0);
                float sum = 0.0f;
                y0 = y0 < 0 ? 0 : y0;
                x0 = x0 < 0 ? 0 : x0;
                y1 = y1 > h ? h : y1;
                x1 = x1 > w ? w : x1;
                for (iy = y0; iy < y1; iy++)
                    for (ix = x0; ix < x1; ix++)
                        sum += xp[iy * w + ix];
                if (!include_pad)
                    area = (y1 - y0) * (x1 - x0);
                y[((long)p * oh + oy) * ow + ox] = sum / (float)area;
            }
    }
}

/*@ adaptive_pool2d */
/* Output cell (oy, ox) covers rows floor(oy*h/oh) .. ceil((oy+1)*h/oh)-1
 * (and likewise columns): the mean, or the max when take_max. */
static void adaptive_pool2d(const float *x, float *y, int planes, int h, int w,
                            int oh, int ow, int take_max)
{
    int p, oy, ox, iy, ix;
    for (p = 0; p < planes; p++) {
        const float *xp = x + (long)p * h * w;
        for (oy = 0; oy < oh; oy++)
            for (ox = 0; ox < ow; ox++) {
                int y0 = oy * h / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
                int x0 = ox * w / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
                float acc = take_max ? -HUGE_VALF : 0.0f;
                for (iy = y0; iy < y1; iy++)
                    for (ix = x0; ix < x1; ix++) {
                        float v = xp[iy * w + ix];
                        if (!take_max)
                            acc += v;
                        else if (v > acc || v != v)
                            acc = v;
                    }
                y[((long)p * oh + oy) * ow + ox] =
                    take_max ? acc : acc / (float)((y1 - y0) * (x1 - x0));
            }
    }
}
