/* Elementwise/fused kernels: relu, bias+relu, softmax rows, cross-entropy rows (float32 / float64).
 * See elementwise_kernel.c. Reference: fastnn/backends/numpy_ref/elementwise.py. */
#ifndef FASTNN_ELEMENTWISE_KERNEL_H
#define FASTNN_ELEMENTWISE_KERNEL_H
#include <stdint.h>

#define FASTNN_EW_DECLARE(SUF, T)                                                               \
void fnn_relu_fwd_##SUF(const T *x, T *y, long n);                                         \
void fnn_relu_bwd_##SUF(const T *dy, const T *y, T *dx, long n);                           \
void fnn_bias_relu_fwd_##SUF(const T *x, const T *b, T *y, long rows, long C, long inner);  \
void fnn_bias_relu_bwd_##SUF(const T *dy, const T *y, T *dx, double *part, long rows,      \
                             long C, long inner);                                          \
double fnn_ce_row_##SUF(const T *x, int64_t t, double a, const T *s, int smooth,           \
                        double ssum, double scale, T *g, long C);                \
void fnn_softmax_rows_##SUF(const T *x, T *y, long rows, long C, int logarithm);

FASTNN_EW_DECLARE(f32, float)
FASTNN_EW_DECLARE(f64, double)
#undef FASTNN_EW_DECLARE
#endif
