/* Depthwise convolution (groups == input channels, one input channel per
 * filter), one plane at a time: forward, input gradient, weight gradient.
 *
 * Direct loops, no im2col/GEMM: with one input channel per group the GEMM
 * would have K = kH*kW (9), all packing overhead. Each tap (i, j) is one pass
 * of  out_row[ow] += k[i, j] * in_row[ow*sw + off]  over the rows of the
 * plane (which stays in L1); the columns [lo, hi) whose input lies inside the
 * unpadded row are worked out once per tap, so the inner loop has no branch.
 * restrict pointers and per-CPU clones (GCC target_clones: AVX-512, AVX2,
 * baseline) let the compiler vectorise that loop with the widest registers.
 * The caller (_conv.pyx) parallelises over planes / output channels.
 * Reference: fastnn/backends/numpy_ref/conv.py.
 */
#include <string.h>
#include "conv_depthwise_kernel.h"

#include "common/cpu_dispatch.h"

#include "common/range.h"

#define T float
#define SUF f
#include "conv_depthwise_kernel_impl.h"
#undef T
#undef SUF
#define T double
#define SUF d
#include "conv_depthwise_kernel_impl.h"
#undef T
#undef SUF
