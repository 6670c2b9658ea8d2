# Included by _conv.pyx: Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions
# (groups 1): conv_winograd_kernel.c transforms input tiles and weights and
# multiplies them with the packed path's micro-kernel, 16 multiply-adds per 2x2
# output tile and channel pair instead of 36; forward_winograd /
# backward_winograd give each thread a contiguous run of whole samples.
# Reference: fastnn/backends/numpy_ref/conv.py.

cdef extern from "conv_winograd_kernel.h" nogil:
    long fastnn_wg_upack_size(long o, long c)
    void fastnn_wg_weights_f(const float *w, long o, long c, float *u)
    void fastnn_wg_weights_d(const double *w, long o, long c, double *u)
    void fastnn_wg_weight_grad_f(const float *du, long o, long c, float *dw)
    void fastnn_wg_weight_grad_d(const double *du, long o, long c, double *dw)
    long fastnn_wg_scratch_size(long o, long c, long tw, long rows, int backward)
    void fastnn_wg_pack_f(int v, const float *u, long o, long c, int transposed, float *up)
    void fastnn_wg_pack_d(int v, const double *u, long o, long c, int transposed, double *up)
    void fastnn_wg_forward_f(int v, const float *x, const float *up, const float *bias, float *y,
                             long n, long o, const fastnn_conv_geo *g, long rows, float *scratch,
                             const fastnn_flag_t *stop)
    void fastnn_wg_forward_d(int v, const double *x, const double *up, const double *bias,
                             double *y, long n, long o, const fastnn_conv_geo *g, long rows,
                             double *scratch, const fastnn_flag_t *stop)
    void fastnn_wg_backward_f(int v, const float *dy, const float *x, const float *upt, float *dx,
                              float *du, long n, long o, const fastnn_conv_geo *g, long rows,
                              float *scratch, const fastnn_flag_t *stop)
    void fastnn_wg_backward_d(int v, const double *dy, const double *x, const double *upt,
                              double *dx, double *du, long n, long o, const fastnn_conv_geo *g,
                              long rows, double *scratch, const fastnn_flag_t *stop)


def winograd_sizes(Py_ssize_t o, Py_ssize_t c, Py_ssize_t tw, Py_ssize_t rows, bint backward):
    """(packed transformed weights, per-thread scratch) element counts for the Winograd path."""
    return fastnn_wg_upack_size(o, c), fastnn_wg_scratch_size(o, c, tw, rows, backward)


def winograd_weights(const real[:, :, :, ::1] w, real[:, :, ::1] u):
    """u (16, O, C) = G w G^T for each channel pair of the 3x3 weights w."""
    with nogil:
        if real is float:
            fastnn_wg_weights_f(&w[0, 0, 0, 0], w.shape[0], w.shape[1], &u[0, 0, 0])
        else:
            fastnn_wg_weights_d(&w[0, 0, 0, 0], w.shape[0], w.shape[1], &u[0, 0, 0])


def winograd_weight_grad(const real[:, :, ::1] du, real[:, :, :, ::1] dw):
    """dw (O, C, 3, 3) = G^T du G, the weight gradient from that of u (16, O, C)."""
    with nogil:
        if real is float:
            fastnn_wg_weight_grad_f(&du[0, 0, 0], dw.shape[0], dw.shape[1], &dw[0, 0, 0, 0])
        else:
            fastnn_wg_weight_grad_d(&du[0, 0, 0], dw.shape[0], dw.shape[1], &dw[0, 0, 0, 0])


cdef inline void _wg_pack(int v, const real[:, :, ::1] u, real[::1] upack,
                          bint transposed) noexcept nogil:
    if real is float:
        fastnn_wg_pack_f(v, &u[0, 0, 0], u.shape[1], u.shape[2], transposed, &upack[0])
    else:
        fastnn_wg_pack_d(v, &u[0, 0, 0], u.shape[1], u.shape[2], transposed, &upack[0])


cdef inline void _wg_run(const _Samples *j, Py_ssize_t t, Py_ssize_t *s0,
                         Py_ssize_t *s1) noexcept nogil:
    # thread t's contiguous run of samples [s0, s1)
    s0[0] = j.n * t // j.nt
    s1[0] = j.n * (t + 1) // j.nt


cdef void _wg_forward_item(const void *job, Py_ssize_t t, int thread,
                           const fastnn_flag_t *stop) noexcept nogil:
    cdef _Samples *j = <_Samples *>job
    cdef Py_ssize_t s0, s1
    _wg_run(j, t, &s0, &s1)
    if s1 <= s0:
        return
    if j.f32:
        fastnn_wg_forward_f(j.v, <const float *>j.x + s0 * j.xs, <const float *>j.w,
                            <const float *>j.bias, <float *>j.y + s0 * j.ys, s1 - s0, j.o, &j.g,
                            j.chunk, <float *>j.scratch + t * j.scratch_ld, stop)
    else:
        fastnn_wg_forward_d(j.v, <const double *>j.x + s0 * j.xs, <const double *>j.w,
                            <const double *>j.bias, <double *>j.y + s0 * j.ys, s1 - s0, j.o,
                            &j.g, j.chunk, <double *>j.scratch + t * j.scratch_ld, stop)


cdef void _wg_backward_item(const void *job, Py_ssize_t t, int thread,
                            const fastnn_flag_t *stop) noexcept nogil:
    cdef _Samples *j = <_Samples *>job
    cdef Py_ssize_t s0, s1
    _wg_run(j, t, &s0, &s1)
    if s1 <= s0:
        return
    if j.f32:
        fastnn_wg_backward_f(j.v, <const float *>j.dy + s0 * j.ys, <const float *>j.x + s0 * j.xs,
                             <const float *>j.w, <float *>j.dx + s0 * j.xs,
                             <float *>j.part + t * j.part_ld, s1 - s0, j.o, &j.g, j.chunk,
                             <float *>j.scratch + t * j.scratch_ld, stop)
    else:
        fastnn_wg_backward_d(j.v, <const double *>j.dy + s0 * j.ys,
                             <const double *>j.x + s0 * j.xs, <const double *>j.w,
                             <double *>j.dx + s0 * j.xs, <double *>j.part + t * j.part_ld,
                             s1 - s0, j.o, &j.g, j.chunk, <double *>j.scratch + t * j.scratch_ld,
                             stop)


# Item t is thread t's run of samples (one item per thread): the kernels
# take whole runs so that their blocks of tile rows span sample boundaries.

def forward_winograd(const real[:, :, :, ::1] x, const real[:, :, ::1] u, const real[::1] b,
                     real[:, :, :, ::1] y, real[::1] upack, real[:, ::1] scratch, int rows,
                     tuple params):
    """y = conv3x3(x) + b by F(2x2, 3x3), u = G w G^T as (16, O, C); one scratch row per thread.

    Thread t takes samples [t*N/T, (t+1)*N/T). Sizes from winograd_sizes.
    """
    cdef _Samples j = _samples(real is float, x.shape, u.shape[1], 3, 3, params, &scratch[0, 0],
                               scratch.shape[1], rows)
    j.x, j.w, j.y, j.nt = &x[0, 0, 0, 0], &upack[0], &y[0, 0, 0, 0], scratch.shape[0]
    j.bias = &b[0] if b.shape[0] > 0 else NULL
    with nogil:
        _wg_pack(j.v, u, upack, False)
    run_items(_wg_forward_item, &j, j.nt, j.nt)


def backward_winograd(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] x,
                      const real[:, :, ::1] u, real[:, :, :, ::1] dx, real[:, :, :, ::1] du_part,
                      real[::1] upack, real[:, ::1] scratch, int rows, tuple params):
    """dx = the input gradient; du_part[t] += thread t's share of dL/du (16, O, C), zero on entry."""
    cdef _Samples j = _samples(real is float, x.shape, u.shape[1], 3, 3, params, &scratch[0, 0],
                               scratch.shape[1], rows)
    j.dy, j.x, j.w, j.dx = &dy[0, 0, 0, 0], &x[0, 0, 0, 0], &upack[0], &dx[0, 0, 0, 0]
    j.part, j.part_ld = &du_part[0, 0, 0, 0], du_part.shape[1] * du_part.shape[2] * du_part.shape[3]
    j.nt = scratch.shape[0]
    with nogil:
        _wg_pack(j.v, u, upack, True)
    run_items(_wg_backward_item, &j, j.nt, j.nt)
