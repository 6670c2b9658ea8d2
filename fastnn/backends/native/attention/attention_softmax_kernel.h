/* Fused attention softmax passes (attention_softmax_kernel.c). */
#ifndef FASTNN_ATTENTION_SOFTMAX_KERNEL_H
#define FASTNN_ATTENTION_SOFTMAX_KERNEL_H

void fastnn_attn_softmax_f32(float *s, const float *bias, long bias_batch_stride, long L, long S,
                             float scale, int causal, int empty_nan, long r0, long r1);
void fastnn_attn_softmax_f64(double *s, const double *bias, long bias_batch_stride, long L,
                             long S, double scale, int causal, int empty_nan, long r0, long r1);
void fastnn_attn_softmax_grad_f32(float *dp, const float *p, long S, long r0, long r1);
void fastnn_attn_softmax_grad_f64(double *dp, const double *p, long S, long r0, long r1);

#endif
