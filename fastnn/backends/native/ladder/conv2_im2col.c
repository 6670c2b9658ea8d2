/* Convolution ladder, rung 2 (ladder.h): im2col + GEMM.
 *
 * Rung 1's dot products are the rows of a matrix product in disguise. Copy,
 * for one image, every input patch the filter visits into a column of a
 * (C*KH*KW) x (OH*OW) matrix ("image to columns"); then the whole layer is
 *
 *   y[n] (O x OH*OW) = w (O x C*KH*KW) @ cols (C*KH*KW x OH*OW)
 *
 * and runs on the GEMM ladder's rung 4, with its packing and register tiles.
 * The price is memory: cols holds every input number KH*KW times (9x for
 * 3x3), built once per image and read by the GEMM from cache. The copy is
 * O(C*KH*KW*OH*OW), the product O times that: for more than a few output
 * channels the GEMM's speed is the layer's.
 *
 * cols lives in `work`, which the caller keeps from call to call: a fresh
 * buffer of megabytes is new pages from the kernel, and the first touch of
 * each costs a page fault, which here would take as long as the copy.
 */
#include "ladder/ladder.h"

long ladder_conv_im2col_work(long c, long h, long w, long kh, long kw)
{
    return c * kh * kw * (h - kh + 1) * (w - kw + 1);
}

int ladder_conv_im2col(int isa, long n, long c, long h, long w, long o, long kh, long kw,
                       const float *x, const float *wt, float *y, float *work)
{
    const long oh = h - kh + 1, ow = w - kw + 1, rows = c * kh * kw, cols = oh * ow;
    float *buf = work;
    for (long b = 0; b < n; b++) {
        const float *xb = x + b * c * h * w;
        /* row (ch, ky, kx) of cols: the input plane ch shifted by (ky, kx) */
        for (long ch = 0; ch < c; ch++)
            for (long ky = 0; ky < kh; ky++)
                for (long kx = 0; kx < kw; kx++) {
                    float *dst = buf + ((ch * kh + ky) * kw + kx) * cols;
                    for (long i = 0; i < oh; i++)
                        for (long j = 0; j < ow; j++)
                            dst[i * ow + j] = xb[(ch * h + i + ky) * w + j + kx];
                }
        if (ladder_packed(isa, o, cols, rows, wt, buf, y + b * o * cols) != 0) return -1;
    }
    return 0;
}
