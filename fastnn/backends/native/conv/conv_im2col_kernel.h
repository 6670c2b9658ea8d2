/* im2col / col2im for the GEMM convolution path, see conv_im2col_kernel.c.
 * Reference: fastnn/backends/numpy_ref/conv.py (_columns, and the col2im loop
 * of conv2d_backward). */
#ifndef FASTNN_CONV_IM2COL_KERNEL_H
#define FASTNN_CONV_IM2COL_KERNEL_H

/* One sample's geometry: c input channels of h x w, kernel kh x kw, stride,
 * padding, dilation per axis, output ho x wo. */
typedef struct {
    long c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo;
} fastnn_conv_geo;

void fastnn_im2col_f(const float *x, float *cols, const fastnn_conv_geo *g, long ld,
                     long oh0, long oh1);
void fastnn_im2col_d(const double *x, double *cols, const fastnn_conv_geo *g, long ld,
                     long oh0, long oh1);
void fastnn_col2im_f(const float *cols, float *dx, const fastnn_conv_geo *g, long ld,
                     long oh0, long oh1);
void fastnn_col2im_d(const double *cols, double *dx, const fastnn_conv_geo *g, long ld,
                     long oh0, long oh1);

/* db[oc] = sum of dy[:, oc] (dy is n x o x p) for oc in [o0, o1). */
void fastnn_conv_bias_grad_f(const float *dy, long n, long o, long p, float *db, long o0, long o1);
void fastnn_conv_bias_grad_d(const double *dy, long n, long o, long p, double *db, long o0,
                             long o1);

#endif
