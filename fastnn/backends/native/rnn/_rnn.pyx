# distutils: sources = fastnn/backends/native/rnn/rnn_kernel.c fastnn/backends/native/rnn/rnn_gemm_kernel.c fastnn/backends/native/gemm/gemm_link.c fastnn/backends/native/common/isa_link.c fastnn/backends/native/common/interrupt_link.c
# Recurrent kernels (RNN, LSTM, GRU sequences): thin typed entry points that hand
# validated, C-contiguous arrays to rnn_kernel.c and release the GIL for the whole
# time loop. Validation and allocation live in __init__.py beside this file; the
# reference is fastnn/backends/numpy_ref/rnn.py.
from cython cimport floating
from libc.stdint cimport int64_t

# fastnn's one GEMM (gemm/_gemm) and the CPU dispatch's level (common/_isa),
# handed to this module's C code: its fastnn_sgemm/fastnn_dgemm (gemm_link.c)
# call _gemm's through these function pointers, and its fastnn_isa() reads
# the _isa module's decision.
from ..gemm cimport _gemm
from ..common cimport _isa

_gemm.fastnn_gemm_link(_gemm.sgemm, _gemm.dgemm)
_isa.fastnn_isa_link(_isa.level_address())
# Ctrl-C (common/interrupt.h): the time loops poll the one interrupt flag, and
# every call below is wrapped in before()/after(), which raise KeyboardInterrupt
# when it arrived during the call (the outputs are then unfinished).
from ..common cimport _interrupt
_interrupt.fastnn_interrupt_link(_interrupt.watch)


cdef inline void _check_layout(int bm) except *:
    # x_bm / dy_bm: 0 time-major (T, B, F), 1 batch-major (B, T, F)
    if bm != 0 and bm != 1:
        raise ValueError(f"x_bm, dy_bm: expected 0 (time-major) or 1 (batch-major), got {bm}")


def isa_level():
    """The ISA level this module's C code runs now, as a number (tests: every
    compiled module follows the one decision in common/_isa)."""
    return _isa.fastnn_isa()


cdef extern from "rnn_kernel.h" nogil:
    void fastnn_rnn_forward_f32(long T, long B, long I, long H, int x_bm, int relu, const float *x,
        const float *h0, const float *w_ih, const float *w_hh, const float *bias,
        const int64_t *lengths, float *y, float *h_n)
    void fastnn_rnn_forward_f64(long T, long B, long I, long H, int x_bm, int relu, const double *x,
        const double *h0, const double *w_ih, const double *w_hh, const double *bias,
        const int64_t *lengths, double *y, double *h_n)
    void fastnn_rnn_backward_f32(long T, long B, long I, long H, int x_bm, int dy_bm,
        int need_dh0,
        int relu, const float *x,
        const float *h0, const float *w_ih, const float *w_hh, const int64_t *lengths,
        const float *y, const float *dy, float *dh, float *dx, float *dw_ih, float *dw_hh,
        float *db_ih, float *db_hh, float *work)
    void fastnn_rnn_backward_f64(long T, long B, long I, long H, int x_bm, int dy_bm,
        int need_dh0,
        int relu, const double *x,
        const double *h0, const double *w_ih, const double *w_hh, const int64_t *lengths,
        const double *y, const double *dy, double *dh, double *dx, double *dw_ih,
        double *dw_hh, double *db_ih, double *db_hh, double *work)
    void fastnn_lstm_forward_f32(long T, long B, long I, long H, int x_bm, const float *x,
        const float *h0, const float *c0, const float *w_ih, const float *w_hh,
        const float *bias, const int64_t *lengths, float *y, float *h_n,
        float *c_n, float *gates, float *cs)
    void fastnn_lstm_forward_f64(long T, long B, long I, long H, int x_bm, const double *x,
        const double *h0, const double *c0, const double *w_ih, const double *w_hh,
        const double *bias, const int64_t *lengths, double *y,
        double *h_n, double *c_n, double *gates, double *cs)
    void fastnn_lstm_backward_f32(long T, long B, long I, long H, int x_bm, int dy_bm,
        int need_dh0,
        const float *x,
        const float *h0, const float *c0, const float *w_ih, const float *w_hh,
        const int64_t *lengths, const float *y, const float *gates, const float *cs,
        const float *dy, float *dh, float *dc, float *dx, float *dw_ih, float *dw_hh,
        float *db_ih, float *db_hh, float *work)
    void fastnn_lstm_backward_f64(long T, long B, long I, long H, int x_bm, int dy_bm,
        int need_dh0,
        const double *x,
        const double *h0, const double *c0, const double *w_ih, const double *w_hh,
        const int64_t *lengths, const double *y, const double *gates, const double *cs,
        const double *dy, double *dh, double *dc, double *dx, double *dw_ih, double *dw_hh,
        double *db_ih, double *db_hh, double *work)
    void fastnn_gru_forward_f32(long T, long B, long I, long H, int x_bm, const float *x,
        const float *h0, const float *w_ih, const float *w_hh, const float *b_ih,
        const float *b_hh, const int64_t *lengths, float *y, float *h_n, float *gates,
        float *hn, float *work)
    void fastnn_gru_forward_f64(long T, long B, long I, long H, int x_bm, const double *x,
        const double *h0, const double *w_ih, const double *w_hh, const double *b_ih,
        const double *b_hh, const int64_t *lengths, double *y, double *h_n, double *gates,
        double *hn, double *work)
    void fastnn_gru_backward_f32(long T, long B, long I, long H, int x_bm, int dy_bm,
        int need_dh0,
        const float *x,
        const float *h0, const float *w_ih, const float *w_hh, const int64_t *lengths,
        const float *y, const float *gates, const float *hn, const float *dy, float *dh,
        float *dx, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
        float *work_ih, float *work_hh)
    void fastnn_gru_backward_f64(long T, long B, long I, long H, int x_bm, int dy_bm,
        int need_dh0,
        const double *x,
        const double *h0, const double *w_ih, const double *w_hh, const int64_t *lengths,
        const double *y, const double *gates, const double *hn, const double *dy,
        double *dh, double *dx, double *dw_ih, double *dw_hh, double *db_ih,
        double *db_hh, double *work_ih, double *work_hh)


# Optional backward outputs (dx too: not needed) arrive as None and become NULL. Every array is non-empty
# (the wrapper answers T == 0 or B == 0 itself), so taking &a[0] is safe.
cdef inline floating* _m1(floating[::1] a) noexcept nogil:
    return NULL if a is None else &a[0]

cdef inline floating* _m3(floating[:, :, ::1] a) noexcept nogil:
    return NULL if a is None else &a[0, 0, 0]

cdef inline const int64_t* _len(const int64_t[::1] a) noexcept nogil:
    return NULL if a is None else &a[0]


def rnn_forward(const floating[:, :, ::1] x, const floating[:, ::1] h0,
                const floating[:, ::1] w_ih, const floating[:, ::1] w_hh,
                const floating[::1] bias, const int64_t[::1] lengths, int relu,
                floating[:, :, ::1] y, floating[:, ::1] h_n,
                int x_bm=0):
    _check_layout(x_bm)
    cdef long T = x.shape[x_bm], B = x.shape[1 - x_bm], I = x.shape[2], H = w_hh.shape[1]
    _interrupt.before()
    with nogil:
        if floating is float:
            fastnn_rnn_forward_f32(T, B, I, H, x_bm, relu, &x[0, 0, 0], &h0[0, 0], &w_ih[0, 0],
                                   &w_hh[0, 0], &bias[0], _len(lengths),
                                   &y[0, 0, 0], &h_n[0, 0])
        else:
            fastnn_rnn_forward_f64(T, B, I, H, x_bm, relu, &x[0, 0, 0], &h0[0, 0], &w_ih[0, 0],
                                   &w_hh[0, 0], &bias[0], _len(lengths),
                                   &y[0, 0, 0], &h_n[0, 0])
    _interrupt.after()


def rnn_backward(const floating[:, :, ::1] x, const floating[:, ::1] h0,
                 const floating[:, ::1] w_ih, const floating[:, ::1] w_hh,
                 const int64_t[::1] lengths, int relu, const floating[:, :, ::1] y,
                 const floating[:, :, ::1] dy, floating[:, ::1] dh,
                 floating[:, :, ::1] dx, floating[:, ::1] dw_ih, floating[:, ::1] dw_hh,
                 floating[::1] db_ih, floating[::1] db_hh, floating[:, :, ::1] work,
                int x_bm=0, int dy_bm=0, int need_dh0=1):
    _check_layout(x_bm)
    _check_layout(dy_bm)
    cdef long T = x.shape[x_bm], B = x.shape[1 - x_bm], I = x.shape[2], H = w_hh.shape[1]
    cdef const floating *dyp = NULL if dy is None else &dy[0, 0, 0]
    _interrupt.before()
    with nogil:
        if floating is float:
            fastnn_rnn_backward_f32(T, B, I, H, x_bm, dy_bm, need_dh0, relu, &x[0, 0, 0],
                                    &h0[0, 0], &w_ih[0, 0],
                                    &w_hh[0, 0], _len(lengths), &y[0, 0, 0], dyp, &dh[0, 0],
                                    _m3(dx), &dw_ih[0, 0], &dw_hh[0, 0], _m1(db_ih),
                                    _m1(db_hh), &work[0, 0, 0])
        else:
            fastnn_rnn_backward_f64(T, B, I, H, x_bm, dy_bm, need_dh0, relu, &x[0, 0, 0],
                                    &h0[0, 0], &w_ih[0, 0],
                                    &w_hh[0, 0], _len(lengths), &y[0, 0, 0], dyp, &dh[0, 0],
                                    _m3(dx), &dw_ih[0, 0], &dw_hh[0, 0], _m1(db_ih),
                                    _m1(db_hh), &work[0, 0, 0])
    _interrupt.after()


def lstm_forward(const floating[:, :, ::1] x, const floating[:, ::1] h0,
                 const floating[:, ::1] c0, const floating[:, ::1] w_ih,
                 const floating[:, ::1] w_hh, const floating[::1] bias,
                 const int64_t[::1] lengths,
                 floating[:, :, ::1] y, floating[:, ::1] h_n, floating[:, ::1] c_n,
                 floating[:, :, ::1] gates, floating[:, :, ::1] cs,
                int x_bm=0):
    _check_layout(x_bm)
    cdef long T = x.shape[x_bm], B = x.shape[1 - x_bm], I = x.shape[2], H = w_hh.shape[1]
    _interrupt.before()
    with nogil:
        if floating is float:
            fastnn_lstm_forward_f32(T, B, I, H, x_bm, &x[0, 0, 0], &h0[0, 0], &c0[0, 0],
                                    &w_ih[0, 0], &w_hh[0, 0], &bias[0],
                                    _len(lengths), &y[0, 0, 0], &h_n[0, 0], &c_n[0, 0],
                                    &gates[0, 0, 0], &cs[0, 0, 0])
        else:
            fastnn_lstm_forward_f64(T, B, I, H, x_bm, &x[0, 0, 0], &h0[0, 0], &c0[0, 0],
                                    &w_ih[0, 0], &w_hh[0, 0], &bias[0],
                                    _len(lengths), &y[0, 0, 0], &h_n[0, 0], &c_n[0, 0],
                                    &gates[0, 0, 0], &cs[0, 0, 0])
    _interrupt.after()


def lstm_backward(const floating[:, :, ::1] x, const floating[:, ::1] h0,
                  const floating[:, ::1] c0, const floating[:, ::1] w_ih,
                  const floating[:, ::1] w_hh, const int64_t[::1] lengths,
                  const floating[:, :, ::1] y, const floating[:, :, ::1] gates,
                  const floating[:, :, ::1] cs, const floating[:, :, ::1] dy,
                  floating[:, ::1] dh, floating[:, ::1] dc, floating[:, :, ::1] dx,
                  floating[:, ::1] dw_ih, floating[:, ::1] dw_hh, floating[::1] db_ih,
                  floating[::1] db_hh, floating[:, :, ::1] work,
                int x_bm=0, int dy_bm=0, int need_dh0=1):
    _check_layout(x_bm)
    _check_layout(dy_bm)
    cdef long T = x.shape[x_bm], B = x.shape[1 - x_bm], I = x.shape[2], H = w_hh.shape[1]
    cdef const floating *dyp = NULL if dy is None else &dy[0, 0, 0]
    _interrupt.before()
    with nogil:
        if floating is float:
            fastnn_lstm_backward_f32(T, B, I, H, x_bm, dy_bm, need_dh0, &x[0, 0, 0], &h0[0, 0], &c0[0, 0],
                                     &w_ih[0, 0], &w_hh[0, 0], _len(lengths), &y[0, 0, 0],
                                     &gates[0, 0, 0], &cs[0, 0, 0], dyp, &dh[0, 0],
                                     &dc[0, 0], _m3(dx), &dw_ih[0, 0], &dw_hh[0, 0],
                                     _m1(db_ih), _m1(db_hh), &work[0, 0, 0])
        else:
            fastnn_lstm_backward_f64(T, B, I, H, x_bm, dy_bm, need_dh0, &x[0, 0, 0], &h0[0, 0], &c0[0, 0],
                                     &w_ih[0, 0], &w_hh[0, 0], _len(lengths), &y[0, 0, 0],
                                     &gates[0, 0, 0], &cs[0, 0, 0], dyp, &dh[0, 0],
                                     &dc[0, 0], _m3(dx), &dw_ih[0, 0], &dw_hh[0, 0],
                                     _m1(db_ih), _m1(db_hh), &work[0, 0, 0])
    _interrupt.after()


def gru_forward(const floating[:, :, ::1] x, const floating[:, ::1] h0,
                const floating[:, ::1] w_ih, const floating[:, ::1] w_hh,
                const floating[::1] b_ih, const floating[::1] b_hh,
                const int64_t[::1] lengths, floating[:, :, ::1] y, floating[:, ::1] h_n,
                floating[:, :, ::1] gates, floating[:, :, ::1] hn, floating[:, ::1] work,
                int x_bm=0):
    # b_ih and b_hh must not be None here (the wrapper passes zeros).
    _check_layout(x_bm)
    cdef long T = x.shape[x_bm], B = x.shape[1 - x_bm], I = x.shape[2], H = w_hh.shape[1]
    _interrupt.before()
    with nogil:
        if floating is float:
            fastnn_gru_forward_f32(T, B, I, H, x_bm, &x[0, 0, 0], &h0[0, 0], &w_ih[0, 0],
                                   &w_hh[0, 0], &b_ih[0], &b_hh[0], _len(lengths),
                                   &y[0, 0, 0], &h_n[0, 0], &gates[0, 0, 0], &hn[0, 0, 0],
                                   &work[0, 0])
        else:
            fastnn_gru_forward_f64(T, B, I, H, x_bm, &x[0, 0, 0], &h0[0, 0], &w_ih[0, 0],
                                   &w_hh[0, 0], &b_ih[0], &b_hh[0], _len(lengths),
                                   &y[0, 0, 0], &h_n[0, 0], &gates[0, 0, 0], &hn[0, 0, 0],
                                   &work[0, 0])
    _interrupt.after()


def gru_backward(const floating[:, :, ::1] x, const floating[:, ::1] h0,
                 const floating[:, ::1] w_ih, const floating[:, ::1] w_hh,
                 const int64_t[::1] lengths, const floating[:, :, ::1] y,
                 const floating[:, :, ::1] gates, const floating[:, :, ::1] hn,
                 const floating[:, :, ::1] dy, floating[:, ::1] dh, floating[:, :, ::1] dx,
                 floating[:, ::1] dw_ih, floating[:, ::1] dw_hh, floating[::1] db_ih,
                 floating[::1] db_hh, floating[:, :, ::1] work_ih,
                 floating[:, :, ::1] work_hh,
                int x_bm=0, int dy_bm=0, int need_dh0=1):
    _check_layout(x_bm)
    _check_layout(dy_bm)
    cdef long T = x.shape[x_bm], B = x.shape[1 - x_bm], I = x.shape[2], H = w_hh.shape[1]
    cdef const floating *dyp = NULL if dy is None else &dy[0, 0, 0]
    _interrupt.before()
    with nogil:
        if floating is float:
            fastnn_gru_backward_f32(T, B, I, H, x_bm, dy_bm, need_dh0, &x[0, 0, 0], &h0[0, 0], &w_ih[0, 0],
                                    &w_hh[0, 0], _len(lengths), &y[0, 0, 0], &gates[0, 0, 0],
                                    &hn[0, 0, 0], dyp, &dh[0, 0], _m3(dx), &dw_ih[0, 0],
                                    &dw_hh[0, 0], _m1(db_ih), _m1(db_hh), &work_ih[0, 0, 0],
                                    &work_hh[0, 0, 0])
        else:
            fastnn_gru_backward_f64(T, B, I, H, x_bm, dy_bm, need_dh0, &x[0, 0, 0], &h0[0, 0], &w_ih[0, 0],
                                    &w_hh[0, 0], _len(lengths), &y[0, 0, 0], &gates[0, 0, 0],
                                    &hn[0, 0, 0], dyp, &dh[0, 0], _m3(dx), &dw_ih[0, 0],
                                    &dw_hh[0, 0], _m1(db_ih), _m1(db_hh), &work_ih[0, 0, 0],
                                    &work_hh[0, 0, 0])
    _interrupt.after()
