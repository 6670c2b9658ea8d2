/* im2col and col2im of one sample (or a run of its output rows) for the
 * GEMM convolution path (_conv_gemm.pxi).
 *
 * im2col copies every input window into a column matrix, one matrix row per
 * (channel, kernel row i, kernel column j); col2im scatter-adds such a matrix
 * back onto the input gradient. For each (c, i) the output rows whose input
 * row is inside the image, and for each j the output columns whose input
 * column is inside, are worked out once, so the copy of a row is three
 * branch-free runs (left padding, interior, right padding). restrict pointers
 * and a build per ISA level (common/isa.h) let the compiler vectorise the runs
 * without run-time alias checks: small images have 11-26 element rows, where
 * the per-row overhead was a quarter of a 32->64 channel 13x13 convolution.
 * Reference: fastnn/backends/numpy_ref/conv.py.
 */
#include <string.h>
#include "conv_im2col_kernel.h"

#include "common/isa.h"
#include "common/range.h"

#define FASTNN_ISA_BODY "conv/conv_im2col_kernel_impl.h"
#define T float
#define FN(name) FASTNN_V(fastnn_##name##_f)
#include "common/isa_each.h"
#undef T
#undef FN
#define T double
#define FN(name) FASTNN_V(fastnn_##name##_d)
#include "common/isa_each.h"
#undef T
#undef FN

/* The entry points run the build of the current level. */
#define IM2COL_API(SUF, T)                                                                \
void fastnn_im2col_##SUF(const T *x, T *cols, const fastnn_conv_geo *g, long ld,         \
                         long oh0, long oh1)                                             \
{                                                                                        \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_im2col_##SUF, (x, cols, g, ld, oh0, oh1));      \
}                                                                                        \
void fastnn_col2im_##SUF(const T *cols, T *dx, const fastnn_conv_geo *g, long ld,        \
                         long oh0, long oh1)                                             \
{                                                                                        \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_col2im_##SUF, (cols, dx, g, ld, oh0, oh1));     \
}                                                                                        \
void fastnn_conv_bias_grad_##SUF(const T *dy, long n, long o, long p, T *db, long o0,    \
                                 long o1)                                                \
{                                                                                        \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_conv_bias_grad_##SUF, (dy, n, o, p, db, o0, o1)); \
}

IM2COL_API(f, float)
IM2COL_API(d, double)
