# distutils: sources = fastnn/backends/native/attention/attention_softmax_kernel.c fastnn/backends/native/common/isa_link.c
# Attention's fused softmax passes, compiled: the rows of the (B*L, S) score
# matrix split into one contiguous run per OpenMP thread, each run handed to
# attention_softmax_kernel.c without the GIL. The products around them are
# fastnn's batched GEMM (gemm/, called from __init__.py).
# Callers (__init__.py) validate shapes and pass C-contiguous arrays of one
# float type; the memoryview types below re-check dtype and layout.
# Reference: fastnn/backends/numpy_ref/attention.py.
from cython.parallel cimport prange

# The CPU dispatch's level, common to every family (common/isa.h): the kernel's
# C code reads it with fastnn_isa(), through the pointer linked here.
from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())


def isa_level():
    """The ISA level this module's C code runs now, as a number."""
    return _isa.fastnn_isa()


ctypedef fused real:
    float
    double


cdef extern from "attention_softmax_kernel.h" nogil:
    void fastnn_attn_softmax_f32(float *s, const float *bias, long bias_batch_stride, long L,
                                 long S, float scale, int causal, int empty_nan, long r0, long r1)
    void fastnn_attn_softmax_f64(double *s, const double *bias, long bias_batch_stride, long L,
                                 long S, double scale, int causal, int empty_nan, long r0, long r1)
    void fastnn_attn_softmax_grad_f32(float *dp, const float *p, long S, long r0, long r1)
    void fastnn_attn_softmax_grad_f64(double *dp, const double *p, long S, long r0, long r1)


cdef extern from "common/parallel.h":
    double FASTNN_PAR_MIN_ELEMS
    int fastnn_team(double work, double min_work) nogil


cdef inline int _team(Py_ssize_t rows, Py_ssize_t cols) noexcept nogil:
    cdef int t = fastnn_team(<double>rows * cols, <double>FASTNN_PAR_MIN_ELEMS)
    return <int>min(<Py_ssize_t>t, rows) if rows > 0 else 1


def softmax_forward(real[:, :, ::1] s, const real[:, :, ::1] bias, double scale, bint causal,
                    bint empty_nan):
    """s (B, L, S) in place: softmax(scale * s + bias, masked causally). bias is (B, L, S),
    (1, L, S) (shared by every problem) or (0, 0, 0) (none)."""
    cdef Py_ssize_t B = s.shape[0], L = s.shape[1], S = s.shape[2], rows = B * L, t, T
    cdef long bstride = 0
    cdef const real *bp = NULL
    if bias.shape[0] != 0:
        if bias.shape[1] != L or bias.shape[2] != S or bias.shape[0] not in (1, B):
            raise ValueError("bias: expected shape (B or 1, L, S)")
        bp = &bias[0, 0, 0]
        bstride = L * S if bias.shape[0] == B and B > 1 else 0
    if rows == 0 or S == 0:
        return
    T = _team(rows, S)
    with nogil:
        for t in prange(T, schedule="static", num_threads=T):
            if real is float:
                fastnn_attn_softmax_f32(&s[0, 0, 0], bp, bstride, L, S, <float>scale, causal,
                                        empty_nan, t * rows // T, (t + 1) * rows // T)
            else:
                fastnn_attn_softmax_f64(&s[0, 0, 0], bp, bstride, L, S, scale, causal,
                                        empty_nan, t * rows // T, (t + 1) * rows // T)


def softmax_backward(real[:, :, ::1] dp, const real[:, :, ::1] p):
    """dp (B, L, S) in place: the scores' gradient p * (dp - rowsum(dp * p))."""
    if dp.shape[0] != p.shape[0] or dp.shape[1] != p.shape[1] or dp.shape[2] != p.shape[2]:
        raise ValueError("p: expected the shape of dp")
    cdef Py_ssize_t S = dp.shape[2], rows = dp.shape[0] * dp.shape[1], t, T
    if rows == 0 or S == 0:
        return
    T = _team(rows, S)
    with nogil:
        for t in prange(T, schedule="static", num_threads=T):
            if real is float:
                fastnn_attn_softmax_grad_f32(&dp[0, 0, 0], &p[0, 0, 0], S, t * rows // T,
                                             (t + 1) * rows // T)
            else:
                fastnn_attn_softmax_grad_f64(&dp[0, 0, 0], &p[0, 0, 0], S, t * rows // T,
                                             (t + 1) * rows // T)
