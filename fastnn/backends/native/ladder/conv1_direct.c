/* Convolution ladder, rung 1 (ladder.h): the formula as loops.
 *
 *   y[n][o][i][j] = sum over c, ky, kx of x[n][c][i + ky][j + kx] * w[o][c][ky][kx]
 *
 * for a "valid" convolution with stride 1 (NCHW input, OIHW weights; padding
 * is a copy into a larger zero array first). Every output is a dot product of
 * C*KH*KW numbers gathered from three strided axes of x: short runs of
 * contiguous memory, a dependent chain of additions, and each input number
 * read again by every output and filter that covers it, from wherever it sits
 * in the memory hierarchy. The same weaknesses as the GEMM ladder's rung 1.
 */
#include "ladder/ladder.h"

void ladder_conv_direct(long n, long c, long h, long w, long o, long kh, long kw,
                        const float *x, const float *wt, float *y)
{
    const long oh = h - kh + 1, ow = w - kw + 1;
    for (long b = 0; b < n; b++)
        for (long f = 0; f < o; f++)
            for (long i = 0; i < oh; i++)
                for (long j = 0; j < ow; j++) {
                    float s = 0.0f;
                    for (long ch = 0; ch < c; ch++)
                        for (long ky = 0; ky < kh; ky++)
                            for (long kx = 0; kx < kw; kx++)
                                s += x[((b * c + ch) * h + i + ky) * w + j + kx]
                                   * wt[((f * c + ch) * kh + ky) * kw + kx];
                    y[((b * o + f) * oh + i) * ow + j] = s;
                }
}
