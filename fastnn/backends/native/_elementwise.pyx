# Elementwise and fused kernels: relu, bias+relu, cross-entropy over class indices.
#
# relu / bias+relu: one pass over the data (add, clamp, store), OpenMP over
# rows; the backward pass writes dx and accumulates the bias gradient in the
# same sweep, each thread into its own row of a float64 partial-sum table
# (deterministic, no atomics), which Python then sums.
# cross-entropy: one row per iteration, OpenMP over rows. A stable
# log-sum-exp pass (max, then exp into the gradient buffer) gives the row loss
# and, in place, the gradient (sum_c q_c) * softmax - q scaled by the 'mean'
# denominator, so backward is a single multiply by dloss.
# Callers (fastnn/backends/native/elementwise.py) validate everything and pass
# C-contiguous arrays. Reference: fastnn/backends/numpy_ref/elementwise.py.
cimport openmp
from cython.parallel cimport prange
from libc.math cimport exp, expf, log
from libc.stdint cimport int64_t

ctypedef fused real:
    float
    double

# below this many elements a thread team costs more than it saves
cdef Py_ssize_t PAR_MIN = 32768


cdef inline int _team(Py_ssize_t work) noexcept nogil:
    return openmp.omp_get_max_threads() if work >= PAR_MIN else 1


def relu_fwd(const real[::1] x, real[::1] y):
    cdef Py_ssize_t i, n = x.shape[0]
    cdef real v
    for i in prange(n, nogil=True, schedule="static", num_threads=_team(n)):
        v = x[i]
        y[i] = 0 if v <= 0 else v  # NaN stays NaN, as in torch.relu


def relu_bwd(const real[::1] dy, const real[::1] y, real[::1] dx):
    cdef Py_ssize_t i, n = y.shape[0]
    for i in prange(n, nogil=True, schedule="static", num_threads=_team(n)):
        dx[i] = dy[i] if y[i] > 0 else 0


cdef inline void _bias_relu_row(const real* xr, const real* b, real* yr, Py_ssize_t C,
                                Py_ssize_t inner) noexcept nogil:
    cdef Py_ssize_t c, k
    cdef real v, bb
    if inner == 1:
        for c in range(C):
            v = xr[c] + b[c]
            yr[c] = 0 if v <= 0 else v
    else:
        for c in range(C):
            bb = b[c]
            for k in range(inner):
                v = xr[c * inner + k] + bb
                yr[c * inner + k] = 0 if v <= 0 else v


def bias_relu_fwd(const real[:, ::1] x, const real[::1] b, real[:, ::1] y, Py_ssize_t inner):
    # x, y: (outer, C*inner)
    cdef Py_ssize_t o, outer = x.shape[0], C = b.shape[0]
    if outer == 0:
        return
    for o in prange(outer, nogil=True, schedule="static",
                    num_threads=_team(outer * x.shape[1])):
        _bias_relu_row(&x[o, 0], &b[0], &y[o, 0], C, inner)


cdef inline void _bias_relu_back_rows(const real* dy, const real* y, real* dx, double* part,
                                      Py_ssize_t rows, Py_ssize_t C,
                                      Py_ssize_t inner) noexcept nogil:
    cdef Py_ssize_t o, c, k, j
    cdef real g
    if inner == 1:  # Linear: stride-1 over channels so the loop vectorises
        for o in range(rows):
            for c in range(C):
                g = dy[o * C + c] if y[o * C + c] > 0 else 0
                dx[o * C + c] = g
                part[c] += g
        return
    cdef real a0, a1, a2, a3
    cdef const real* dyr
    cdef const real* yr
    cdef real* dxr
    for o in range(rows):
        for c in range(C):
            j = (o * C + c) * inner
            dyr = dy + j
            yr = y + j
            dxr = dx + j
            # four independent sums: a single running sum serialises on FP latency
            a0 = a1 = a2 = a3 = 0
            k = 0
            while k + 4 <= inner:
                dxr[k] = dyr[k] if yr[k] > 0 else 0
                dxr[k + 1] = dyr[k + 1] if yr[k + 1] > 0 else 0
                dxr[k + 2] = dyr[k + 2] if yr[k + 2] > 0 else 0
                dxr[k + 3] = dyr[k + 3] if yr[k + 3] > 0 else 0
                a0 += dxr[k]
                a1 += dxr[k + 1]
                a2 += dxr[k + 2]
                a3 += dxr[k + 3]
                k += 4
            while k < inner:
                dxr[k] = dyr[k] if yr[k] > 0 else 0
                a0 += dxr[k]
                k += 1
            part[c] += (<double>a0 + <double>a1) + (<double>a2 + <double>a3)


def bias_relu_bwd(const real[:, ::1] dy, const real[:, ::1] y, real[:, ::1] dx,
                  double[:, ::1] part, Py_ssize_t inner):
    # part: (T, C) zeros; thread block t owns rows [t*outer/T, (t+1)*outer/T)
    cdef Py_ssize_t T = part.shape[0], C = part.shape[1], outer = y.shape[0], t, o0, o1
    if outer == 0:
        return
    for t in prange(T, nogil=True, schedule="static", num_threads=T):
        o0 = t * outer // T
        o1 = (t + 1) * outer // T
        if o1 > o0:
            _bias_relu_back_rows(&dy[o0, 0], &y[o0, 0], &dx[o0, 0], &part[t, 0],
                                 o1 - o0, C, inner)


cdef inline void _ce_row(const real* xr, int64_t t, double a, const real* s, bint smooth,
                         double ssum, double scale, real* gr, double* lo,
                         Py_ssize_t C) noexcept nogil:
    cdef Py_ssize_t c
    cdef double m, tot, lse, sx, l
    cdef real e, mr
    if t < 0:  # ignored sample: no loss, no gradient
        for c in range(C):
            gr[c] = 0
        lo[0] = 0
        return
    mr = xr[0]
    for c in range(1, C):
        if xr[c] > mr:
            mr = xr[c]
    tot = 0
    for c in range(C):
        if real is float:
            e = expf(xr[c] - mr)
        else:
            e = exp(xr[c] - mr)
        gr[c] = e
        tot += e
    m = mr
    lse = m + log(tot)
    l = a * (lse - xr[t])
    if smooth:
        sx = 0
        for c in range(C):
            sx += s[c] * xr[c]
        l += ssum * lse - sx
    e = <real>((a + ssum) * scale / tot)
    if smooth:
        for c in range(C):
            gr[c] = gr[c] * e - <real>(s[c] * scale)
    else:
        for c in range(C):
            gr[c] = gr[c] * e
    gr[t] -= <real>(a * scale)
    lo[0] = l


def cross_entropy_index_fwd(const real[:, ::1] x, const int64_t[::1] t, const double[::1] a,
                            const real[::1] s, bint smooth, double ssum, double scale,
                            real[:, ::1] grad, double[::1] loss):
    # t: class per row, -1 when ignored; a: (1-eps)*weight[t]; s: eps/C*weight (smoothing)
    cdef Py_ssize_t i, N = x.shape[0], C = x.shape[1]
    if N == 0:
        return
    for i in prange(N, nogil=True, schedule="static", num_threads=_team(N * C)):
        _ce_row(&x[i, 0], t[i], a[i], &s[0], smooth, ssum, scale, &grad[i, 0], &loss[i], C)
