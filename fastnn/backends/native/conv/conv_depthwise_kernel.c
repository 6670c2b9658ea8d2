/* Depthwise convolution (groups == input channels, one input channel per
 * filter), one plane at a time: forward, input gradient, weight gradient.
 *
 * Direct loops, no im2col/GEMM: with one input channel per group the GEMM
 * would have K = kH*kW (9), all packing overhead. Each tap (i, j) is one pass
 * of  out_row[ow] += k[i, j] * in_row[ow*sw + off]  over the rows of the
 * plane (which stays in L1); the columns [lo, hi) whose input lies inside the
 * unpadded row are worked out once per tap, so the inner loop has no branch.
 * restrict pointers and a build per ISA level (common/isa.h: AVX-512, AVX2,
 * generic) let the compiler vectorise that loop with the widest registers.
 * The caller (_conv_depthwise.pxi) parallelises over planes / output channels.
 * Reference: fastnn/backends/numpy_ref/conv.py.
 */
#include <string.h>
#include "conv_depthwise_kernel.h"

#include "common/isa.h"
#include "common/range.h"

#define FASTNN_ISA_BODY "conv/conv_depthwise_kernel_impl.h"
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
#define DW_API(SUF, T)                                                                    \
void fastnn_dw_forward_##SUF(const T *x, const T *k, T *y, const fastnn_dw_geo *g)       \
{                                                                                        \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_dw_forward_##SUF, (x, k, y, g));                \
}                                                                                        \
void fastnn_dw_backward_input_##SUF(const T *dy, const T *k, T *dx, const fastnn_dw_geo *g) \
{                                                                                        \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_dw_backward_input_##SUF, (dy, k, dx, g));       \
}                                                                                        \
void fastnn_dw_backward_weight_##SUF(const T *dy, const T *x, T *acc,                    \
                                     const fastnn_dw_geo *g)                             \
{                                                                                        \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_dw_backward_weight_##SUF, (dy, x, acc, g));     \
}                                                                                        \
void fastnn_dw_reduce_##SUF(const T *acc, T *dk, const fastnn_dw_geo *g)                 \
{                                                                                        \
    FASTNN_ISA_CALL(fastnn_isa(), fastnn_dw_reduce_##SUF, (acc, dk, g));                 \
}

DW_API(f, float)
DW_API(d, double)
