/* Convolution for k = C*kH*kW <= FASTNN_CG_SMALL_K (groups = 1): the public
 * entry points, each calling the build of the ISA level the caller passes (v,
 * from fastnn_isa()). The kernels themselves are conv_small_kernel_impl.h,
 * built once per level in conv_isa_<level>.c (see conv_isa.h); their scratch
 * is sized by fastnn_cg_scratch_size (conv_gemm_kernel.c).
 * Reference: fastnn/backends/numpy_ref/conv.py.
 */
#include <stddef.h>

#include "conv_small_kernel.h"
#include "conv_isa.h"

#define CG_SMALL_API(SUF, T)                                                             \
void fastnn_cg_forward_small_##SUF(int v, const T *x, const T *w, const T *bias, T *y,  \
                                   long o, const fastnn_conv_geo *g, long chunk,         \
                                   T *scratch, const fastnn_flag_t *stop)                \
{                                                                                        \
    FASTNN_ISA_CALL(v, fastnn_cg_small_##SUF,                                            \
                    (x, w, bias, y, NULL, NULL, NULL, NULL, o, g, chunk, scratch, stop)); \
}                                                                                        \
void fastnn_cg_backward_small_##SUF(int v, const T *dy, const T *x, const T *w, T *dx,  \
                                    T *dwv, T *dbv, long o, const fastnn_conv_geo *g,    \
                                    long chunk, T *scratch, const fastnn_flag_t *stop)   \
{                                                                                        \
    FASTNN_ISA_CALL(v, fastnn_cg_small_##SUF,                                            \
                    (x, w, NULL, NULL, dy, dx, dwv, dbv, o, g, chunk, scratch, stop));   \
}

CG_SMALL_API(f, float)
CG_SMALL_API(d, double)
