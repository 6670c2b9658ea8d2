/* Convolution as packed GEMM with im2col fused into the packing, one sample
 * (groups = 1, not pointwise) at a time; see conv_gemm_kernel.c.
 * Reference: fastnn/backends/numpy_ref/conv.py. */
#ifndef FASTNN_CONV_GEMM_KERNEL_H
#define FASTNN_CONV_GEMM_KERNEL_H

#include "common/interrupt.h"
#include "conv_im2col_kernel.h"

/* Element counts of the buffers the caller provides (slack for 64-byte
 * alignment included): packed weights, and per-thread scratch for output
 * rows chunks of `chunk` rows (enough for the small-k kernels of
 * conv_small_kernel.h too); the same for float and double. */
long fastnn_cg_wpack_size(long o, long k);
long fastnn_cg_scratch_size(long o, const fastnn_conv_geo *g, long chunk);

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

#endif
