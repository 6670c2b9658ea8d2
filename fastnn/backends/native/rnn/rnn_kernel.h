/* fastnn recurrent kernels, C interface: Elman RNN, LSTM and GRU, one layer,
 * one direction, time-major (x is T x B x I), PyTorch weight layout.
 *
 * Each function has an _f32 and an _f64 version (same arguments). All arrays
 * are C-contiguous and already validated by the Python wrapper
 * (fastnn/backends/native/rnn/__init__.py); T >= 1 and B >= 1. Pointers documented as
 * nullable may be NULL, and so may the backward's dx (then not computed).
 * `lengths` (nullable, B int64 in [1, T]) freezes the state of sequence b from
 * step lengths[b] on (its y rows are written as 0).
 *
 * x is time-major (T x B x I), or batch-major (B x T x I: batch_first input
 * read in place, no transposed copy) when x_bm is 1; the backward's dy
 * likewise (T x B x H, or B x T x H when dy_bm is 1). Every other array is
 * time-major.
 *
 * Backward state buffers are in/out: dh (and dc) enter holding dh_n (dc_n,
 * zeros when absent) and leave holding dh0 (dc0); with need_dh0 0 the last
 * step's product that gives dh0 is skipped (dh leaves holding no gradient:
 * zeros, the GRU's direct part dh*z).
 *
 * Reference: fastnn/backends/numpy_ref/rnn.py.
 */
#ifndef FASTNN_RNN_KERNEL_H
#define FASTNN_RNN_KERNEL_H
#include <stdint.h>

#define FASTNN_RNN_DECLARE(SFX, REAL)                                                         \
void fastnn_rnn_forward_##SFX(long T, long B, long I, long H, int x_bm, int relu,          \
    const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,                       \
    const REAL *bias, const int64_t *lengths,                                                 \
    REAL *y, REAL *h_n);                                                                      \
void fastnn_rnn_backward_##SFX(long T, long B, long I, long H, int x_bm, int dy_bm,        \
    int need_dh0, int relu,                                                                   \
    const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,                       \
    const int64_t *lengths, const REAL *y, const REAL *dy, REAL *dh,                         \
    REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh, REAL *work);               \
void fastnn_lstm_forward_##SFX(long T, long B, long I, long H, int x_bm,                   \
    const REAL *x, const REAL *h0, const REAL *c0, const REAL *w_ih, const REAL *w_hh,       \
    const REAL *bias, const int64_t *lengths,                                                 \
    REAL *y, REAL *h_n, REAL *c_n, REAL *gates, REAL *cs);                                   \
void fastnn_lstm_backward_##SFX(long T, long B, long I, long H, int x_bm, int dy_bm,       \
    int need_dh0,                                                                             \
    const REAL *x, const REAL *h0, const REAL *c0, const REAL *w_ih, const REAL *w_hh,       \
    const int64_t *lengths, const REAL *y, const REAL *gates, const REAL *cs,                \
    const REAL *dy, REAL *dh, REAL *dc,                                                       \
    REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh, REAL *work);               \
void fastnn_gru_forward_##SFX(long T, long B, long I, long H, int x_bm,                    \
    const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,                       \
    const REAL *b_ih, const REAL *b_hh, const int64_t *lengths,                              \
    REAL *y, REAL *h_n, REAL *gates, REAL *hn, REAL *work);                                   \
void fastnn_gru_backward_##SFX(long T, long B, long I, long H, int x_bm, int dy_bm,        \
    int need_dh0,                                                                             \
    const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,                       \
    const int64_t *lengths, const REAL *y, const REAL *gates, const REAL *hn,                \
    const REAL *dy, REAL *dh,                                                                 \
    REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh,                            \
    REAL *work_ih, REAL *work_hh);

/* Shapes: w_ih (G*H, I), w_hh (G*H, H), biases (G*H) with G = 1 (RNN), 4 (LSTM),
 * 3 (GRU); y, cs, hn (T, B, H); gates (T, B, G*H): LSTM i, f, g, o and GRU r, z, n
 * after activation; GRU hn = W_hn h + b_hn. Forward biases are not nullable
 * (pass zeros): RNN and LSTM take bias = b_ih + b_hh (the caller adds them once),
 * the GRU b_ih and b_hh apart (b_hn sits inside r * (W_hn h + b_hn)); the fused
 * per-step pass adds them. GRU forward work is B*3H. Backward work buffers are
 * T*B*G*H. */
FASTNN_RNN_DECLARE(f32, float)
FASTNN_RNN_DECLARE(f64, double)

#endif
