# Included by _conv.pyx: depthwise convolutions (one input channel per group,
# M = O // C outputs per channel), direct loops with no GEMM: with Cg = 1 the
# product would be a K = kH*kW GEMM, all overhead. The plane loops are C
# (conv_depthwise_kernel.c: restrict pointers, a build per ISA level); the
# entry points here run them over planes (or output channels) with OpenMP.
# Reference: fastnn/backends/numpy_ref/conv.py.

cdef extern from "conv_depthwise_kernel.h" nogil:
    ctypedef struct fastnn_dw_geo:
        long h, w, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw
    void fastnn_dw_forward_f(const float *x, const float *k, float *y, const fastnn_dw_geo *g)
    void fastnn_dw_forward_d(const double *x, const double *k, double *y, const fastnn_dw_geo *g)
    void fastnn_dw_backward_input_f(const float *dy, const float *k, float *dx,
                                    const fastnn_dw_geo *g)
    void fastnn_dw_backward_input_d(const double *dy, const double *k, double *dx,
                                    const fastnn_dw_geo *g)
    void fastnn_dw_backward_weight_f(const float *dy, const float *x, float *acc,
                                     const fastnn_dw_geo *g)
    void fastnn_dw_backward_weight_d(const double *dy, const double *x, double *acc,
                                     const fastnn_dw_geo *g)
    void fastnn_dw_reduce_f(const float *acc, float *dk, const fastnn_dw_geo *g)
    void fastnn_dw_reduce_d(const double *acc, double *dk, const fastnn_dw_geo *g)


cdef fastnn_dw_geo _dw_geo(Py_ssize_t h, Py_ssize_t w, Py_ssize_t kh, Py_ssize_t kw,
                           Py_ssize_t ho, Py_ssize_t wo, int sh, int sw, int ph, int pw,
                           int dh, int dw):
    cdef fastnn_dw_geo g
    g.h, g.w, g.kh, g.kw, g.ho, g.wo = h, w, kh, kw, ho, wo
    g.sh, g.sw, g.ph, g.pw, g.dh, g.dw = sh, sw, ph, pw, dh, dw
    return g


# The job of the three entry points below; an item is a plane (forward: one
# (sample, output channel), input gradient: one (sample, input channel)) or,
# for the weight gradient, an output channel with the batch summed inside.
cdef struct _Depthwise:
    bint f32                # float32 arrays, else float64
    fastnn_dw_geo g
    const void *x
    const void *w
    const void *dy
    void *y
    void *dx
    void *dw
    void *acc               # weight gradient: one scratch row per thread
    Py_ssize_t n, c, o, m, acc_ld


cdef _Depthwise _depthwise(bint f32, Py_ssize_t n, Py_ssize_t c, Py_ssize_t o, Py_ssize_t h,
                           Py_ssize_t w, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t ho,
                           Py_ssize_t wo, int sh, int sw, int ph, int pw, int dh, int dw):
    cdef _Depthwise j
    memset(&j, 0, sizeof(j))
    j.f32, j.n, j.c, j.o, j.m = f32, n, c, o, o // c
    j.g = _dw_geo(h, w, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw)
    return j


cdef inline int _dw_team(const _Depthwise *j) noexcept nogil:
    return fastnn_team(<double>(j.n * j.o) * j.g.ho * j.g.wo * j.g.kh * j.g.kw,
                       <double>FASTNN_PAR_MIN_MACS)


cdef void _dw_forward_item(const void *job, Py_ssize_t plane, int t,
                           const fastnn_flag_t *stop) noexcept nogil:
    # plane = sample * O + oc reads input channel oc // M of that sample
    cdef _Depthwise *j = <_Depthwise *>job
    cdef Py_ssize_t oc = plane % j.o
    cdef Py_ssize_t xi = ((plane // j.o) * j.c + oc // j.m) * j.g.h * j.g.w
    cdef Py_ssize_t wi = oc * j.g.kh * j.g.kw, yi = plane * j.g.ho * j.g.wo
    if j.f32:
        fastnn_dw_forward_f(<const float *>j.x + xi, <const float *>j.w + wi, <float *>j.y + yi,
                            &j.g)
    else:
        fastnn_dw_forward_d(<const double *>j.x + xi, <const double *>j.w + wi,
                            <double *>j.y + yi, &j.g)


cdef void _dw_input_item(const void *job, Py_ssize_t plane, int t,
                         const fastnn_flag_t *stop) noexcept nogil:
    # plane = sample * C + ch gathers the M output channels ch*M .. ch*M + M-1
    cdef _Depthwise *j = <_Depthwise *>job
    cdef Py_ssize_t k, oc, hw = j.g.h * j.g.w, dyi, wi
    if j.f32:
        memset(<float *>j.dx + plane * hw, 0, hw * sizeof(float))
    else:
        memset(<double *>j.dx + plane * hw, 0, hw * sizeof(double))
    for k in range(j.m):
        oc = (plane % j.c) * j.m + k
        dyi = ((plane // j.c) * j.o + oc) * j.g.ho * j.g.wo
        wi = oc * j.g.kh * j.g.kw
        if j.f32:
            fastnn_dw_backward_input_f(<const float *>j.dy + dyi, <const float *>j.w + wi,
                                       <float *>j.dx + plane * hw, &j.g)
        else:
            fastnn_dw_backward_input_d(<const double *>j.dy + dyi, <const double *>j.w + wi,
                                       <double *>j.dx + plane * hw, &j.g)


cdef void _dw_weight_item(const void *job, Py_ssize_t oc, int t,
                          const fastnn_flag_t *stop) noexcept nogil:
    # one output channel, the batch summed inside: no two threads write one dw[oc]
    cdef _Depthwise *j = <_Depthwise *>job
    cdef Py_ssize_t s, dyi, xi, kk = j.g.kh * j.g.kw
    if j.f32:
        memset(<float *>j.acc + t * j.acc_ld, 0, kk * j.g.wo * sizeof(float))
    else:
        memset(<double *>j.acc + t * j.acc_ld, 0, kk * j.g.wo * sizeof(double))
    for s in range(j.n):
        dyi = (s * j.o + oc) * j.g.ho * j.g.wo
        xi = (s * j.c + oc // j.m) * j.g.h * j.g.w
        if j.f32:
            fastnn_dw_backward_weight_f(<const float *>j.dy + dyi, <const float *>j.x + xi,
                                        <float *>j.acc + t * j.acc_ld, &j.g)
        else:
            fastnn_dw_backward_weight_d(<const double *>j.dy + dyi, <const double *>j.x + xi,
                                        <double *>j.acc + t * j.acc_ld, &j.g)
    if j.f32:
        fastnn_dw_reduce_f(<float *>j.acc + t * j.acc_ld, <float *>j.dw + oc * kk, &j.g)
    else:
        fastnn_dw_reduce_d(<double *>j.acc + t * j.acc_ld, <double *>j.dw + oc * kk, &j.g)


def depthwise_forward(const real[:, :, :, ::1] x, const real[:, :, :, ::1] w, real[:, :, :, ::1] y,
                      int sh, int sw, int ph, int pw, int dh, int dw):
    """y[n, o] = sum_{i,j} w[o, 0, i, j] * xpad[n, o // M, oh*sh + i*dh, ow*sw + j*dw], M = O // C."""
    cdef _Depthwise j = _depthwise(real is float, x.shape[0], x.shape[1], w.shape[0], x.shape[2],
                                   x.shape[3], w.shape[2], w.shape[3], y.shape[2], y.shape[3],
                                   sh, sw, ph, pw, dh, dw)
    j.x, j.w, j.y = &x[0, 0, 0, 0], &w[0, 0, 0, 0], &y[0, 0, 0, 0]
    run_items(_dw_forward_item, &j, j.n * j.o, _dw_team(&j))


def depthwise_backward_input(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] w, real[:, :, :, ::1] dx,
                             int sh, int sw, int ph, int pw, int dh, int dw):
    """dx[n, c] = sum over the M outputs o of channel c of the scattered w[o] * dy[n, o]."""
    cdef _Depthwise j = _depthwise(real is float, dx.shape[0], dx.shape[1], w.shape[0],
                                   dx.shape[2], dx.shape[3], w.shape[2], w.shape[3], dy.shape[2],
                                   dy.shape[3], sh, sw, ph, pw, dh, dw)
    j.dy, j.w, j.dx = &dy[0, 0, 0, 0], &w[0, 0, 0, 0], &dx[0, 0, 0, 0]
    run_items(_dw_input_item, &j, j.n * j.c, _dw_team(&j))


def depthwise_backward_weight(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] x, real[:, :, :, ::1] dw_,
                              real[:, ::1] acc, int sh, int sw, int ph, int pw, int dh, int dw):
    """dw[o, 0, i, j] = sum_{n, oh, ow} dy[n, o, oh, ow] * xpad[n, o // M, oh*sh + i*dh, ow*sw + j*dw].

    acc is per-thread scratch, (threads, kH*kW*Wo).
    """
    cdef _Depthwise j = _depthwise(real is float, x.shape[0], x.shape[1], dw_.shape[0], x.shape[2],
                                   x.shape[3], dw_.shape[2], dw_.shape[3], dy.shape[2],
                                   dy.shape[3], sh, sw, ph, pw, dh, dw)
    j.dy, j.x, j.dw = &dy[0, 0, 0, 0], &x[0, 0, 0, 0], &dw_[0, 0, 0, 0]
    j.acc, j.acc_ld = &acc[0, 0], acc.shape[1]
    run_items(_dw_weight_item, &j, j.o, acc.shape[0])
