# distutils: sources = fastnn/backends/native/pool/pool_kernel.c fastnn/backends/native/common/isa_link.c fastnn/backends/native/common/interrupt_link.c
# 2-D pooling kernels (max, average, adaptive average) over NCHW planes.
#
# Direct loops, no im2col: every output reads its window straight from the
# input plane, following PyTorch's CPU kernels index for index (window
# clipping, NaN-propagating argmax, divisor rules), so results and argmax
# indices match F.max_pool2d / F.avg_pool2d / F.adaptive_avg_pool2d.
# OpenMP splits the N*C planes across threads; planes are independent, so the
# backward scatters need no atomics. 2x2 stride-2 unpadded max pool has its own
# loop in pool_kernel.c (branchless 4-way compare forward, direct writes
# instead of memset+scatter backward). Ctrl-C stops the plane loops (see below). Callers (pool/__init__.py) validate everything and
# pass C-contiguous (planes, H, W) views. Reference: fastnn/backends/numpy_ref/pool.py.
from cython.parallel cimport prange
from libc.stdint cimport int64_t
from libc.string cimport memset

ctypedef fused real:
    float
    double

# The CPU dispatch's level, common to every family (common/isa.h): this
# module's C code reads it with fastnn_isa(), through the pointer linked here.
from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())
# Ctrl-C (common/interrupt.h): the plane loops poll the one interrupt flag and
# skip their remaining planes; before()/after() around each raise
# KeyboardInterrupt when it arrived meanwhile.
from ..common cimport _interrupt
from ..common._interrupt cimport fastnn_flag_t, fastnn_stopped
_interrupt.fastnn_interrupt_link(_interrupt.watch)


def isa_level():
    """The ISA level this module's C code runs now, as a number (tests: every
    compiled module follows the one decision in common/_isa)."""
    return _isa.fastnn_isa()


cdef extern from "common/parallel.h":
    double FASTNN_PAR_MIN_ELEMS
    int fastnn_team(double work, double min_work) nogil


cdef inline int _team(Py_ssize_t elements) noexcept nogil:
    # small inputs stay on the calling thread: waking a sleeping team costs more (parallel.h)
    return fastnn_team(<double>elements, <double>FASTNN_PAR_MIN_ELEMS)


cdef extern from "<math.h>":
    double INFINITY


# ---------------------------------------------------------------- max pool

cdef inline void _max_plane(const real* xp, real* yp, int64_t* ip, Py_ssize_t H, Py_ssize_t W,
                            Py_ssize_t OH, Py_ssize_t OW, int kh, int kw, int sh, int sw,
                            int ph, int pw, int dh, int dw) noexcept nogil:
    cdef Py_ssize_t oh, ow, h0, h1, w0, w1, ih, iw, bi, wstart
    cdef real best, v
    for oh in range(OH):
        h0 = oh * sh - ph
        h1 = h0 + (kh - 1) * dh + 1
        if h1 > H:
            h1 = H
        while h0 < 0:
            h0 += dh
        for ow in range(OW):
            w0 = ow * sw - pw
            w1 = w0 + (kw - 1) * dw + 1
            if w1 > W:
                w1 = W
            while w0 < 0:
                w0 += dw
            # PyTorch starts from the first in-bounds position with -inf, so an
            # all -inf window still reports that position
            bi = h0 * W + w0
            best = -INFINITY
            ih = h0
            while ih < h1:
                iw = w0
                while iw < w1:
                    v = xp[ih * W + iw]
                    if v > best or v != v:
                        best = v
                        bi = ih * W + iw
                    iw += dw
                ih += dh
            yp[oh * OW + ow] = best
            ip[oh * OW + ow] = bi


cdef extern from "pool_kernel.h" nogil:
    void fastnn_maxpool2x2_fwd_f(const float *x, float *y, int64_t *idx, long W, long OH, long OW)
    void fastnn_maxpool2x2_fwd_d(const double *x, double *y, int64_t *idx, long W, long OH,
                                 long OW)
    void fastnn_maxpool2x2_bwd_f(const float *dy, const int64_t *idx, float *dx, long H, long W,
                                 long OH, long OW)
    void fastnn_maxpool2x2_bwd_d(const double *dy, const int64_t *idx, double *dx, long H,
                                 long W, long OH, long OW)


cdef inline void _max_plane_2x2(const real* xp, real* yp, int64_t* ip, Py_ssize_t W,
                                Py_ssize_t OH, Py_ssize_t OW) noexcept nogil:
    if real is float:
        fastnn_maxpool2x2_fwd_f(xp, yp, ip, W, OH, OW)
    else:
        fastnn_maxpool2x2_fwd_d(xp, yp, ip, W, OH, OW)


def max_pool2d_fwd(const real[:, :, ::1] x, real[:, :, ::1] y, int64_t[:, :, ::1] idx,
                   int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, bint fast):
    cdef Py_ssize_t P = x.shape[0], H = x.shape[1], W = x.shape[2]
    cdef Py_ssize_t OH = y.shape[1], OW = y.shape[2], pl
    if P == 0:
        return
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    for pl in prange(P, nogil=True, schedule="static", num_threads=_team(P * H * W)):
        if fastnn_stopped(stop):
            continue
        if fast:
            _max_plane_2x2(&x[pl, 0, 0], &y[pl, 0, 0], &idx[pl, 0, 0], W, OH, OW)
        else:
            _max_plane(&x[pl, 0, 0], &y[pl, 0, 0], &idx[pl, 0, 0], H, W, OH, OW,
                       kh, kw, sh, sw, ph, pw, dh, dw)
    _interrupt.after()


cdef inline void _max_back_plane(const real* gp, const int64_t* ip, real* dxp,
                                 Py_ssize_t HW, Py_ssize_t OHW) noexcept nogil:
    cdef Py_ssize_t j
    cdef int64_t i
    memset(dxp, 0, HW * sizeof(real))
    for j in range(OHW):
        i = ip[j]
        if i >= 0 and i < HW:  # indices come from Python: never write outside the plane
            dxp[i] += gp[j]


cdef inline void _max_back_plane_2x2(const real* gp, const int64_t* ip, real* dxp,
                                     Py_ssize_t H, Py_ssize_t W, Py_ssize_t OH,
                                     Py_ssize_t OW) noexcept nogil:
    if real is float:
        fastnn_maxpool2x2_bwd_f(gp, ip, dxp, H, W, OH, OW)
    else:
        fastnn_maxpool2x2_bwd_d(gp, ip, dxp, H, W, OH, OW)


def max_pool2d_bwd(const real[:, :, ::1] dy, const int64_t[:, :, ::1] idx, real[:, :, ::1] dx,
                   bint fast):
    cdef Py_ssize_t P = dx.shape[0], H = dx.shape[1], W = dx.shape[2]
    cdef Py_ssize_t OH = dy.shape[1], OW = dy.shape[2], pl
    if P == 0:
        return
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    for pl in prange(P, nogil=True, schedule="static", num_threads=_team(P * H * W)):
        if fastnn_stopped(stop):
            continue
        if fast:
            _max_back_plane_2x2(&dy[pl, 0, 0], &idx[pl, 0, 0], &dx[pl, 0, 0], H, W, OH, OW)
        else:
            _max_back_plane(&dy[pl, 0, 0], &idx[pl, 0, 0], &dx[pl, 0, 0], H * W, OH * OW)
    _interrupt.after()


# ---------------------------------------------------------------- average pool

cdef inline void _avg_window(Py_ssize_t o, Py_ssize_t size, int k, int s, int p,
                             Py_ssize_t* a0, Py_ssize_t* a1, Py_ssize_t* span) noexcept nogil:
    # PyTorch: the span counts padding but stops at the padded edge
    cdef Py_ssize_t lo = o * s - p, hi
    hi = lo + k
    if hi > size + p:
        hi = size + p
    span[0] = hi - lo
    a0[0] = lo if lo > 0 else 0
    a1[0] = hi if hi < size else size


cdef inline double _avg_divisor(Py_ssize_t hspan, Py_ssize_t wspan, Py_ssize_t hn, Py_ssize_t wn,
                              bint cip, long divisor) noexcept nogil:
    if divisor != 0:
        return <double>divisor
    if cip:
        return <double>(hspan * wspan)
    return <double>(hn * wn)


cdef inline void _avg_plane(const real* xp, real* yp, Py_ssize_t H, Py_ssize_t W,
                            Py_ssize_t OH, Py_ssize_t OW, int kh, int kw, int sh, int sw,
                            int ph, int pw, bint cip, long divisor) noexcept nogil:
    # window bounds live in locals: a per-plane function keeps them thread-private
    cdef Py_ssize_t oh, ow, ih, iw, h0, h1, hspan, w0, w1, wspan
    cdef real acc
    for oh in range(OH):
        _avg_window(oh, H, kh, sh, ph, &h0, &h1, &hspan)
        for ow in range(OW):
            _avg_window(ow, W, kw, sw, pw, &w0, &w1, &wspan)
            if h0 >= h1 or w0 >= w1:
                yp[oh * OW + ow] = 0
                continue
            acc = 0
            for ih in range(h0, h1):
                for iw in range(w0, w1):
                    acc += xp[ih * W + iw]
            yp[oh * OW + ow] = acc / <real>_avg_divisor(hspan, wspan, h1 - h0, w1 - w0,
                                                        cip, divisor)


cdef inline void _avg_back_plane(const real* gp, real* dxp, Py_ssize_t H, Py_ssize_t W,
                                 Py_ssize_t OH, Py_ssize_t OW, int kh, int kw, int sh, int sw,
                                 int ph, int pw, bint cip, long divisor) noexcept nogil:
    cdef Py_ssize_t oh, ow, ih, iw, h0, h1, hspan, w0, w1, wspan
    cdef real g
    memset(dxp, 0, H * W * sizeof(real))
    for oh in range(OH):
        _avg_window(oh, H, kh, sh, ph, &h0, &h1, &hspan)
        for ow in range(OW):
            _avg_window(ow, W, kw, sw, pw, &w0, &w1, &wspan)
            if h0 >= h1 or w0 >= w1:
                continue
            g = gp[oh * OW + ow] / <real>_avg_divisor(hspan, wspan, h1 - h0, w1 - w0,
                                                      cip, divisor)
            for ih in range(h0, h1):
                for iw in range(w0, w1):
                    dxp[ih * W + iw] += g


def avg_pool2d_fwd(const real[:, :, ::1] x, real[:, :, ::1] y, int kh, int kw, int sh, int sw,
                   int ph, int pw, bint cip, long divisor):
    cdef Py_ssize_t P = x.shape[0], H = x.shape[1], W = x.shape[2]
    cdef Py_ssize_t OH = y.shape[1], OW = y.shape[2], pl
    if P == 0:
        return
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    for pl in prange(P, nogil=True, schedule="static", num_threads=_team(P * H * W)):
        if fastnn_stopped(stop):
            continue
        _avg_plane(&x[pl, 0, 0], &y[pl, 0, 0], H, W, OH, OW, kh, kw, sh, sw, ph, pw,
                   cip, divisor)
    _interrupt.after()


def avg_pool2d_bwd(const real[:, :, ::1] dy, real[:, :, ::1] dx, int kh, int kw, int sh, int sw,
                   int ph, int pw, bint cip, long divisor):
    cdef Py_ssize_t P = dx.shape[0], H = dx.shape[1], W = dx.shape[2]
    cdef Py_ssize_t OH = dy.shape[1], OW = dy.shape[2], pl
    if P == 0:
        return
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    for pl in prange(P, nogil=True, schedule="static", num_threads=_team(P * H * W)):
        if fastnn_stopped(stop):
            continue
        _avg_back_plane(&dy[pl, 0, 0], &dx[pl, 0, 0], H, W, OH, OW, kh, kw, sh, sw, ph, pw,
                        cip, divisor)
    _interrupt.after()


# ---------------------------------------------------------------- adaptive average pool

def adaptive_avg_pool2d_fwd(const real[:, :, ::1] x, real[:, :, ::1] y):
    cdef Py_ssize_t P = x.shape[0], H = x.shape[1], W = x.shape[2]
    cdef Py_ssize_t OH = y.shape[1], OW = y.shape[2], pl, oh, ow, ih, iw
    cdef Py_ssize_t h0, h1, w0, w1
    cdef const real* xp
    cdef real acc
    if P == 0:
        return
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    for pl in prange(P, nogil=True, schedule="static", num_threads=_team(P * H * W)):
        if fastnn_stopped(stop):
            continue
        xp = &x[pl, 0, 0]
        for oh in range(OH):
            h0 = (oh * H) // OH
            h1 = ((oh + 1) * H + OH - 1) // OH
            for ow in range(OW):
                w0 = (ow * W) // OW
                w1 = ((ow + 1) * W + OW - 1) // OW
                acc = 0
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        acc = acc + xp[ih * W + iw]
                y[pl, oh, ow] = acc / <real>((h1 - h0) * (w1 - w0))
    _interrupt.after()


def adaptive_avg_pool2d_bwd(const real[:, :, ::1] dy, real[:, :, ::1] dx):
    cdef Py_ssize_t P = dx.shape[0], H = dx.shape[1], W = dx.shape[2]
    cdef Py_ssize_t OH = dy.shape[1], OW = dy.shape[2], pl, oh, ow, ih, iw
    cdef Py_ssize_t h0, h1, w0, w1
    cdef real* dxp
    cdef real g
    if P == 0:
        return
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    for pl in prange(P, nogil=True, schedule="static", num_threads=_team(P * H * W)):
        if fastnn_stopped(stop):
            continue
        dxp = &dx[pl, 0, 0]
        memset(dxp, 0, H * W * sizeof(real))
        for oh in range(OH):
            h0 = (oh * H) // OH
            h1 = ((oh + 1) * H + OH - 1) // OH
            for ow in range(OW):
                w0 = (ow * W) // OW
                w1 = ((ow + 1) * W + OW - 1) // OW
                g = dy[pl, oh, ow] / <real>((h1 - h0) * (w1 - w0))
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        dxp[ih * W + iw] += g
    _interrupt.after()
