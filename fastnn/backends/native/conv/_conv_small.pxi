# Included by _conv.pyx: the small-k path (C*kH*kW <= SMALL_K, groups 1, e.g.
# a first layer on one channel): conv_small_kernel.c multiplies without
# packing, reading x's columns and dy in place; forward_small / backward_small
# give it whole samples, one scratch row per thread, and sum the weight and
# bias gradients' per-thread lane partials. Reference:
# fastnn/backends/numpy_ref/conv.py.

cdef extern from "conv_small_kernel.h" nogil:
    int FASTNN_CG_SMALL_K
    void fastnn_cg_forward_small_f(int v, const float *x, const float *w, const float *bias,
                                   float *y, long o, const fastnn_conv_geo *g, long chunk,
                                   float *scratch,
                             const fastnn_flag_t *stop)
    void fastnn_cg_forward_small_d(int v, const double *x, const double *w, const double *bias,
                                   double *y, long o, const fastnn_conv_geo *g, long chunk,
                                   double *scratch,
                             const fastnn_flag_t *stop)
    void fastnn_cg_backward_small_f(int v, const float *dy, const float *x, const float *w,
                                    float *dx, float *dwv, float *dbv, long o,
                                    const fastnn_conv_geo *g, long chunk, float *scratch,
                             const fastnn_flag_t *stop)
    void fastnn_cg_backward_small_d(int v, const double *dy, const double *x, const double *w,
                                    double *dx, double *dwv, double *dbv, long o,
                                    const fastnn_conv_geo *g, long chunk, double *scratch,
                             const fastnn_flag_t *stop)


# The largest C*kH*kW that forward_small/backward_small take (conv_small_kernel.h).
SMALL_K = FASTNN_CG_SMALL_K


cdef _check_small(Py_ssize_t k):
    if not 0 < k <= FASTNN_CG_SMALL_K:
        raise ValueError(f"w: expected C*kH*kW in [1, {FASTNN_CG_SMALL_K}] for the small-k "
                         f"kernels, got {k}")


def forward_small(const real[:, :, :, ::1] x, const real[:, :, :, ::1] w, const real[::1] b,
                  real[:, :, :, ::1] y, real[:, ::1] scratch, int chunk, tuple params):
    """forward_packed for C*kH*kW <= SMALL_K, without packing (w as it is)."""
    _check_small(w.shape[1] * w.shape[2] * w.shape[3])
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef Py_ssize_t n = x.shape[0], o = w.shape[0]
    cdef Py_ssize_t s, ys = o * g.ho * g.wo, xs = g.c * g.h * g.w
    cdef int nt = scratch.shape[0], t, v = _isa.fastnn_isa()
    cdef const real *bias = &b[0] if b.shape[0] > 0 else NULL
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        for s in prange(n, schedule="static", num_threads=nt):
            if fastnn_stopped(stop):
                continue
            t = threadid()
            if real is float:
                fastnn_cg_forward_small_f(v, &x[0, 0, 0, 0] + s * xs, &w[0, 0, 0, 0], bias,
                                          &y[0, 0, 0, 0] + s * ys, o, &g, chunk, &scratch[t, 0], stop)
            else:
                fastnn_cg_forward_small_d(v, &x[0, 0, 0, 0] + s * xs, &w[0, 0, 0, 0], bias,
                                          &y[0, 0, 0, 0] + s * ys, o, &g, chunk, &scratch[t, 0], stop)
    _interrupt.after()


def backward_small(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] x, const real[:, :, :, ::1] w,
                   real[:, :, :, ::1] dx, real[:, ::1] dw, real[::1] db,
                   real[:, :, :, ::1] dwv_part, real[:, :, ::1] dbv_part,
                   real[:, ::1] scratch, int chunk, tuple params):
    """backward_packed for C*kH*kW <= SMALL_K, without packing, into dx, dw (O, K)
    and db (O,; skipped when empty). The kernels leave 16 partial sums per
    thread, dwv_part (threads, K, O, 16) and dbv_part (threads, O, 16), zero
    on entry; they are summed here (NumPy's reductions over such short axes
    cost more than the small convolution's whole Python side)."""
    _check_small(w.shape[1] * w.shape[2] * w.shape[3])
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef Py_ssize_t n = x.shape[0], o = w.shape[0]
    cdef Py_ssize_t s, ys = o * g.ho * g.wo, xs = g.c * g.h * g.w
    cdef int nt = scratch.shape[0], t, v = _isa.fastnn_isa()
    cdef bint with_db = dbv_part.shape[1] > 0
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        for s in prange(n, schedule="static", num_threads=nt):
            if fastnn_stopped(stop):
                continue
            t = threadid()
            if real is float:
                fastnn_cg_backward_small_f(v, &dy[0, 0, 0, 0] + s * ys, &x[0, 0, 0, 0] + s * xs,
                                           &w[0, 0, 0, 0], &dx[0, 0, 0, 0] + s * xs,
                                           &dwv_part[t, 0, 0, 0],
                                           &dbv_part[t, 0, 0] if with_db else NULL,
                                           o, &g, chunk, &scratch[t, 0], stop)
            else:
                fastnn_cg_backward_small_d(v, &dy[0, 0, 0, 0] + s * ys, &x[0, 0, 0, 0] + s * xs,
                                           &w[0, 0, 0, 0], &dx[0, 0, 0, 0] + s * xs,
                                           &dwv_part[t, 0, 0, 0],
                                           &dbv_part[t, 0, 0] if with_db else NULL,
                                           o, &g, chunk, &scratch[t, 0], stop)
        _sum_lanes(dwv_part, dbv_part, dw, db)
    _interrupt.after()


cdef void _sum_lanes(const real[:, :, :, ::1] dwv, const real[:, :, ::1] dbv, real[:, ::1] dw,
                     real[::1] db) noexcept nogil:
    cdef Py_ssize_t t, kk, oc, lane
    cdef real acc
    for oc in range(dw.shape[0]):
        for kk in range(dw.shape[1]):
            acc = 0
            for t in range(dwv.shape[0]):
                for lane in range(16):
                    acc = acc + dwv[t, kk, oc, lane]
            dw[oc, kk] = acc
        if db.shape[0] > 0:
            acc = 0
            for t in range(dbv.shape[0]):
                for lane in range(16):
                    acc = acc + dbv[t, oc, lane]
            db[oc] = acc
