# distutils: sources = fastnn/backends/native/conv/conv_gemm_kernel.c fastnn/backends/native/conv/conv_winograd_kernel.c fastnn/backends/native/conv/conv_isa_generic.c fastnn/backends/native/conv/conv_isa_avx2.c fastnn/backends/native/conv/conv_isa_avx512.c fastnn/backends/native/conv/conv_im2col_kernel.c fastnn/backends/native/conv/conv_depthwise_kernel.c fastnn/backends/native/common/isa_link.c fastnn/backends/native/common/interrupt_link.c
# Convolution, compiled: fused im2col + GEMM + col2im, and direct depthwise loops.
#
# GEMM path, one block at a time: im2col copies the input windows of a block
# into a (C*kH*kW, columns) matrix in a per-thread buffer sized to stay in L2
# (a block is several small samples side by side, or a run of output rows of
# one big sample; see _forward_block), fastnn's GEMM (gemm/_gemm, cimported)
# multiplies it with the (Og, K) weights of each group, and backward reuses
# the buffer for the column gradient that col2im scatter-adds onto dx. With at
# least as many blocks as threads, OpenMP runs whole blocks in parallel with
# single-threaded GEMMs (no synchronisation inside a block, per-thread dw
# partials summed at the end); otherwise (batch 1) the blocks run in turn and
# the GEMM itself is threaded. Rows are copied in three runs (left padding,
# interior, right padding) so the interior loop has no branch and vectorises.
# 1x1 kernels with stride 1 and no padding skip im2col/col2im: x[n] already is
# the matrix.
# The depthwise kernels (one input channel per group) skip the GEMM entirely:
# with Cg = 1 it would be a K = kH*kW product, all overhead. Their plane loops
# are C (conv_depthwise_kernel.c: restrict pointers, a build per ISA level); this
# file runs them over planes with OpenMP.
# Packed path (groups = 1, whole samples per thread or one thread):
# conv_gemm_kernel.c runs the GEMM micro-kernel on panels that im2col fills
# directly, with the weights packed once per call and tiles stored straight
# into y; forward_packed/backward_packed below drive it over samples.
# Winograd path (3x3, stride 1, groups 1): conv_winograd_kernel.c computes
# F(2x2, 3x3) with the same micro-kernel; forward_winograd/backward_winograd
# give each thread a contiguous run of whole samples.
# Reference: fastnn/backends/numpy_ref/conv.py. Callers (__init__.py) validate
# shapes and pass C-contiguous arrays only.
from cython.parallel cimport prange, threadid
from libc.string cimport memset, memcpy

ctypedef fused real:
    float
    double


# fastnn's one GEMM, compiled into gemm/_gemm: these are function pointers
# that module exports (Cython fetches them from its __pyx_capi__ at import).
from ..gemm._gemm cimport sgemm, dgemm
# The CPU dispatch's level, common to every family (common/isa.h): the kernels'
# C code reads it with fastnn_isa(), through the pointer linked here.
from ..common cimport _isa

_isa.fastnn_isa_link(_isa.level_address())
# Ctrl-C (common/interrupt.h): the loops over samples, blocks and planes poll
# the one interrupt flag (as do the GEMM and the Winograd kernels inside them)
# and skip their remaining iterations; every such call is wrapped in
# before()/after(), which raise KeyboardInterrupt when it arrived meanwhile.
from ..common cimport _interrupt
from ..common._interrupt cimport fastnn_flag_t, fastnn_stopped
_interrupt.fastnn_interrupt_link(_interrupt.watch)


def isa_level():
    """The ISA level this module's C code runs now, as a number (tests: every
    compiled module follows the one decision in common/_isa)."""
    return _isa.fastnn_isa()


cdef inline void _gemm(int ta, int tb, long m, long n, long k, const real *a, long lda,
                       const real *b, long ldb, real beta, real *c, long ldc, int nt) noexcept nogil:
    if real is float:
        sgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, nt)
    else:
        dgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, nt)


cdef extern from "common/parallel.h":
    double FASTNN_PAR_MIN_MACS
    int fastnn_team(double work, double min_work) nogil
    double FASTNN_PAR_MIN_ELEMS


def team(double macs):
    """Threads worth waking for a convolution of ``macs`` multiply-adds (parallel.h)."""
    return fastnn_team(macs, <double>FASTNN_PAR_MIN_MACS)


# Geometry of one convolution, passed by pointer to the per-block helpers.
cdef extern from "conv_im2col_kernel.h" nogil:
    ctypedef struct fastnn_conv_geo:
        long c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo
    void fastnn_im2col_f(const float *x, float *cols, const fastnn_conv_geo *g, long ld,
                         long oh0, long oh1)
    void fastnn_im2col_d(const double *x, double *cols, const fastnn_conv_geo *g, long ld,
                         long oh0, long oh1)
    void fastnn_col2im_f(const float *cols, float *dx, const fastnn_conv_geo *g, long ld,
                         long oh0, long oh1)
    void fastnn_col2im_d(const double *cols, double *dx, const fastnn_conv_geo *g, long ld,
                         long oh0, long oh1)

ctypedef fastnn_conv_geo Geo


cdef inline void _im2col_sample(const real *x, real *cols, Geo *g, Py_ssize_t ld, Py_ssize_t oh0,
                                Py_ssize_t oh1) noexcept nogil:
    # cols[(c*kh + i)*kw + j, (oh - oh0)*wo + ow] = xpad[c, oh*sh + i*dh, ow*sw + j*dw]
    if real is float:
        fastnn_im2col_f(x, cols, g, ld, oh0, oh1)
    else:
        fastnn_im2col_d(x, cols, g, ld, oh0, oh1)


cdef inline void _col2im_sample(const real *cols, real *dx, Geo *g, Py_ssize_t ld, Py_ssize_t oh0,
                                Py_ssize_t oh1) noexcept nogil:
    # dx[c, ih, iw] += the cols entries that im2col copied from (ih, iw)
    if real is float:
        fastnn_col2im_f(cols, dx, g, ld, oh0, oh1)
    else:
        fastnn_col2im_d(cols, dx, g, ld, oh0, oh1)


cdef extern from "conv_im2col_kernel.h" nogil:
    void fastnn_conv_bias_grad_f(const float *dy, long n, long o, long p, float *db, long o0, long o1)
    void fastnn_conv_bias_grad_d(const double *dy, long n, long o, long p, double *db, long o0,
                                 long o1)


def bias_grad(const real[:, :, ::1] dy, real[::1] db):
    """db[o] = dy[:, o, :].sum() for dy (N, O, H*W), OpenMP over channels."""
    cdef Py_ssize_t n = dy.shape[0], o = dy.shape[1], p = dy.shape[2], oc
    cdef int nt = fastnn_team(<double>(n * o * p), FASTNN_PAR_MIN_ELEMS)
    if o > 0 and nt > o:
        nt = <int>o
    with nogil:
        if n * p > 0:
            for oc in prange(o, schedule="static", num_threads=nt):
                if real is float:
                    fastnn_conv_bias_grad_f(&dy[0, 0, 0], n, o, p, &db[0], oc, oc + 1)
                else:
                    fastnn_conv_bias_grad_d(&dy[0, 0, 0], n, o, p, &db[0], oc, oc + 1)


cdef Geo _geo(Py_ssize_t c, Py_ssize_t h, Py_ssize_t w, Py_ssize_t kh, Py_ssize_t kw, tuple params):
    cdef Geo g
    g.c, g.h, g.w, g.kh, g.kw = c, h, w, kh, kw
    g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.ho, g.wo = params
    return g


cdef inline bint _pointwise(Geo *g) noexcept nogil:
    return (g.kh == 1 and g.kw == 1 and g.sh == 1 and g.sw == 1 and g.ph == 0 and g.pw == 0)


# A block is `cnt` consecutive samples side by side: their im2col matrices
# form one (K, cnt*P) matrix, so each group is one GEMM with n = cnt*P instead
# of cnt GEMMs with n = P (small images: P = 121 fills the 32-wide micro-tile
# poorly and pays the packing per sample), and the weight gradient is one
# long-k product. y and dy are (N, O, P), not (O, cnt*P), so a block of more
# than one sample goes through the row buffer `rows` (O x cnt*P).
# A block of one sample whose column matrix would not fit in L2 (64 channels
# 3x3 at 32x32: 2.4 MB) is cut into chunks of `chunk` output rows, each
# im2col'ed and multiplied while it is still in cache; the GEMMs then read and
# write y/dy in place (row stride P).

cdef inline void _add_bias(real *y, const real *bias, Py_ssize_t o, Py_ssize_t p) noexcept nogil:
    cdef Py_ssize_t r, q
    cdef real bv
    for r in range(o):
        bv = bias[r]
        for q in range(p):
            y[r * p + q] += bv


# The bias is added while each block's output is still in cache (a separate
# NumPy pass over y cost a third of the forward for 1->32 channels at 28x28).
cdef void _forward_block(const real *x, const real *w, const real *bias, real *y, real *cols,
                         real *rows, Geo *g, Py_ssize_t s0, Py_ssize_t cnt, Py_ssize_t chunk,
                         Py_ssize_t o, int groups, int nt,
                         const fastnn_flag_t *stop) noexcept nogil:
    cdef Py_ssize_t p = g.ho * g.wo, ld = cnt * p, i, r, q, grp, oh0, oh1
    cdef real bv
    cdef real *dst
    cdef const real *src
    cdef long og = o // groups, k = (g.c // groups) * g.kh * g.kw
    cdef Py_ssize_t xs = g.c * g.h * g.w
    if cnt == 1:
        if _pointwise(g):
            for grp in range(groups):
                _gemm(0, 0, og, p, k, w + grp * og * k, k, x + s0 * xs + grp * k * p, p,
                      0, y + (s0 * o + grp * og) * p, p, nt)
            if bias != NULL:
                _add_bias(y + s0 * o * p, bias, o, p)
            return
        oh0 = 0
        while oh0 < g.ho:
            if fastnn_stopped(stop):   # one large sample: Ctrl-C between chunks
                return
            oh1 = min(oh0 + chunk, g.ho)
            ld = (oh1 - oh0) * g.wo
            _im2col_sample(x + s0 * xs, cols, g, ld, oh0, oh1)
            for grp in range(groups):
                _gemm(0, 0, og, ld, k, w + grp * og * k, k, cols + grp * k * ld, ld,
                      0, y + (s0 * o + grp * og) * p + oh0 * g.wo, p, nt)
            oh0 = oh1
        if bias != NULL:
            _add_bias(y + s0 * o * p, bias, o, p)
        return
    for i in range(cnt):
        _im2col_sample(x + (s0 + i) * xs, cols + i * p, g, ld, 0, g.ho)
    for grp in range(groups):
        _gemm(0, 0, og, ld, k, w + grp * og * k, k, cols + grp * k * ld, ld,
              0, rows + grp * og * ld, ld, nt)
    for i in range(cnt):
        for r in range(o):
            dst = y + ((s0 + i) * o + r) * p
            src = rows + r * ld + i * p
            if bias != NULL:
                bv = bias[r]
                for q in range(p):
                    dst[q] = src[q] + bv
            else:
                memcpy(dst, src, p * sizeof(real))


# The weight gradient transposed, dw^T (k x og) += cols (k x L) @ d (og x L)^T: the
# GEMM then packs the big operand (cols) as A, which fills its 12-row panels even
# when og is small (the caller transposes the sum back).
cdef inline void _wgrad(long og, long k, long l, const real *d, long ldd,
                        const real *cols, long ldc, real *dw, int nt) noexcept nogil:
    _gemm(0, 1, k, og, l, cols, ldc, d, ldd, 1, dw, og, nt)


# parts: which gradients to compute, _DX | _DW (a transposed convolution's
# forward needs dx alone, its backward dw alone; x is then not read, or dx not
# written).
cdef enum:
    _DX = 1
    _DW = 2


cdef void _backward_block(const real *dy, const real *x, const real *w, real *dx, real *dw,
                          real *cols, real *rows, Geo *g, Py_ssize_t s0, Py_ssize_t cnt,
                          Py_ssize_t chunk, Py_ssize_t o, int groups,
                          int nt, int parts, const fastnn_flag_t *stop) noexcept nogil:
    cdef Py_ssize_t p = g.ho * g.wo, ld = cnt * p, i, r, grp, oh0, oh1
    cdef long og = o // groups, k = (g.c // groups) * g.kh * g.kw
    cdef Py_ssize_t xs = g.c * g.h * g.w
    cdef const real *d
    cdef bint want_dx = parts & _DX, want_dw = parts & _DW
    if cnt == 1:
        d = dy + s0 * o * p
        if _pointwise(g):
            if want_dw:
                for grp in range(groups):
                    _wgrad(og, k, p, d + grp * og * p, p, x + s0 * xs + grp * k * p, p,
                           dw + grp * og * k, nt)
            if want_dx:
                for grp in range(groups):
                    _gemm(1, 0, k, p, og, w + grp * og * k, k, d + grp * og * p, p,
                          0, dx + s0 * xs + grp * k * p, p, nt)
            return
        if want_dx:
            memset(dx + s0 * xs, 0, xs * sizeof(real))
        oh0 = 0
        while oh0 < g.ho:
            if fastnn_stopped(stop):   # one large sample: Ctrl-C between chunks
                return
            oh1 = min(oh0 + chunk, g.ho)
            ld = (oh1 - oh0) * g.wo
            if want_dw:
                _im2col_sample(x + s0 * xs, cols, g, ld, oh0, oh1)
                for grp in range(groups):
                    _wgrad(og, k, ld, d + grp * og * p + oh0 * g.wo, p, cols + grp * k * ld,
                           ld, dw + grp * og * k, nt)
            if want_dx:
                for grp in range(groups):
                    _gemm(1, 0, k, ld, og, w + grp * og * k, k, d + grp * og * p + oh0 * g.wo, p,
                          0, cols + grp * k * ld, ld, nt)
                _col2im_sample(cols, dx + s0 * xs, g, ld, oh0, oh1)
            oh0 = oh1
        return
    for i in range(cnt):
        for r in range(o):
            memcpy(rows + r * ld + i * p, dy + ((s0 + i) * o + r) * p, p * sizeof(real))
    if want_dw:
        for i in range(cnt):
            _im2col_sample(x + (s0 + i) * xs, cols + i * p, g, ld, 0, g.ho)
        for grp in range(groups):
            _wgrad(og, k, ld, rows + grp * og * ld, ld, cols + grp * k * ld, ld,
                   dw + grp * og * k, nt)
    if want_dx:
        for grp in range(groups):
            _gemm(1, 0, k, ld, og, w + grp * og * k, k, rows + grp * og * ld, ld,
                  0, cols + grp * k * ld, ld, nt)
        for i in range(cnt):
            memset(dx + (s0 + i) * xs, 0, xs * sizeof(real))
            _col2im_sample(cols + i * p, dx + (s0 + i) * xs, g, ld, 0, g.ho)


def forward_gemm(const real[:, :, :, ::1] x, const real[:, :, :, ::1] w, const real[::1] b, real[:, :, :, ::1] y,
                 real[:, ::1] buf, real[:, ::1] rowbuf, int groups, int block, int chunk,
                 tuple params):
    """y[n] = w (per group) @ im2col(x[n]) + b, `block` samples per GEMM.

    b has O entries, or none for no bias.

    buf is (teams, C*kH*kW*block*Ho*Wo), rowbuf (teams, O*block*Ho*Wo) (unused
    when block is 1); with more than one team each OpenMP thread runs whole
    blocks with single-threaded GEMMs, otherwise the blocks run in turn with
    threaded GEMMs.
    """
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef Py_ssize_t n = x.shape[0], o = w.shape[0], blk, nb = (n + block - 1) // block, t
    cdef int nt = buf.shape[0]
    cdef const real *bias = &b[0] if b.shape[0] > 0 else NULL
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        if nt > 1:
            for blk in prange(nb, schedule="static", num_threads=nt):
                if fastnn_stopped(stop):
                    continue
                t = threadid()
                _forward_block(&x[0, 0, 0, 0], &w[0, 0, 0, 0], bias, &y[0, 0, 0, 0], &buf[t, 0],
                               &rowbuf[t, 0], &g, blk * block, min(block, n - blk * block),
                               chunk, o, groups, 1, stop)
        else:
            for blk in range(nb):
                if fastnn_stopped(stop):
                    break
                _forward_block(&x[0, 0, 0, 0], &w[0, 0, 0, 0], bias, &y[0, 0, 0, 0], &buf[0, 0],
                               &rowbuf[0, 0], &g, blk * block, min(block, n - blk * block),
                               chunk, o, groups, 0, stop)
    _interrupt.after()


def backward_gemm(const real[:, :, :, ::1] dy, const real[:, :, :, ::1] x, const real[:, :, :, ::1] w,
                  real[:, :, :, ::1] dx, real[:, :, :, :, ::1] dw_part, real[:, ::1] buf,
                  real[:, ::1] rowbuf, int groups, int block, int chunk, tuple params,
                  int parts=3):
    """dx[n] = col2im(w^T @ dy[n]); dw_part[t] = sum over team t's blocks of dy @ im2col(x)^T.

    dw_part must be zero on entry and have one row per team of buf; the caller
    sums it over its first axis. Each group's (Og, K) slice of dw_part holds the
    transpose, (K, Og), for the caller to transpose back (see _wgrad).
    parts: 1 computes dx alone (x then only gives the geometry: pass dx),
    2 dw alone (dx is not written: any array), 3 both.
    """
    if parts not in (1, 2, 3):
        raise ValueError(f"parts: expected 1, 2 or 3, got {parts}")
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef Py_ssize_t n = x.shape[0], o = w.shape[0], b, nb = (n + block - 1) // block, t
    cdef int nt = buf.shape[0]
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        if nt > 1:
            for b in prange(nb, schedule="static", num_threads=nt):
                if fastnn_stopped(stop):
                    continue
                t = threadid()
                _backward_block(&dy[0, 0, 0, 0], &x[0, 0, 0, 0], &w[0, 0, 0, 0], &dx[0, 0, 0, 0],
                                &dw_part[t, 0, 0, 0, 0], &buf[t, 0], &rowbuf[t, 0], &g,
                                b * block, min(block, n - b * block), chunk, o, groups, 1,
                                parts, stop)
        else:
            for b in range(nb):
                if fastnn_stopped(stop):
                    break
                _backward_block(&dy[0, 0, 0, 0], &x[0, 0, 0, 0], &w[0, 0, 0, 0], &dx[0, 0, 0, 0],
                                &dw_part[0, 0, 0, 0, 0], &buf[0, 0], &rowbuf[0, 0], &g,
                                b * block, min(block, n - b * block), chunk, o, groups, 0,
                                parts, stop)
    _interrupt.after()


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


cdef extern from "conv_gemm_kernel.h" nogil:
    int FASTNN_CG_SMALL_K
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


# The largest C*kH*kW that forward_small/backward_small take (conv_gemm_kernel.h).
SMALL_K = FASTNN_CG_SMALL_K


cdef _check_small(Py_ssize_t k):
    if not 0 < k <= FASTNN_CG_SMALL_K:
        raise ValueError(f"w: expected C*kH*kW in [1, {FASTNN_CG_SMALL_K}] for the small-k "
                         f"kernels, got {k}")


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


def forward_small(const real[:, :, :, ::1] x, const real[:, :, :, ::1] w, const real[::1] b,
                  real[:, :, :, ::1] y, real[:, ::1] scratch, int chunk, tuple params):
    """forward_packed for C*kH*kW <= SMALL_K, without packing (w as it is)."""
    _check_small(w.shape[1] * w.shape[2] * w.shape[3])
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef Py_ssize_t n = x.shape[0], o = w.shape[0]
    cdef Py_ssize_t s, ys = o * g.ho * g.wo, xs = g.c * g.h * g.w
    cdef int nt = scratch.shape[0], t, v = _isa.fastnn_isa()
    cdef const real *bias = &b[0] if b.shape[0] > 0 else NULL
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        for s in prange(n, schedule="static", num_threads=nt):
            if fastnn_stopped(stop):
                continue
            t = threadid()
            if real is float:
                fastnn_cg_forward_small_f(v, &x[0, 0, 0, 0] + s * xs, &w[0, 0, 0, 0], bias,
                                          &y[0, 0, 0, 0] + s * ys, o, &g, chunk, &scratch[t, 0], stop)
            else:
                fastnn_cg_forward_small_d(v, &x[0, 0, 0, 0] + s * xs, &w[0, 0, 0, 0], bias,
                                          &y[0, 0, 0, 0] + s * ys, o, &g, chunk, &scratch[t, 0], stop)
    _interrupt.after()


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
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef Py_ssize_t n = x.shape[0], o = w.shape[0]
    cdef Py_ssize_t s, ys = o * g.ho * g.wo, xs = g.c * g.h * g.w
    cdef int nt = scratch.shape[0], t, v = _isa.fastnn_isa()
    cdef bint with_db = dbv_part.shape[1] > 0
    cdef const fastnn_flag_t *stop = _interrupt.fastnn_interrupt_watch()
    _interrupt.before()
    with nogil:
        for s in prange(n, schedule="static", num_threads=nt):
            if fastnn_stopped(stop):
                continue
            t = threadid()
            if real is float:
                fastnn_cg_backward_small_f(v, &dy[0, 0, 0, 0] + s * ys, &x[0, 0, 0, 0] + s * xs,
                                           &w[0, 0, 0, 0], &dx[0, 0, 0, 0] + s * xs,
                                           &dwv_part[t, 0, 0, 0],
                                           &dbv_part[t, 0, 0] if with_db else NULL,
                                           o, &g, chunk, &scratch[t, 0], stop)
            else:
                fastnn_cg_backward_small_d(v, &dy[0, 0, 0, 0] + s * ys, &x[0, 0, 0, 0] + s * xs,
                                           &w[0, 0, 0, 0], &dx[0, 0, 0, 0] + s * xs,
                                           &dwv_part[t, 0, 0, 0],
                                           &dbv_part[t, 0, 0] if with_db else NULL,
                                           o, &g, chunk, &scratch[t, 0], stop)
        _sum_lanes(dwv_part, dbv_part, dw, db)
    _interrupt.after()


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
