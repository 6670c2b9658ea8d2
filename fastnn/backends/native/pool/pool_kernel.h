/* 2x2 stride-2 unpadded max pool over one plane, forward and backward.
 * See pool_kernel.c. Reference: fastnn/backends/numpy_ref/pool.py. */
#ifndef FASTNN_POOL_KERNEL_H
#define FASTNN_POOL_KERNEL_H
#include <stdint.h>

void fastnn_maxpool2x2_fwd_f(const float *x, float *y, int64_t *idx, long W, long OH, long OW);
void fastnn_maxpool2x2_fwd_d(const double *x, double *y, int64_t *idx, long W, long OH, long OW);
void fastnn_maxpool2x2_bwd_f(const float *dy, const int64_t *idx, float *dx, long H, long W,
                             long OH, long OW);
void fastnn_maxpool2x2_bwd_d(const double *dy, const int64_t *idx, double *dx, long H, long W,
                             long OH, long OW);
#endif
