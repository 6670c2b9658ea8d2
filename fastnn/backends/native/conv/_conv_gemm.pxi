# Included by _conv.pyx: the blocked im2col + GEMM + col2im path, which takes
# every convolution the other paths leave (groups > 1 other than depthwise,
# 1x1, batch smaller than the team) and the transposed convolutions
# (backward_gemm's parts). Reference: fastnn/backends/numpy_ref/conv.py.
#
# One block at a time: im2col copies the input windows of a block into a
# (C*kH*kW, columns) matrix in a per-thread buffer sized to stay in L2 (a block
# is several small samples side by side, or a run of output rows of one big
# sample; see _forward_block), fastnn's GEMM multiplies it with the (Og, K)
# weights of each group, and backward reuses the buffer for the column
# gradient that col2im scatter-adds onto dx. With at least as many blocks as
# threads, OpenMP runs whole blocks in parallel with single-threaded GEMMs (no
# synchronisation inside a block, per-thread dw partials summed at the end);
# otherwise (batch 1) the blocks run in turn and the GEMM itself is threaded.
# im2col and col2im are C (conv_im2col_kernel.c): rows are copied in three
# runs (left padding, interior, right padding) so the interior loop has no
# branch and vectorises. 1x1 kernels with stride 1 and no padding skip
# im2col/col2im: x[n] already is the matrix.

cdef extern from "conv_im2col_kernel.h" nogil:
    void fastnn_im2col_f(const float *x, float *cols, const fastnn_conv_geo *g, long ld,
                         long oh0, long oh1)
    void fastnn_im2col_d(const double *x, double *cols, const fastnn_conv_geo *g, long ld,
                         long oh0, long oh1)
    void fastnn_col2im_f(const float *cols, float *dx, const fastnn_conv_geo *g, long ld,
                         long oh0, long oh1)
    void fastnn_col2im_d(const double *cols, double *dx, const fastnn_conv_geo *g, long ld,
                         long oh0, long oh1)


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


# The job of forward_gemm / backward_gemm: item b is block b (samples
# [b*block, b*block + cnt)), run by team `thread` in that team's buffer rows.
cdef struct _Blocks:
    Geo g
    const void *x
    const void *w
    const void *bias        # forward: O entries or NULL
    const void *dy
    void *y
    void *dx
    void *dw_part           # backward: one (O, Cg*kH*kW) slice per team
    void *buf               # one row per team: the column buffer
    void *rowbuf            # one row per team: the row buffer
    Py_ssize_t dw_ld, buf_ld, row_ld, n, o, block, chunk
    int groups, gemm_nt, parts


cdef _Blocks _blocks(Geo g, const void *buf, Py_ssize_t buf_ld, const void *rowbuf,
                     Py_ssize_t row_ld, Py_ssize_t n, Py_ssize_t o, int block, int chunk,
                     int groups, int teams):
    cdef _Blocks j
    memset(&j, 0, sizeof(j))
    j.g, j.n, j.o, j.block, j.chunk, j.groups = g, n, o, block, chunk, groups
    j.buf, j.buf_ld, j.rowbuf, j.row_ld = <void *>buf, buf_ld, <void *>rowbuf, row_ld
    # several teams: each GEMM single-threaded (1); one: the GEMM threads itself (0)
    j.gemm_nt = 1 if teams > 1 else 0
    return j


# One item function per dtype (the _f / _d pairs): each inlines its own
# block loop alone (see _pool.pyx: two dtypes' loops in one function made GCC
# spill pointers inside the inner loops).

cdef inline void _forward_one(const _Blocks *j, Py_ssize_t b, int t, const fastnn_flag_t *stop,
                              const real *x, const real *w, const real *bias, real *y,
                              real *buf, real *rowbuf) noexcept nogil:
    cdef Py_ssize_t s0 = b * j.block
    _forward_block(x, w, bias, y, buf + t * j.buf_ld, rowbuf + t * j.row_ld, <Geo *>&j.g, s0,
                   min(j.block, j.n - s0), j.chunk, j.o, j.groups, j.gemm_nt, stop)


cdef inline void _backward_one(const _Blocks *j, Py_ssize_t b, int t, const fastnn_flag_t *stop,
                               const real *dy, const real *x, const real *w, real *dx,
                               real *dw_part, real *buf, real *rowbuf) noexcept nogil:
    cdef Py_ssize_t s0 = b * j.block
    _backward_block(dy, x, w, dx, dw_part + t * j.dw_ld, buf + t * j.buf_ld,
                    rowbuf + t * j.row_ld, <Geo *>&j.g, s0, min(j.block, j.n - s0), j.chunk,
                    j.o, j.groups, j.gemm_nt, j.parts, stop)


cdef void _forward_f(const void *job, Py_ssize_t b, int t,
                     const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Blocks *j = <const _Blocks *>job
    _forward_one(j, b, t, stop, <const float *>j.x, <const float *>j.w, <const float *>j.bias,
                 <float *>j.y, <float *>j.buf, <float *>j.rowbuf)


cdef void _forward_d(const void *job, Py_ssize_t b, int t,
                     const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Blocks *j = <const _Blocks *>job
    _forward_one(j, b, t, stop, <const double *>j.x, <const double *>j.w,
                 <const double *>j.bias, <double *>j.y, <double *>j.buf, <double *>j.rowbuf)


cdef void _backward_f(const void *job, Py_ssize_t b, int t,
                      const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Blocks *j = <const _Blocks *>job
    _backward_one(j, b, t, stop, <const float *>j.dy, <const float *>j.x, <const float *>j.w,
                  <float *>j.dx, <float *>j.dw_part, <float *>j.buf, <float *>j.rowbuf)


cdef void _backward_d(const void *job, Py_ssize_t b, int t,
                      const fastnn_flag_t *stop) noexcept nogil:
    cdef const _Blocks *j = <const _Blocks *>job
    _backward_one(j, b, t, stop, <const double *>j.dy, <const double *>j.x, <const double *>j.w,
                  <double *>j.dx, <double *>j.dw_part, <double *>j.buf, <double *>j.rowbuf)


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
    cdef Py_ssize_t n = x.shape[0]
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef _Blocks j = _blocks(g, &buf[0, 0], buf.shape[1], &rowbuf[0, 0], rowbuf.shape[1], n,
                             w.shape[0], block, chunk, groups, buf.shape[0])
    j.x, j.w, j.y = &x[0, 0, 0, 0], &w[0, 0, 0, 0], &y[0, 0, 0, 0]
    j.bias = &b[0] if b.shape[0] > 0 else NULL
    run_items(_forward_f if real is float else _forward_d, &j, (n + block - 1) // block,
              buf.shape[0])


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
    cdef Py_ssize_t n = x.shape[0]
    cdef Geo g = _geo(x.shape[1], x.shape[2], x.shape[3], w.shape[2], w.shape[3], params)
    cdef _Blocks j = _blocks(g, &buf[0, 0], buf.shape[1], &rowbuf[0, 0], rowbuf.shape[1], n,
                             w.shape[0], block, chunk, groups, buf.shape[0])
    j.dy, j.x, j.w, j.dx = &dy[0, 0, 0, 0], &x[0, 0, 0, 0], &w[0, 0, 0, 0], &dx[0, 0, 0, 0]
    j.dw_part, j.parts = &dw_part[0, 0, 0, 0, 0], parts
    j.dw_ld = dw_part.shape[1] * dw_part.shape[2] * dw_part.shape[3] * dw_part.shape[4]
    run_items(_backward_f if real is float else _backward_d, &j, (n + block - 1) // block,
              buf.shape[0])
