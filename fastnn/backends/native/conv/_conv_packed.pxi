# Included by _conv.pyx: the packed path (groups 1, not the plain 1x1):
# conv_gemm_kernel.c runs the GEMM micro-kernel on panels that im2col fills
# directly, with the weights packed once per call and tiles stored straight
# into y; forward_packed / backward_packed below give it whole samples, one
# scratch row per thread. Reference: fastnn/backends/numpy_ref/conv.py.

cdef extern from "conv_gemm_kernel.h" nogil:
    long fastnn_cg_wpack_size(long o, long k)
    long fastnn_cg_scratch_size(long o, const fastnn_conv_geo *g, long chunk)
    void fastnn_cg_pack_w_f(int v, const float *w, long o, long k, float *wp)
    void fastnn_cg_pack_w_d(int v, const double *w, long o, long k, double *wp)
    void fastnn_cg_pack_wt_f(int v, const float *w, long o, long k, float *wtp)
    void fastnn_cg_pack_wt_d(int v, const double *w, long o, long k, double *wtp)
    void fastnn_cg_forward_f(int v, const float *x, const float *wp, const float *bias, float *y,
                             long o, const fastnn_conv_geo *g, long chunk, float *scratch,
                             const fastnn_flag_t *stop)
    void fastnn_cg_forward_d(int v, const double *x, const double *wp, const double *bias,
                             double *y, long o, const fastnn_conv_geo *g, long chunk,
                             double *scratch,
                             const fastnn_flag_t *stop)
    void fastnn_cg_backward_f(int v, const float *dy, const float *x, const float *wtp, float *dx,
                              float *dwt, long o, const fastnn_conv_geo *g, long chunk,
                              float *scratch,
                             const fastnn_flag_t *stop)
    void fastnn_cg_backward_d(int v, const double *dy, const double *x, const double *wtp,
                              double *dx, double *dwt, long o, const fastnn_conv_geo *g,
                              long chunk, double *scratch,
                             const fastnn_flag_t *stop)


def packed_sizes(Py_ssize_t o, Py_ssize_t c, Py_ssize_t h, Py_ssize_t w, Py_ssize_t kh,
                 Py_ssize_t kw, tuple params, Py_ssize_t chunk):
    """(packed weights, per-thread scratch) element counts for the packed path."""
    cdef Geo g = _geo(c, h, w, kh, kw, params)
    return (fastnn_cg_wpack_size(o, c * kh * kw), fastnn_cg_scratch_size(o, &g, chunk))


def forward_packed(const real[:, :, :, ::1] x, const real[:, :, :, ::1] w, const real[::1] b, real[:, :, :, ::1] y,
                   real[::1] wpack, real[:, ::1] scratch, int chunk, tuple params):
    """y[n] = w @ im2col(x[n]) + b (groups 1), sample by sample; one scratch row per thread.

    Sizes from packed_sizes; b has O entries or none.
    """
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef Py_ssize_t n = x.shape[0], o = w.shape[0], k = w.shape[1] * w.shape[2] * w.shape[3]
    cdef Py_ssize_t s, ys = o * g.ho * g.wo, xs = g.c * g.h * g.w
    cdef int nt = scratch.shape[0], t, v = _isa.fastnn_isa()
    cdef const real *bias = &b[0] if b.shape[0] > 0 else NULL
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        if real is float:
            fastnn_cg_pack_w_f(v, &w[0, 0, 0, 0], o, k, &wpack[0])
        else:
            fastnn_cg_pack_w_d(v, &w[0, 0, 0, 0], o, k, &wpack[0])
        for s in prange(n, schedule="static", num_threads=nt):
            if fastnn_stopped(stop):
                continue
            t = threadid()
            if real is float:
                fastnn_cg_forward_f(v, &x[0, 0, 0, 0] + s * xs, &wpack[0], bias,
                                    &y[0, 0, 0, 0] + s * ys, o, &g, chunk, &scratch[t, 0], stop)
            else:
                fastnn_cg_forward_d(v, &x[0, 0, 0, 0] + s * xs, &wpack[0], bias,
                                    &y[0, 0, 0, 0] + s * ys, o, &g, chunk, &scratch[t, 0], stop)
    _interrupt.after()


def backward_packed(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] x, const real[:, :, :, ::1] w,
                    real[:, :, :, ::1] dx, real[:, :, ::1] dwt_part, real[::1] wpack,
                    real[:, ::1] scratch, int chunk, tuple params):
    """dx[n] = col2im(w^T @ dy[n]); dwt_part[t] += sum over thread t's samples of im2col(x[n]) @ dy[n]^T.

    dwt_part is (threads, C*kH*kW, O), zero on entry: the transposed weight
    gradient per thread, summed and transposed by the caller.
    """
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef Py_ssize_t n = x.shape[0], o = w.shape[0], k = w.shape[1] * w.shape[2] * w.shape[3]
    cdef Py_ssize_t s, ys = o * g.ho * g.wo, xs = g.c * g.h * g.w
    cdef int nt = scratch.shape[0], t, v = _isa.fastnn_isa()
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        if real is float:
            fastnn_cg_pack_wt_f(v, &w[0, 0, 0, 0], o, k, &wpack[0])
        else:
            fastnn_cg_pack_wt_d(v, &w[0, 0, 0, 0], o, k, &wpack[0])
        for s in prange(n, schedule="static", num_threads=nt):
            if fastnn_stopped(stop):
                continue
            t = threadid()
            if real is float:
                fastnn_cg_backward_f(v, &dy[0, 0, 0, 0] + s * ys, &x[0, 0, 0, 0] + s * xs,
                                     &wpack[0], &dx[0, 0, 0, 0] + s * xs, &dwt_part[t, 0, 0], o,
                                     &g, chunk, &scratch[t, 0], stop)
            else:
                fastnn_cg_backward_d(v, &dy[0, 0, 0, 0] + s * ys, &x[0, 0, 0, 0] + s * xs,
                                     &wpack[0], &dx[0, 0, 0, 0] + s * xs, &dwt_part[t, 0, 0], o,
                                     &g, chunk, &scratch[t, 0], stop)
    _interrupt.after()
