# distutils: sources = fastnn/backends/native/elementwise/elementwise_kernel.c fastnn/backends/native/common/isa_link.c
# Elementwise and fused kernels: relu, bias+relu, softmax/log_softmax rows,
# cross-entropy over class indices.
#
# The loops themselves are in elementwise_kernel.c (branch-free so they
# vectorise, one build per ISA level); this module splits the work over OpenMP
# threads without the GIL: relu one contiguous chunk per thread, the others
# blocks of whole rows. The bias gradient of bias+relu backward goes to one
# float64 row of partial sums per thread block (deterministic, no atomics),
# which Python then sums.
# Arguments are plain ndarrays, not typed memoryviews: taking a buffer costs
# ~0.3 us per argument, which is most of the call at batch 1. Callers
# (elementwise/__init__.py) validate everything first; _data()
# re-checks dtype, layout and size, so no call from Python can read or write
# out of bounds. Reference: fastnn/backends/numpy_ref/elementwise.py.
cimport numpy as cnp
cimport openmp
from cython.parallel cimport prange
from libc.stdint cimport int64_t

cnp.import_array()

# The CPU dispatch's level, common to every family (common/isa.h): this
# module's C code reads it with fastnn_isa(), through the pointer linked here.
from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())


def isa_level():
    """The ISA level this module's C code runs now, as a number (tests: every
    compiled module follows the one decision in common/_isa)."""
    return _isa.fastnn_isa()


cdef extern from "elementwise_kernel.h" nogil:
    void fnn_relu_fwd_f32(const float *x, float *y, long n)
    void fnn_relu_fwd_f64(const double *x, double *y, long n)
    void fnn_relu_bwd_f32(const float *dy, const float *y, float *dx, long n)
    void fnn_relu_bwd_f64(const double *dy, const double *y, double *dx, long n)
    void fnn_bias_relu_fwd_f32(const float *x, const float *b, float *y, long rows, long C,
                               long inner)
    void fnn_bias_relu_fwd_f64(const double *x, const double *b, double *y, long rows, long C,
                               long inner)
    void fnn_bias_relu_bwd_f32(const float *dy, const float *y, float *dx, double *part,
                               long rows, long C, long inner)
    void fnn_bias_relu_bwd_f64(const double *dy, const double *y, double *dx, double *part,
                               long rows, long C, long inner)
    double fnn_ce_row_f32(const float *x, int64_t t, double a, const float *s, int smooth,
                          double ssum, double scale, float *g, long C)
    double fnn_ce_row_f64(const double *x, int64_t t, double a, const double *s, int smooth,
                          double ssum, double scale, double *g, long C)
    void fnn_softmax_rows_f32(const float *x, float *y, long rows, long C, int logarithm)
    void fnn_softmax_rows_f64(const double *x, double *y, long rows, long C, int logarithm)


cdef extern from "common/parallel.h":
    double FASTNN_PAR_MIN_ELEMS
    int fastnn_team(double work, double min_work) nogil


cdef inline int _team(Py_ssize_t work) noexcept nogil:
    # below FASTNN_PAR_MIN_ELEMS a thread team costs more than it saves (parallel.h)
    return fastnn_team(<double>work, <double>FASTNN_PAR_MIN_ELEMS)


cdef inline int _real(cnp.ndarray a) except -1:
    """NPY_FLOAT or NPY_DOUBLE (the element type every float argument must share)."""
    cdef int k = cnp.PyArray_TYPE(a)
    if k != cnp.NPY_FLOAT and k != cnp.NPY_DOUBLE:
        raise TypeError("expected a float32 or float64 array")
    return k


cdef inline char *_data(cnp.ndarray a, int typenum, Py_ssize_t size, bint writable=False) except NULL:
    """a's buffer after checking that it holds `size` C-ordered elements of `typenum`."""
    if cnp.PyArray_TYPE(a) != typenum or not cnp.PyArray_IS_C_CONTIGUOUS(a) \
            or cnp.PyArray_SIZE(a) != size or not cnp.PyArray_ISALIGNED(a) \
            or (writable and not cnp.PyArray_ISWRITEABLE(a)):
        raise ValueError("elementwise kernel: argument of the wrong dtype, size or layout")
    cdef char *p = <char *>cnp.PyArray_DATA(a)
    return p if p != NULL else <char *>1  # size 0: never dereferenced


cdef inline Py_ssize_t _chunk(Py_ssize_t n, Py_ssize_t T, Py_ssize_t t) noexcept nogil:
    return t * n // T


def relu_fwd(cnp.ndarray x, cnp.ndarray y):
    cdef int k = _real(x)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x), T = _team(n), t, i0, i1
    cdef char *px = _data(x, k, n)
    cdef char *py = _data(y, k, n, True)
    if n == 0:
        return
    with nogil:
        if T == 1:
            if k == cnp.NPY_FLOAT:
                fnn_relu_fwd_f32(<float *>px, <float *>py, n)
            else:
                fnn_relu_fwd_f64(<double *>px, <double *>py, n)
        else:
            for t in prange(T, schedule="static", num_threads=T):
                i0 = _chunk(n, T, t)
                i1 = _chunk(n, T, t + 1)
                if k == cnp.NPY_FLOAT:
                    fnn_relu_fwd_f32(<float *>px + i0, <float *>py + i0, i1 - i0)
                else:
                    fnn_relu_fwd_f64(<double *>px + i0, <double *>py + i0, i1 - i0)


def relu_bwd(cnp.ndarray dy, cnp.ndarray y, cnp.ndarray dx):
    cdef int k = _real(y)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(y), T = _team(n), t, i0, i1
    cdef char *pg = _data(dy, k, n)
    cdef char *py = _data(y, k, n)
    cdef char *pd = _data(dx, k, n, True)
    if n == 0:
        return
    with nogil:
        if T == 1:
            if k == cnp.NPY_FLOAT:
                fnn_relu_bwd_f32(<float *>pg, <float *>py, <float *>pd, n)
            else:
                fnn_relu_bwd_f64(<double *>pg, <double *>py, <double *>pd, n)
        else:
            for t in prange(T, schedule="static", num_threads=T):
                i0 = _chunk(n, T, t)
                i1 = _chunk(n, T, t + 1)
                if k == cnp.NPY_FLOAT:
                    fnn_relu_bwd_f32(<float *>pg + i0, <float *>py + i0, <float *>pd + i0,
                                     i1 - i0)
                else:
                    fnn_relu_bwd_f64(<double *>pg + i0, <double *>py + i0, <double *>pd + i0,
                                     i1 - i0)


def bias_relu_fwd(cnp.ndarray x, cnp.ndarray b, cnp.ndarray y, Py_ssize_t outer, Py_ssize_t C,
                  Py_ssize_t inner):
    # x, y: outer x C x inner elements; one block of whole rows per thread
    cdef int k = _real(x)
    cdef Py_ssize_t n = outer * C * inner, row = C * inner, T, t, o0, o1
    if outer < 0 or C < 0 or inner < 0:
        raise ValueError("bias_relu_fwd: negative extent")
    cdef char *px = _data(x, k, n)
    cdef char *pb = _data(b, k, C)
    cdef char *py = _data(y, k, n, True)
    if n == 0:
        return
    T = min(_team(n), outer)
    with nogil:
        if T == 1:
            if k == cnp.NPY_FLOAT:
                fnn_bias_relu_fwd_f32(<float *>px, <float *>pb, <float *>py, outer, C, inner)
            else:
                fnn_bias_relu_fwd_f64(<double *>px, <double *>pb, <double *>py, outer, C, inner)
        else:
            for t in prange(T, schedule="static", num_threads=T):
                o0 = _chunk(outer, T, t)
                o1 = _chunk(outer, T, t + 1)
                if k == cnp.NPY_FLOAT:
                    fnn_bias_relu_fwd_f32(<float *>px + o0 * row, <float *>pb,
                                          <float *>py + o0 * row, o1 - o0, C, inner)
                else:
                    fnn_bias_relu_fwd_f64(<double *>px + o0 * row, <double *>pb,
                                          <double *>py + o0 * row, o1 - o0, C, inner)


def bias_relu_bwd(cnp.ndarray dy, cnp.ndarray y, cnp.ndarray dx, cnp.ndarray part,
                  Py_ssize_t outer, Py_ssize_t C, Py_ssize_t inner):
    # part: (T, C) float64 zeros; thread block t owns rows [t*outer/T, (t+1)*outer/T)
    cdef int k = _real(y)
    cdef Py_ssize_t n = outer * C * inner, row = C * inner, T, t, o0, o1
    if outer < 0 or C < 0 or inner < 0 or cnp.PyArray_NDIM(part) != 2 \
            or cnp.PyArray_DIM(part, 1) != C:
        raise ValueError("bias_relu_bwd: bad extents or partial-sum table")
    T = cnp.PyArray_DIM(part, 0)
    cdef char *pg = _data(dy, k, n)
    cdef char *py = _data(y, k, n)
    cdef char *pd = _data(dx, k, n, True)
    cdef double *pp = <double *>_data(part, cnp.NPY_DOUBLE, T * C, True)
    if n == 0 or T < 1:
        return
    with nogil:
        if T == 1:
            if k == cnp.NPY_FLOAT:
                fnn_bias_relu_bwd_f32(<float *>pg, <float *>py, <float *>pd, pp, outer, C, inner)
            else:
                fnn_bias_relu_bwd_f64(<double *>pg, <double *>py, <double *>pd, pp, outer, C,
                                      inner)
        else:
            for t in prange(T, schedule="static", num_threads=T):
                o0 = _chunk(outer, T, t)
                o1 = _chunk(outer, T, t + 1)
                if k == cnp.NPY_FLOAT:
                    fnn_bias_relu_bwd_f32(<float *>pg + o0 * row, <float *>py + o0 * row,
                                          <float *>pd + o0 * row, pp + t * C, o1 - o0, C, inner)
                else:
                    fnn_bias_relu_bwd_f64(<double *>pg + o0 * row, <double *>py + o0 * row,
                                          <double *>pd + o0 * row, pp + t * C, o1 - o0, C,
                                          inner)


def softmax_rows(cnp.ndarray x, cnp.ndarray y, Py_ssize_t rows, Py_ssize_t C, bint logarithm):
    # x, y: rows x C; softmax (or log_softmax) of each row
    cdef int k = _real(x)
    cdef Py_ssize_t n = rows * C, T, t, o0, o1
    if rows < 0 or C < 0:
        raise ValueError("softmax_rows: negative extent")
    cdef char *px = _data(x, k, n)
    cdef char *py = _data(y, k, n, True)
    if n == 0:
        return
    T = min(_team(n), rows)
    with nogil:
        if T == 1:
            if k == cnp.NPY_FLOAT:
                fnn_softmax_rows_f32(<float *>px, <float *>py, rows, C, logarithm)
            else:
                fnn_softmax_rows_f64(<double *>px, <double *>py, rows, C, logarithm)
        else:
            for t in prange(T, schedule="static", num_threads=T):
                o0 = _chunk(rows, T, t)
                o1 = _chunk(rows, T, t + 1)
                if k == cnp.NPY_FLOAT:
                    fnn_softmax_rows_f32(<float *>px + o0 * C, <float *>py + o0 * C, o1 - o0, C,
                                         logarithm)
                else:
                    fnn_softmax_rows_f64(<double *>px + o0 * C, <double *>py + o0 * C, o1 - o0,
                                         C, logarithm)


def cross_entropy_index_fwd(cnp.ndarray x, cnp.ndarray t, cnp.ndarray a, cnp.ndarray s,
                            bint smooth, double ssum, double scale, cnp.ndarray grad,
                            cnp.ndarray loss):
    # x, grad: (N, C); t: int64 class per row, -1 when ignored; a: float64 (1-eps)*weight[t];
    # s: eps/C*weight (read only when smoothing); loss: float64 per row
    cdef int k = _real(x)
    if cnp.PyArray_NDIM(x) != 2:
        raise ValueError("cross_entropy_index_fwd: x must be 2-D")
    cdef Py_ssize_t N = cnp.PyArray_DIM(x, 0), C = cnp.PyArray_DIM(x, 1), i
    cdef char *px = _data(x, k, N * C)
    cdef char *ps = _data(s, k, C)
    cdef char *pg = _data(grad, k, N * C, True)
    cdef int64_t *pt = <int64_t *>_data(t, cnp.NPY_INT64, N)
    cdef double *pa = <double *>_data(a, cnp.NPY_DOUBLE, N)
    cdef double *pl = <double *>_data(loss, cnp.NPY_DOUBLE, N, True)
    for i in range(N):
        if pt[i] >= C:
            raise ValueError("cross_entropy_index_fwd: class index out of range")
    if N == 0 or C == 0:
        return
    with nogil:
        for i in prange(N, schedule="static", num_threads=_team(N * C)):
            if k == cnp.NPY_FLOAT:
                pl[i] = fnn_ce_row_f32(<float *>px + i * C, pt[i], pa[i], <float *>ps, smooth,
                                       ssum, scale, <float *>pg + i * C, C)
            else:
                pl[i] = fnn_ce_row_f64(<double *>px + i * C, pt[i], pa[i], <double *>ps, smooth,
                                       ssum, scale, <double *>pg + i * C, C)
