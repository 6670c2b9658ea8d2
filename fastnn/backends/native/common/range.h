/* Index ranges shared by the native convolution kernels (im2col, the packed
 * GEMM path and the depthwise loops): which outputs of a row read inside the
 * input rather than its zero padding, so the inner loops need no bounds tests.
 */
#ifndef FASTNN_CONV_RANGE_H
#define FASTNN_CONV_RANGE_H

static inline long conv_min(long a, long b) { return a < b ? a : b; }
static inline long conv_max(long a, long b) { return a > b ? a : b; }
/* a rounded up to a multiple of b (panel widths, alignment) */
static inline long cg_up(long a, long b) { return (a + b - 1) / b * b; }

/* Outputs o with 0 <= o*s + off < size form [conv_lo, conv_hi), clamped to [0, nout). */
static inline long conv_lo(long off, long s, long nout)
{
    long a = off < 0 ? (-off + s - 1) / s : 0;
    return a < nout ? a : nout;
}

static inline long conv_hi(long off, long s, long size, long nout, long lo)
{
    long b = size - 1 - off >= 0 ? (size - 1 - off) / s + 1 : 0;
    if (b > nout) b = nout;
    return b > lo ? b : lo;
}

#endif
