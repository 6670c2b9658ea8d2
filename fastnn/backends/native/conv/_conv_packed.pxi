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


cdef void _packed_forward_item(const void *job, Py_ssize_t s, int t,
                               const fastnn_flag_t *stop) noexcept nogil:
    cdef _Samples *j = <_Samples *>job
    if j.f32:
        fastnn_cg_forward_f(j.v, <const float *>j.x + s * j.xs, <const float *>j.w,
                            <const float *>j.bias, <float *>j.y + s * j.ys, j.o, &j.g, j.chunk,
                            <float *>j.scratch + t * j.scratch_ld, stop)
    else:
        fastnn_cg_forward_d(j.v, <const double *>j.x + s * j.xs, <const double *>j.w,
                            <const double *>j.bias, <double *>j.y + s * j.ys, j.o, &j.g, j.chunk,
                            <double *>j.scratch + t * j.scratch_ld, stop)


cdef void _packed_backward_item(const void *job, Py_ssize_t s, int t,
                                const fastnn_flag_t *stop) noexcept nogil:
    cdef _Samples *j = <_Samples *>job
    if j.f32:
        fastnn_cg_backward_f(j.v, <const float *>j.dy + s * j.ys, <const float *>j.x + s * j.xs,
                             <const float *>j.w, <float *>j.dx + s * j.xs,
                             <float *>j.part + t * j.part_ld, j.o, &j.g, j.chunk,
                             <float *>j.scratch + t * j.scratch_ld, stop)
    else:
        fastnn_cg_backward_d(j.v, <const double *>j.dy + s * j.ys, <const double *>j.x + s * j.xs,
                             <const double *>j.w, <double *>j.dx + s * j.xs,
                             <double *>j.part + t * j.part_ld, j.o, &j.g, j.chunk,
                             <double *>j.scratch + t * j.scratch_ld, stop)


def forward_packed(const real[:, :, :, ::1] x, const real[:, :, :, ::1] w, const real[::1] b, real[:, :, :, ::1] y,
                   real[::1] wpack, real[:, ::1] scratch, int chunk, tuple params):
    """y[n] = w @ im2col(x[n]) + b (groups 1), sample by sample; one scratch row per thread.

    Sizes from packed_sizes; b has O entries or none.
    """
    cdef _Samples j = _samples(real is float, x.shape, w.shape[0], w.shape[2], w.shape[3], params,
                               &scratch[0, 0], scratch.shape[1], chunk)
    cdef Py_ssize_t k = w.shape[1] * w.shape[2] * w.shape[3]
    j.x, j.w, j.y = &x[0, 0, 0, 0], &wpack[0], &y[0, 0, 0, 0]
    j.bias = &b[0] if b.shape[0] > 0 else NULL
    with nogil:
        if real is float:
            fastnn_cg_pack_w_f(j.v, &w[0, 0, 0, 0], j.o, k, &wpack[0])
        else:
            fastnn_cg_pack_w_d(j.v, &w[0, 0, 0, 0], j.o, k, &wpack[0])
    run_items(_packed_forward_item, &j, j.n, scratch.shape[0])


def backward_packed(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] x, const real[:, :, :, ::1] w,
                    real[:, :, :, ::1] dx, real[:, :, ::1] dwt_part, real[::1] wpack,
                    real[:, ::1] scratch, int chunk, tuple params):
    """dx[n] = col2im(w^T @ dy[n]); dwt_part[t] += sum over thread t's samples of im2col(x[n]) @ dy[n]^T.

    dwt_part is (threads, C*kH*kW, O), zero on entry: the transposed weight
    gradient per thread, summed and transposed by the caller.
    """
    cdef _Samples j = _samples(real is float, x.shape, w.shape[0], w.shape[2], w.shape[3], params,
                               &scratch[0, 0], scratch.shape[1], chunk)
    cdef Py_ssize_t k = w.shape[1] * w.shape[2] * w.shape[3]
    j.dy, j.x, j.w, j.dx = &dy[0, 0, 0, 0], &x[0, 0, 0, 0], &wpack[0], &dx[0, 0, 0, 0]
    j.part, j.part_ld = &dwt_part[0, 0, 0], dwt_part.shape[1] * dwt_part.shape[2]
    with nogil:
        if real is float:
            fastnn_cg_pack_wt_f(j.v, &w[0, 0, 0, 0], j.o, k, &wpack[0])
        else:
            fastnn_cg_pack_wt_d(j.v, &w[0, 0, 0, 0], j.o, k, &wpack[0])
    run_items(_packed_backward_item, &j, j.n, scratch.shape[0])
