# Convolution helpers, compiled: im2col, col2im and a direct depthwise kernel.
#
# im2col copies the input windows of each sample into a (C*kH*kW, Ho*Wo)
# matrix so that the convolution becomes a GEMM (done by the caller);
# col2im scatter-adds such a matrix back onto the input grid (the gradient).
# Both work one (sample, channel) plane per OpenMP iteration: planes are
# independent, so there are no write races. Rows are filled in three runs
# (left padding, interior, right padding) so the interior loop has no branch
# and vectorises. The depthwise kernels (one input channel per group) skip
# the GEMM entirely: with Cg = 1 it would be a K = kH*kW product, all overhead.
# Reference: fastnn/backends/numpy_ref/conv.py. Callers (conv.py) validate
# shapes and pass C-contiguous arrays only.
from cython.parallel cimport prange
from libc.string cimport memset

ctypedef fused real:
    float
    double


# Outputs o with 0 <= o*s + off < size form the range [lo, hi). Two functions
# returning values, not one writing through pointers: inside prange, Cython
# only makes a variable thread-private when it sees it assigned.
cdef inline Py_ssize_t _lo(Py_ssize_t off, Py_ssize_t s, Py_ssize_t nout) noexcept nogil:
    cdef Py_ssize_t a = 0
    if off < 0:
        a = (-off + s - 1) // s
    return a if a < nout else nout


cdef inline Py_ssize_t _hi(Py_ssize_t off, Py_ssize_t s, Py_ssize_t size, Py_ssize_t nout,
                           Py_ssize_t lo) noexcept nogil:
    cdef Py_ssize_t b = 0
    if size - 1 - off >= 0:
        b = (size - 1 - off) // s + 1
    if b > nout:
        b = nout
    return b if b > lo else lo


def im2col(real[:, :, :, ::1] x, real[:, :, ::1] cols, int kh, int kw, int sh, int sw,
           int ph, int pw, int dh, int dw, int ho, int wo):
    """cols[n, (c*kh + i)*kw + j, oh*wo + ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]."""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
    cdef Py_ssize_t plane, i, j, oh, ow, ih, lo, hi, off
    cdef real *src
    cdef real *dst
    with nogil:
        for plane in prange(n * c, schedule="static"):
            for i in range(kh):
                for j in range(kw):
                    dst = &cols[plane // c, ((plane % c) * kh + i) * kw + j, 0]
                    off = j * dw - pw
                    lo = _lo(off, sw, wo)
                    hi = _hi(off, sw, wd, wo, lo)
                    for oh in range(ho):
                        ih = oh * sh + i * dh - ph
                        if ih < 0 or ih >= h:
                            memset(dst, 0, wo * sizeof(real))
                        else:
                            src = &x[plane // c, plane % c, ih, 0]
                            for ow in range(lo):
                                dst[ow] = 0
                            if sw == 1:
                                for ow in range(lo, hi):
                                    dst[ow] = src[ow + off]
                            else:
                                for ow in range(lo, hi):
                                    dst[ow] = src[ow * sw + off]
                            for ow in range(hi, wo):
                                dst[ow] = 0
                        dst = dst + wo


def col2im(real[:, :, ::1] cols, real[:, :, :, ::1] dx, int kh, int kw, int sh, int sw,
           int ph, int pw, int dh, int dw, int ho, int wo):
    """dx[n, c, ih, iw] = sum of cols entries that im2col copied from (ih, iw)."""
    cdef Py_ssize_t n = dx.shape[0], c = dx.shape[1], h = dx.shape[2], wd = dx.shape[3]
    cdef Py_ssize_t plane, i, j, oh, ow, ih, lo, hi, off
    cdef real *src
    cdef real *dst
    with nogil:
        for plane in prange(n * c, schedule="static"):
            memset(&dx[plane // c, plane % c, 0, 0], 0, h * wd * sizeof(real))
            for i in range(kh):
                for j in range(kw):
                    src = &cols[plane // c, ((plane % c) * kh + i) * kw + j, 0]
                    off = j * dw - pw
                    lo = _lo(off, sw, wo)
                    hi = _hi(off, sw, wd, wo, lo)
                    for oh in range(ho):
                        ih = oh * sh + i * dh - ph
                        if ih >= 0 and ih < h:
                            dst = &dx[plane // c, plane % c, ih, 0]
                            if sw == 1:
                                for ow in range(lo, hi):
                                    dst[ow + off] += src[ow]
                            else:
                                for ow in range(lo, hi):
                                    dst[ow * sw + off] += src[ow]
                        src = src + wo


def depthwise_forward(real[:, :, :, ::1] x, real[:, :, :, ::1] w, real[:, :, :, ::1] y,
                      int sh, int sw, int ph, int pw, int dh, int dw):
    """y[n, o] = sum_{i,j} w[o, 0, i, j] * xpad[n, o // M, oh*sh + i*dh, ow*sw + j*dw], M = O // C."""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
    cdef Py_ssize_t o = w.shape[0], kh = w.shape[2], kw = w.shape[3], m = o // c
    cdef Py_ssize_t ho = y.shape[2], wo = y.shape[3]
    cdef Py_ssize_t plane, i, j, oh, ow, ih, lo, hi, off
    cdef real wij
    cdef real *src
    cdef real *dst
    with nogil:
        for plane in prange(n * o, schedule="static"):
            memset(&y[plane // o, plane % o, 0, 0], 0, ho * wo * sizeof(real))
            for i in range(kh):
                for j in range(kw):
                    wij = w[plane % o, 0, i, j]
                    off = j * dw - pw
                    lo = _lo(off, sw, wo)
                    hi = _hi(off, sw, wd, wo, lo)
                    for oh in range(ho):
                        ih = oh * sh + i * dh - ph
                        if ih >= 0 and ih < h:
                            src = &x[plane // o, (plane % o) // m, ih, 0]
                            dst = &y[plane // o, plane % o, oh, 0]
                            if sw == 1:
                                for ow in range(lo, hi):
                                    dst[ow] += wij * src[ow + off]
                            else:
                                for ow in range(lo, hi):
                                    dst[ow] += wij * src[ow * sw + off]


def depthwise_backward_input(real[:, :, :, ::1] dy, real[:, :, :, ::1] w, real[:, :, :, ::1] dx,
                             int sh, int sw, int ph, int pw, int dh, int dw):
    """dx[n, c] = sum over the M outputs o of channel c of the scattered w[o] * dy[n, o]."""
    cdef Py_ssize_t n = dx.shape[0], c = dx.shape[1], h = dx.shape[2], wd = dx.shape[3]
    cdef Py_ssize_t o = w.shape[0], kh = w.shape[2], kw = w.shape[3], m = o // c
    cdef Py_ssize_t ho = dy.shape[2], wo = dy.shape[3]
    cdef Py_ssize_t plane, k, oc, i, j, oh, ow, ih, lo, hi, off
    cdef real wij
    cdef real *src
    cdef real *dst
    with nogil:
        for plane in prange(n * c, schedule="static"):
            memset(&dx[plane // c, plane % c, 0, 0], 0, h * wd * sizeof(real))
            for k in range(m):
                oc = (plane % c) * m + k
                for i in range(kh):
                    for j in range(kw):
                        wij = w[oc, 0, i, j]
                        off = j * dw - pw
                        lo = _lo(off, sw, wo)
                        hi = _hi(off, sw, wd, wo, lo)
                        for oh in range(ho):
                            ih = oh * sh + i * dh - ph
                            if ih >= 0 and ih < h:
                                src = &dy[plane // c, oc, oh, 0]
                                dst = &dx[plane // c, plane % c, ih, 0]
                                if sw == 1:
                                    for ow in range(lo, hi):
                                        dst[ow + off] += wij * src[ow]
                                else:
                                    for ow in range(lo, hi):
                                        dst[ow * sw + off] += wij * src[ow]


def depthwise_backward_weight(real[:, :, :, ::1] dy, real[:, :, :, ::1] x, real[:, :, :, ::1] dw_,
                              int sh, int sw, int ph, int pw, int dh, int dw):
    """dw[o, 0, i, j] = sum_{n, oh, ow} dy[n, o, oh, ow] * xpad[n, o // M, oh*sh + i*dh, ow*sw + j*dw]."""
    cdef Py_ssize_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
    cdef Py_ssize_t o = dw_.shape[0], kh = dw_.shape[2], kw = dw_.shape[3], m = o // c
    cdef Py_ssize_t ho = dy.shape[2], wo = dy.shape[3]
    cdef Py_ssize_t oc, s, i, j, oh, ow, ih, lo, hi, off
    cdef real acc
    cdef real *src
    cdef real *g
    with nogil:
        # One output channel per iteration, the batch summed inside: no races.
        for oc in prange(o, schedule="static"):
            for i in range(kh):
                for j in range(kw):
                    acc = 0
                    off = j * dw - pw
                    lo = _lo(off, sw, wo)
                    hi = _hi(off, sw, wd, wo, lo)
                    for s in range(n):
                        for oh in range(ho):
                            ih = oh * sh + i * dh - ph
                            if ih >= 0 and ih < h:
                                src = &x[s, oc // m, ih, 0]
                                g = &dy[s, oc, oh, 0]
                                if sw == 1:
                                    for ow in range(lo, hi):
                                        acc = acc + g[ow] * src[ow + off]
                                else:
                                    for ow in range(lo, hi):
                                        acc = acc + g[ow] * src[ow * sw + off]
                    dw_[oc, 0, i, j] = acc
