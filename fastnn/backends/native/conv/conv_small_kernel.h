/* Convolution for k = C*kH*kW <= FASTNN_CG_SMALL_K (a first layer on few input
 * channels), groups = 1, one sample at a time, without packing: the products
 * are too thin to pay for it; see conv_small_kernel_impl.h for the algorithm.
 * Reference: fastnn/backends/numpy_ref/conv.py. */
#ifndef FASTNN_CONV_SMALL_KERNEL_H
#define FASTNN_CONV_SMALL_KERNEL_H

#include "common/interrupt.h"
#include "conv_im2col_kernel.h"

/* The largest k = C*kH*kW the unpacked small-k kernels below take (one
 * specialised loop per k; _conv_small.pxi exports it as SMALL_K and rejects more). */
#define FASTNN_CG_SMALL_K 12

/* v is the ISA level (common/isa.h) whose build runs, as in conv_gemm_kernel.h;
 * the per-thread scratch is fastnn_cg_scratch_size's (conv_gemm_kernel.h).
 * Both poll *stop once per chunk of output rows and return early, outputs
 * unspecified, when it is set (common/interrupt.h). */

/* The forward for k = C*kH*kW <= FASTNN_CG_SMALL_K, w the plain o x k weights, without
 * packing; the scratch of fastnn_cg_scratch_size is enough. */
void fastnn_cg_forward_small_f(int v, const float *x, const float *w, const float *bias, float *y,
                               long o, const fastnn_conv_geo *g, long chunk, float *scratch,
                               const fastnn_flag_t *stop);
void fastnn_cg_forward_small_d(int v, const double *x, const double *w, const double *bias,
                               double *y, long o, const fastnn_conv_geo *g, long chunk,
                               double *scratch, const fastnn_flag_t *stop);

/* The backward for k = C*kH*kW <= FASTNN_CG_SMALL_K without packing (w is the plain o x k
 * weights), but the weight gradient comes in 16 partial sums: dwv (k x o x 16)
 * += them, and likewise the bias gradient's, dbv (o x 16), when dbv != NULL.
 * The scratch of fastnn_cg_scratch_size is enough. */
void fastnn_cg_backward_small_f(int v, const float *dy, const float *x, const float *w, float *dx,
                                float *dwv, float *dbv, long o, const fastnn_conv_geo *g,
                                long chunk, float *scratch, const fastnn_flag_t *stop);
void fastnn_cg_backward_small_d(int v, const double *dy, const double *x, const double *w,
                                double *dx, double *dwv, double *dbv, long o,
                                const fastnn_conv_geo *g, long chunk, double *scratch,
                                const fastnn_flag_t *stop);

#endif
