/* im2col and col2im of one sample (or a run of its output rows) for the
 * GEMM convolution path in _conv.pyx.
 *
 * im2col copies every input window into a column matrix, one matrix row per
 * (channel, kernel row i, kernel column j); col2im scatter-adds such a matrix
 * back onto the input gradient. For each (c, i) the output rows whose input
 * row is inside the image, and for each j the output columns whose input
 * column is inside, are worked out once, so the copy of a row is three
 * branch-free runs (left padding, interior, right padding). restrict pointers
 * and per-CPU clones (GCC target_clones) let the compiler vectorise the runs
 * without run-time alias checks: small images have 11-26 element rows, where
 * the per-row overhead was a quarter of a 32->64 channel 13x13 convolution.
 * Reference: fastnn/backends/numpy_ref/conv.py.
 */
#include <string.h>
#include "conv_im2col_kernel.h"

#include "cpu_dispatch.h"

static inline long ic_min(long a, long b) { return a < b ? a : b; }
static inline long ic_max(long a, long b) { return a > b ? a : b; }

/* Outputs o with 0 <= o*s + off < size form [lo, hi) (clamped to [0, nout)). */
static inline long ic_lo(long off, long s, long nout)
{
    long a = off < 0 ? (-off + s - 1) / s : 0;
    return a < nout ? a : nout;
}

static inline long ic_hi(long off, long s, long size, long nout, long lo)
{
    long b = size - 1 - off >= 0 ? (size - 1 - off) / s + 1 : 0;
    if (b > nout) b = nout;
    return b > lo ? b : lo;
}

#define T float
#define SUF f
#include "conv_im2col_kernel_impl.h"
#undef T
#undef SUF
#define T double
#define SUF d
#include "conv_im2col_kernel_impl.h"
#undef T
#undef SUF
