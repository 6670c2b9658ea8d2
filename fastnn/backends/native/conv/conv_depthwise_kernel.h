/* Depthwise convolution planes (one input channel per group), see
 * conv_depthwise_kernel.c. Reference: fastnn/backends/numpy_ref/conv.py. */
#ifndef FASTNN_CONV_DEPTHWISE_KERNEL_H
#define FASTNN_CONV_DEPTHWISE_KERNEL_H

/* One plane's geometry: input h x w, kernel kh x kw, output ho x wo, stride,
 * padding and dilation per axis. */
typedef struct {
    long h, w, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw;
} fastnn_dw_geo;

void fastnn_dw_forward_f(const float *x, const float *k, float *y, const fastnn_dw_geo *g);
void fastnn_dw_forward_d(const double *x, const double *k, double *y, const fastnn_dw_geo *g);
void fastnn_dw_backward_input_f(const float *dy, const float *k, float *dx, const fastnn_dw_geo *g);
void fastnn_dw_backward_input_d(const double *dy, const double *k, double *dx,
                                const fastnn_dw_geo *g);
void fastnn_dw_backward_weight_f(const float *dy, const float *x, float *acc,
                                 const fastnn_dw_geo *g);
void fastnn_dw_backward_weight_d(const double *dy, const double *x, double *acc,
                                 const fastnn_dw_geo *g);
void fastnn_dw_reduce_f(const float *acc, float *dk, const fastnn_dw_geo *g);
void fastnn_dw_reduce_d(const double *acc, double *dk, const fastnn_dw_geo *g);

#endif
