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
# instead of memset+scatter backward). Ctrl-C stops the plane loops (see below).
# Callers (pool/__init__.py) validate everything and pass C-contiguous
# (planes, H, W) views. Reference: fastnn/backends/numpy_ref/pool.py.
from libc.stdint cimport int64_t
from libc.string cimport memset

ctypedef fused real:
    float
    double

# The CPU dispatch's level, common to every family (common/isa.h): this
# module's C code reads it with fastnn_isa(), through the pointer linked here.
from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())
# Ctrl-C (common/interrupt.h): every entry point runs its planes through the
# shared shell (common/_parallel.pxd: run_items), which skips the remaining
# planes once Ctrl-C arrives and then raises KeyboardInterrupt.
from ..common cimport _interrupt
from ..common._interrupt cimport fastnn_flag_t
from ..common._parallel cimport fastnn_item_fn, run_items
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


# ---------------------------------------------------------------- adaptive average pool

cdef inline void _adaptive_plane(const real* xp, real* yp, Py_ssize_t H, Py_ssize_t W,
                                 Py_ssize_t OH, Py_ssize_t OW) noexcept nogil:
    # window [floor(o*H/OH), ceil((o+1)*H/OH)) per axis, as PyTorch
    cdef Py_ssize_t oh, ow, ih, iw, h0, h1, w0, w1
    cdef real acc
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
            yp[oh * OW + ow] = acc / <real>((h1 - h0) * (w1 - w0))


cdef inline void _adaptive_back_plane(const real* gp, real* dxp, Py_ssize_t H, Py_ssize_t W,
                                      Py_ssize_t OH, Py_ssize_t OW) noexcept nogil:
    cdef Py_ssize_t oh, ow, ih, iw, h0, h1, w0, w1
    cdef real g
    memset(dxp, 0, H * W * sizeof(real))
    for oh in range(OH):
        h0 = (oh * H) // OH
        h1 = ((oh + 1) * H + OH - 1) // OH
        for ow in range(OW):
            w0 = (ow * W) // OW
            w1 = ((ow + 1) * W + OW - 1) // OW
            g = gp[oh * OW + ow] / <real>((h1 - h0) * (w1 - w0))
            for ih in range(h0, h1):
                for iw in range(w0, w1):
                    dxp[ih * W + iw] += g


# ---------------------------------------------------------------- entry points

# Every entry point fills a _Planes job and runs its op's item function over
# the N*C planes through the shared shell (common/_parallel.pxd). One item
# function per op and dtype (the _f / _d pairs), each inlining its own plane
# loop alone: with both dtypes' loops inlined into one function, GCC spilled
# the generic max pool's input pointer inside its innermost loop.
cdef struct _Planes:
    const void *src         # the op's input planes: x forward, dy backward
    void *dst               # its output planes: y forward, dx backward
    int64_t *idx            # max pool: the argmax planes, (OH, OW) each
    Py_ssize_t H, W, OH, OW
    int kh, kw, sh, sw, ph, pw, dh, dw
    bint fast               # max pool: the 2x2 stride-2 loop
    bint cip                # avg pool: count_include_pad
    long divisor            # avg pool: divisor_override, 0 for none


# Plane pl of each op: (H, W) elements of x / dx at pl*H*W, (OH, OW) of
# y / dy / idx at pl*OH*OW.

cdef inline void _max_fwd(const _Planes *j, Py_ssize_t pl, const real *x, real *y) noexcept nogil:
    cdef Py_ssize_t i = pl * j.H * j.W, o = pl * j.OH * j.OW
    if j.fast:
        _max_plane_2x2(x + i, y + o, j.idx + o, j.W, j.OH, j.OW)
    else:
        _max_plane(x + i, y + o, j.idx + o, j.H, j.W, j.OH, j.OW, j.kh, j.kw, j.sh, j.sw, j.ph,
                   j.pw, j.dh, j.dw)


cdef inline void _max_bwd(const _Planes *j, Py_ssize_t pl, const real *dy,
                          real *dx) noexcept nogil:
    cdef Py_ssize_t i = pl * j.H * j.W, o = pl * j.OH * j.OW
    if j.fast:
        _max_back_plane_2x2(dy + o, j.idx + o, dx + i, j.H, j.W, j.OH, j.OW)
    else:
        _max_back_plane(dy + o, j.idx + o, dx + i, j.H * j.W, j.OH * j.OW)


cdef inline void _avg_fwd(const _Planes *j, Py_ssize_t pl, const real *x, real *y) noexcept nogil:
    _avg_plane(x + pl * j.H * j.W, y + pl * j.OH * j.OW, j.H, j.W, j.OH, j.OW, j.kh, j.kw, j.sh,
               j.sw, j.ph, j.pw, j.cip, j.divisor)


cdef inline void _avg_bwd(const _Planes *j, Py_ssize_t pl, const real *dy,
                          real *dx) noexcept nogil:
    _avg_back_plane(dy + pl * j.OH * j.OW, dx + pl * j.H * j.W, j.H, j.W, j.OH, j.OW, j.kh,
                    j.kw, j.sh, j.sw, j.ph, j.pw, j.cip, j.divisor)


cdef inline void _adaptive_fwd(const _Planes *j, Py_ssize_t pl, const real *x,
                               real *y) noexcept nogil:
    _adaptive_plane(x + pl * j.H * j.W, y + pl * j.OH * j.OW, j.H, j.W, j.OH, j.OW)


cdef inline void _adaptive_bwd(const _Planes *j, Py_ssize_t pl, const real *dy,
                               real *dx) noexcept nogil:
    _adaptive_back_plane(dy + pl * j.OH * j.OW, dx + pl * j.H * j.W, j.H, j.W, j.OH, j.OW)


cdef void _max_fwd_f(const void *job, Py_ssize_t pl, int t,
                    const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _max_fwd(j, pl, <const float *>j.src, <float *>j.dst)


cdef void _max_fwd_d(const void *job, Py_ssize_t pl, int t,
                    const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _max_fwd(j, pl, <const double *>j.src, <double *>j.dst)


cdef void _max_bwd_f(const void *job, Py_ssize_t pl, int t,
                    const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _max_bwd(j, pl, <const float *>j.src, <float *>j.dst)


cdef void _max_bwd_d(const void *job, Py_ssize_t pl, int t,
                    const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _max_bwd(j, pl, <const double *>j.src, <double *>j.dst)


cdef void _avg_fwd_f(const void *job, Py_ssize_t pl, int t,
                    const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _avg_fwd(j, pl, <const float *>j.src, <float *>j.dst)


cdef void _avg_fwd_d(const void *job, Py_ssize_t pl, int t,
                    const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _avg_fwd(j, pl, <const double *>j.src, <double *>j.dst)


cdef void _avg_bwd_f(const void *job, Py_ssize_t pl, int t,
                    const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _avg_bwd(j, pl, <const float *>j.src, <float *>j.dst)


cdef void _avg_bwd_d(const void *job, Py_ssize_t pl, int t,
                    const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _avg_bwd(j, pl, <const double *>j.src, <double *>j.dst)


cdef void _adaptive_fwd_f(const void *job, Py_ssize_t pl, int t,
                         const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _adaptive_fwd(j, pl, <const float *>j.src, <float *>j.dst)


cdef void _adaptive_fwd_d(const void *job, Py_ssize_t pl, int t,
                         const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _adaptive_fwd(j, pl, <const double *>j.src, <double *>j.dst)


cdef void _adaptive_bwd_f(const void *job, Py_ssize_t pl, int t,
                         const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _adaptive_bwd(j, pl, <const float *>j.src, <float *>j.dst)


cdef void _adaptive_bwd_d(const void *job, Py_ssize_t pl, int t,
                         const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Planes *j = <const _Planes *>job
    _adaptive_bwd(j, pl, <const double *>j.src, <double *>j.dst)


cdef _Planes _job(const void *src, void *dst, Py_ssize_t H, Py_ssize_t W, Py_ssize_t OH,
                  Py_ssize_t OW):
    cdef _Planes j
    memset(&j, 0, sizeof(j))
    j.src, j.dst, j.H, j.W, j.OH, j.OW = src, dst, H, W, OH, OW
    return j


cdef int _run(fastnn_item_fn item, _Planes *j, Py_ssize_t planes) except -1:
    if planes > 0:
        run_items(item, j, planes, _team(planes * j.H * j.W))
    return 0


def max_pool2d_fwd(const real[:, :, ::1] x, real[:, :, ::1] y, int64_t[:, :, ::1] idx,
                   int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, bint fast):
    if x.shape[0] == 0:
        return
    cdef _Planes j = _job(&x[0, 0, 0], &y[0, 0, 0], x.shape[1], x.shape[2], y.shape[1],
                          y.shape[2])
    j.idx, j.fast = &idx[0, 0, 0], fast
    j.kh, j.kw, j.sh, j.sw, j.ph, j.pw, j.dh, j.dw = kh, kw, sh, sw, ph, pw, dh, dw
    _run(_max_fwd_f if real is float else _max_fwd_d, &j, x.shape[0])


def max_pool2d_bwd(const real[:, :, ::1] dy, const int64_t[:, :, ::1] idx, real[:, :, ::1] dx,
                   bint fast):
    if dx.shape[0] == 0:
        return
    cdef _Planes j = _job(&dy[0, 0, 0], &dx[0, 0, 0], dx.shape[1], dx.shape[2], dy.shape[1],
                          dy.shape[2])
    j.idx, j.fast = <int64_t *>&idx[0, 0, 0], fast   # only read
    _run(_max_bwd_f if real is float else _max_bwd_d, &j, dx.shape[0])


def avg_pool2d_fwd(const real[:, :, ::1] x, real[:, :, ::1] y, int kh, int kw, int sh, int sw,
                   int ph, int pw, bint cip, long divisor):
    if x.shape[0] == 0:
        return
    cdef _Planes j = _job(&x[0, 0, 0], &y[0, 0, 0], x.shape[1], x.shape[2], y.shape[1],
                          y.shape[2])
    j.kh, j.kw, j.sh, j.sw, j.ph, j.pw, j.cip, j.divisor = kh, kw, sh, sw, ph, pw, cip, divisor
    _run(_avg_fwd_f if real is float else _avg_fwd_d, &j, x.shape[0])


def avg_pool2d_bwd(const real[:, :, ::1] dy, real[:, :, ::1] dx, int kh, int kw, int sh, int sw,
                   int ph, int pw, bint cip, long divisor):
    if dx.shape[0] == 0:
        return
    cdef _Planes j = _job(&dy[0, 0, 0], &dx[0, 0, 0], dx.shape[1], dx.shape[2], dy.shape[1],
                          dy.shape[2])
    j.kh, j.kw, j.sh, j.sw, j.ph, j.pw, j.cip, j.divisor = kh, kw, sh, sw, ph, pw, cip, divisor
    _run(_avg_bwd_f if real is float else _avg_bwd_d, &j, dx.shape[0])


def adaptive_avg_pool2d_fwd(const real[:, :, ::1] x, real[:, :, ::1] y):
    if x.shape[0] == 0:
        return
    cdef _Planes j = _job(&x[0, 0, 0], &y[0, 0, 0], x.shape[1], x.shape[2], y.shape[1],
                          y.shape[2])
    _run(_adaptive_fwd_f if real is float else _adaptive_fwd_d, &j, x.shape[0])


def adaptive_avg_pool2d_bwd(const real[:, :, ::1] dy, real[:, :, ::1] dx):
    if dx.shape[0] == 0:
        return
    cdef _Planes j = _job(&dy[0, 0, 0], &dx[0, 0, 0], dx.shape[1], dx.shape[2], dy.shape[1],
                          dy.shape[2])
    _run(_adaptive_bwd_f if real is float else _adaptive_bwd_d, &j, dx.shape[0])
