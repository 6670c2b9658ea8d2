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


def forward_winograd(const real[:, :, :, ::1] x, const real[:, :, ::1] u, const real[::1] b,
                     real[:, :, :, ::1] y, real[::1] upack, real[:, ::1] scratch, int rows,
                     tuple params):
    """y = conv3x3(x) + b by F(2x2, 3x3), u = G w G^T as (16, O, C); one scratch row per thread.

    Thread t takes samples [t*N/T, (t+1)*N/T). Sizes from winograd_sizes.
    """
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], 3, 3, params)
    cdef Py_ssize_t n = x.shape[0], o = u.shape[1], ys = o * g.ho * g.wo, xs = g.c * g.h * g.w
    cdef Py_ssize_t s0, s1
    cdef int nt = scratch.shape[0], t, v = _isa.fastnn_isa()
    cdef const real *bias = &b[0] if b.shape[0] > 0 else NULL
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        _wg_pack(v, u, upack, False)
        for t in prange(nt, schedule="static", num_threads=nt):
            s0 = n * t // nt
            s1 = n * (t + 1) // nt
            if s1 > s0:
                if real is float:
                    fastnn_wg_forward_f(v, &x[0, 0, 0, 0] + s0 * xs, &upack[0], bias,
                                        &y[0, 0, 0, 0] + s0 * ys, s1 - s0, o, &g, rows,
                                        &scratch[t, 0], stop)
                else:
                    fastnn_wg_forward_d(v, &x[0, 0, 0, 0] + s0 * xs, &upack[0], bias,
                                        &y[0, 0, 0, 0] + s0 * ys, s1 - s0, o, &g, rows,
                                        &scratch[t, 0], stop)
    _interrupt.after()


def backward_winograd(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] x,
                      const real[:, :, ::1] u, real[:, :, :, ::1] dx, real[:, :, :, ::1] du_part,
                      real[::1] upack, real[:, ::1] scratch, int rows, tuple params):
    """dx = the input gradient; du_part[t] += thread t's share of dL/du (16, O, C), zero on entry."""
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], 3, 3, params)
    cdef Py_ssize_t n = x.shape[0], o = u.shape[1], ys = o * g.ho * g.wo, xs = g.c * g.h * g.w
    cdef Py_ssize_t s0, s1
    cdef int nt = scratch.shape[0], t, v = _isa.fastnn_isa()
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        _wg_pack(v, u, upack, True)
        for t in prange(nt, schedule="static", num_threads=nt):
            s0 = n * t // nt
            s1 = n * (t + 1) // nt
            if s1 > s0:
                if real is float:
                    fastnn_wg_backward_f(v, &dy[0, 0, 0, 0] + s0 * ys, &x[0, 0, 0, 0] + s0 * xs,
                                         &upack[0], &dx[0, 0, 0, 0] + s0 * xs, &du_part[t, 0, 0, 0],
                                         s1 - s0, o, &g, rows, &scratch[t, 0], stop)
                else:
                    fastnn_wg_backward_d(v, &dy[0, 0, 0, 0] + s0 * ys, &x[0, 0, 0, 0] + s0 * xs,
                                         &upack[0], &dx[0, 0, 0, 0] + s0 * xs, &du_part[t, 0, 0, 0],
                                         s1 - s0, o, &g, rows, &scratch[t, 0], stop)
    _interrupt.after()
