/* Convolution as packed GEMM with im2col fused into the packing, one sample
 * (groups = 1, not pointwise) at a time; see conv_gemm_kernel.c.
 * Reference: fastnn/backends/numpy_ref/conv.py. */
#ifndef FASTNN_CONV_GEMM_KERNEL_H
#define FASTNN_CONV_GEMM_KERNEL_H

#include "common/interrupt.h"
#include "conv_im2col_kernel.h"

/* Element counts of the buffers the caller provides (slack for 64-byte
 * alignment included): packed weights, and per-thread scratch for output
 * rows chunks of `chunk` rows; the same for float and double. */
long fastnn_cg_wpack_size(long o, long k);
long fastnn_cg_scratch_size(long o, const fastnn_conv_geo *g, long chunk);

/* The largest k = C*kH*kW the unpacked small-k kernels below take (one
 * specialised loop per k; _conv.pyx exports it as SMALL_K and rejects more). */
#define FASTNN_CG_SMALL_K 12

/* Every function below takes v, the ISA level (common/isa.h) whose build runs:
 * fastnn_isa(), read once per convolution, since the packed weights have that
 * level's layout and every call of one convolution must pass the same v. */

/* wp = w (o x k) packed as the forward's A operand; wtp = w^T (k x o) packed
 * as the input gradient's A operand. */
void fastnn_cg_pack_w_f(int v, const float *w, long o, long k, float *wp);
void fastnn_cg_pack_w_d(int v, const double *w, long o, long k, double *wp);
void fastnn_cg_pack_wt_f(int v, const float *w, long o, long k, float *wtp);
void fastnn_cg_pack_wt_d(int v, const double *w, long o, long k, double *wtp);

/* y (o x ho*wo) = w @ im2col(x) (+ bias[r] on row r when bias != NULL), for
 * one sample x (c x h x w). Every function below polls *stop
 * (common/interrupt.h) once per chunk of output rows and returns early,
 * outputs unspecified, when it is set. */
void fastnn_cg_forward_f(int v, const float *x, const float *wp, const float *bias, float *y, long o,
                         const fastnn_conv_geo *g, long chunk, float *scratch,
                         const fastnn_flag_t *stop);
void fastnn_cg_forward_d(int v, const double *x, const double *wp, const double *bias, double *y,
                         long o, const fastnn_conv_geo *g, long chunk, double *scratch,
                         const fastnn_flag_t *stop);

/* One sample: dwt (k x o, the transposed weight gradient) += im2col(x) @ dy^T
 * and dx (c x h x w, overwritten) = col2im(w^T @ dy). */
void fastnn_cg_backward_f(int v, const float *dy, const float *x, const float *wtp, float *dx,
                          float *dwt, long o, const fastnn_conv_geo *g, long chunk,
                          float *scratch, const fastnn_flag_t *stop);
void fastnn_cg_backward_d(int v, const double *dy, const double *x, const double *wtp, double *dx,
                          double *dwt, long o, const fastnn_conv_geo *g, long chunk,
                          double *scratch, const fastnn_flag_t *stop);

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
