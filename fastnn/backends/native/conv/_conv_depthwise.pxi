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


def depthwise_forward(const real[:, :, :, ::1] x, const real[:, :, :, ::1] w, real[:, :, :, ::1] y,
                      int sh, int sw, int ph, int pw, int dh, int dw):
    """y[n, o] = sum_{i,j} w[o, 0, i, j] * xpad[n, o // M, oh*sh + i*dh, ow*sw + j*dw], M = O // C."""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], o = w.shape[0], m = o // c, plane
    cdef fastnn_dw_geo g = _dw_geo(x.shape[2], x.shape[3], w.shape[2], w.shape[3], y.shape[2],
                                   y.shape[3], sh, sw, ph, pw, dh, dw)
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        for plane in prange(n * o, schedule="static",
                            num_threads=fastnn_team(<double>(n * o) * g.ho * g.wo * g.kh * g.kw,
                                                    <double>FASTNN_PAR_MIN_MACS)):
            if fastnn_stopped(stop):
                continue
            if real is float:
                fastnn_dw_forward_f(&x[plane // o, (plane % o) // m, 0, 0], &w[plane % o, 0, 0, 0],
                                    &y[plane // o, plane % o, 0, 0], &g)
            else:
                fastnn_dw_forward_d(&x[plane // o, (plane % o) // m, 0, 0], &w[plane % o, 0, 0, 0],
                                    &y[plane // o, plane % o, 0, 0], &g)
    _interrupt.after()


def depthwise_backward_input(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] w, real[:, :, :, ::1] dx,
                             int sh, int sw, int ph, int pw, int dh, int dw):
    """dx[n, c] = sum over the M outputs o of channel c of the scattered w[o] * dy[n, o]."""
    cdef Py_ssize_t n = dx.shape[0], c = dx.shape[1], o = w.shape[0], m = o // c
    cdef Py_ssize_t plane, k, oc
    cdef fastnn_dw_geo g = _dw_geo(dx.shape[2], dx.shape[3], w.shape[2], w.shape[3], dy.shape[2],
                                   dy.shape[3], sh, sw, ph, pw, dh, dw)
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        for plane in prange(n * c, schedule="static",
                            num_threads=fastnn_team(<double>(n * o) * g.ho * g.wo * g.kh * g.kw,
                                                    <double>FASTNN_PAR_MIN_MACS)):
            if fastnn_stopped(stop):
                continue
            memset(&dx[plane // c, plane % c, 0, 0], 0, g.h * g.w * sizeof(real))
            for k in range(m):
                oc = (plane % c) * m + k
                if real is float:
                    fastnn_dw_backward_input_f(&dy[plane // c, oc, 0, 0], &w[oc, 0, 0, 0],
                                               &dx[plane // c, plane % c, 0, 0], &g)
                else:
                    fastnn_dw_backward_input_d(&dy[plane // c, oc, 0, 0], &w[oc, 0, 0, 0],
                                               &dx[plane // c, plane % c, 0, 0], &g)
    _interrupt.after()


def depthwise_backward_weight(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] x, real[:, :, :, ::1] dw_,
                              real[:, ::1] acc, int sh, int sw, int ph, int pw, int dh, int dw):
    """dw[o, 0, i, j] = sum_{n, oh, ow} dy[n, o, oh, ow] * xpad[n, o // M, oh*sh + i*dh, ow*sw + j*dw].

    acc is per-thread scratch, (threads, kH*kW*Wo).
    """
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], o = dw_.shape[0], m = o // c
    cdef Py_ssize_t oc, s
    cdef int nt = acc.shape[0], t
    cdef fastnn_dw_geo g = _dw_geo(x.shape[2], x.shape[3], dw_.shape[2], dw_.shape[3],
                                   dy.shape[2], dy.shape[3], sh, sw, ph, pw, dh, dw)
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        # One output channel per iteration, the batch summed inside: no races.
        for oc in prange(o, schedule="static", num_threads=nt):
            if fastnn_stopped(stop):
                continue
            t = threadid()
            memset(&acc[t, 0], 0, g.kh * g.kw * g.wo * sizeof(real))
            for s in range(n):
                if real is float:
                    fastnn_dw_backward_weight_f(&dy[s, oc, 0, 0], &x[s, oc // m, 0, 0], &acc[t, 0], &g)
                else:
                    fastnn_dw_backward_weight_d(&dy[s, oc, 0, 0], &x[s, oc // m, 0, 0], &acc[t, 0], &g)
            if real is float:
                fastnn_dw_reduce_f(&acc[t, 0], &dw_[oc, 0, 0, 0], &g)
            else:
                fastnn_dw_reduce_d(&acc[t, 0], &dw_[oc, 0, 0, 0], &g)
    _interrupt.after()

