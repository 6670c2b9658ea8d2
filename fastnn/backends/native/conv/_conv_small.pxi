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


cdef void _small_forward_item(const void *job, Py_ssize_t s, int t,
                              const fastnn_flag_t *stop) noexcept nogil:
    cdef _Samples *j = <_Samples *>job
    if j.f32:
        fastnn_cg_forward_small_f(j.v, <const float *>j.x + s * j.xs, <const float *>j.w,
                                  <const float *>j.bias, <float *>j.y + s * j.ys, j.o, &j.g,
                                  j.chunk, <float *>j.scratch + t * j.scratch_ld, stop)
    else:
        fastnn_cg_forward_small_d(j.v, <const double *>j.x + s * j.xs, <const double *>j.w,
                                  <const double *>j.bias, <double *>j.y + s * j.ys, j.o, &j.g,
                                  j.chunk, <double *>j.scratch + t * j.scratch_ld, stop)


cdef void _small_backward_item(const void *job, Py_ssize_t s, int t,
                               const fastnn_flag_t *stop) noexcept nogil:
    # part: the weight gradient's lane partials, part2 the bias gradient's (or NULL)
    cdef _Samples *j = <_Samples *>job
    if j.f32:
        fastnn_cg_backward_small_f(j.v, <const float *>j.dy + s * j.ys,
                                   <const float *>j.x + s * j.xs, <const float *>j.w,
                                   <float *>j.dx + s * j.xs, <float *>j.part + t * j.part_ld,
                                   <float *>j.part2 + t * j.part2_ld if j.part2 != NULL else NULL,
                                   j.o, &j.g, j.chunk, <float *>j.scratch + t * j.scratch_ld, stop)
    else:
        fastnn_cg_backward_small_d(j.v, <const double *>j.dy + s * j.ys,
                                   <const double *>j.x + s * j.xs, <const double *>j.w,
                                   <double *>j.dx + s * j.xs, <double *>j.part + t * j.part_ld,
                                   <double *>j.part2 + t * j.part2_ld if j.part2 != NULL else NULL,
                                   j.o, &j.g, j.chunk, <double *>j.scratch + t * j.scratch_ld,
                                   stop)


def forward_small(const real[:, :, :, ::1] x, const real[:, :, :, ::1] w, const real[::1] b,
                  real[:, :, :, ::1] y, real[:, ::1] scratch, int chunk, tuple params):
    """forward_packed for C*kH*kW <= SMALL_K, without packing (w as it is)."""
    _check_small(w.shape[1] * w.shape[2] * w.shape[3])
    cdef _Samples j = _samples(real is float, x.shape, w.shape[0], w.shape[2], w.shape[3], params,
                               &scratch[0, 0], scratch.shape[1], chunk)
    j.x, j.w, j.y = &x[0, 0, 0, 0], &w[0, 0, 0, 0], &y[0, 0, 0, 0]
    j.bias = &b[0] if b.shape[0] > 0 else NULL
    run_items(_small_forward_item, &j, j.n, scratch.shape[0])


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
    cdef _Samples j = _samples(real is float, x.shape, w.shape[0], w.shape[2], w.shape[3], params,
                               &scratch[0, 0], scratch.shape[1], chunk)
    j.dy, j.x, j.w, j.dx = &dy[0, 0, 0, 0], &x[0, 0, 0, 0], &w[0, 0, 0, 0], &dx[0, 0, 0, 0]
    j.part = &dwv_part[0, 0, 0, 0]
    j.part_ld = dwv_part.shape[1] * dwv_part.shape[2] * dwv_part.shape[3]
    if dbv_part.shape[1] > 0:
        j.part2, j.part2_ld = &dbv_part[0, 0, 0], dbv_part.shape[1] * dbv_part.shape[2]
    run_items(_small_backward_item, &j, j.n, scratch.shape[0])
    with nogil:
        _sum_lanes(dwv_part, dbv_part, dw, db)


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
