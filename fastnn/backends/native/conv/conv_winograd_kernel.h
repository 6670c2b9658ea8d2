/* 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3); see
 * conv_winograd_kernel.c. Reference: fastnn/backends/numpy_ref/conv.py. */
#ifndef FASTNN_CONV_WINOGRAD_KERNEL_H
#define FASTNN_CONV_WINOGRAD_KERNEL_H

#include "common/interrupt.h"
#include "conv_im2col_kernel.h"

/* Element counts (64-byte alignment slack included) of the 16 packed
 * transformed weight matrices, and of one thread's scratch for blocks of
 * `rows` tile rows (a tile is 2x2 outputs; tw = ceil(wo / 2) tiles a row). */
long fastnn_wg_upack_size(long o, long c);
long fastnn_wg_scratch_size(long o, long c, long tw, long rows, int backward);

/* u (16 x o x c) = G w G^T for w (o x c x 3 x 3), and dw = G^T du G. */
void fastnn_wg_weights_f(const float *w, long o, long c, float *u);
void fastnn_wg_weights_d(const double *w, long o, long c, double *u);
void fastnn_wg_weight_grad_f(const float *du, long o, long c, float *dw);
void fastnn_wg_weight_grad_d(const double *du, long o, long c, double *dw);

/* up = the 16 matrices u[xi] (o x c, row-major, u is 16 x o x c) packed as
 * the forward's A operands, or transposed (c x o) as the input gradient's.
 * v is fastnn_cg_variant(). */
void fastnn_wg_pack_f(int v, const float *u, long o, long c, int transposed, float *up);
void fastnn_wg_pack_d(int v, const double *u, long o, long c, int transposed, double *up);

/* n samples: y (n x o x ho x wo) = conv(x, w) (+ bias[o] when bias != NULL),
 * with up = pack of u = G w G^T. g must be a 3x3, stride 1, dilation 1
 * geometry. Both directions poll *stop (common/interrupt.h) once per block of
 * tile rows and return early, outputs unspecified, when it is set. */
void fastnn_wg_forward_f(int v, const float *x, const float *up, const float *bias, float *y,
                         long n, long o, const fastnn_conv_geo *g, long rows, float *scratch,
                         const fastnn_flag_t *stop);
void fastnn_wg_forward_d(int v, const double *x, const double *up, const double *bias, double *y,
                         long n, long o, const fastnn_conv_geo *g, long rows, double *scratch,
                         const fastnn_flag_t *stop);

/* n samples: dx (n x c x h x w) = the input gradient, overwritten, with upt
 * the transposed pack of u; du (16 x o x c) += the gradient with respect to
 * u, which the caller turns into dw = G^T du G. */
void fastnn_wg_backward_f(int v, const float *dy, const float *x, const float *upt, float *dx,
                          float *du, long n, long o, const fastnn_conv_geo *g, long rows,
                          float *scratch, const fastnn_flag_t *stop);
void fastnn_wg_backward_d(int v, const double *dy, const double *x, const double *upt, double *dx,
                          double *du, long n, long o, const fastnn_conv_geo *g, long rows,
                          double *scratch, const fastnn_flag_t *stop);

#endif
