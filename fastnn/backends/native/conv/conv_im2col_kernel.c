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

#include "common/cpu_dispatch.h"

#include "common/range.h"

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
