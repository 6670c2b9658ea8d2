/* The fused kernels for one element type FT (name suffix FS) at one ISA level;
 * included twice by fused_isa_body.h, which explains the algorithm. */
#define FZ_N3(a, b, c) a##_##b##c
#define FZ_N2(a, b, c) FZ_N3(a, b, c)
#define FN(name) FZ_N2(name, FS, FZ_SUFFIX)

#if FASTNN_HAVE_VECTORS
/* element-aligned vectors: packed rows are aligned, outputs need not be */
typedef FT FN(fz_vec) __attribute__((vector_size(FZ_BYTES), aligned(sizeof(FT))));
#define FZ_VLEN ((long)(FZ_BYTES / sizeof(FT)))
#else
typedef FT FN(fz_vec);
#define FZ_VLEN 1L
#endif

/* acc[k][v] = sum over kernel taps and input channels of x[k's pixel] * w row,
 * for the 4 pixels whose top-left input elements are xo[0..3]; the result goes
 * to t[k * FZ_NV * FZ_VLEN + v * FZ_VLEN + lane]. */
FASTNN_INLINE void FN(fz_conv_tile)(const fnn_fconv *g, const FT *const *xo, const FT *w,
                                    FT *t, const int nv)
{
    typedef FN(fz_vec) V;
    V acc[4][FZ_NV];
    const V zero = {0};
    FASTNN_UNROLL
    for (int k = 0; k < 4; k++)
        FASTNN_UNROLL
        for (int v = 0; v < nv; v++) acc[k][v] = zero;
    const long c = g->c, coutp = g->coutp;
    const long rstep = g->dh * g->wp * c, cstep = g->dw * c;
    for (long ky = 0; ky < g->kh; ky++)
        for (long kx = 0; kx < g->kw; kx++) {
            const long off = ky * rstep + kx * cstep;
            const FT *x0 = xo[0] + off, *x1 = xo[1] + off, *x2 = xo[2] + off, *x3 = xo[3] + off;
            const FT *wr = w + (ky * g->kw + kx) * c * coutp;
            for (long ci = 0; ci < c; ci++, wr += coutp) {
                V wv[FZ_NV];
                FASTNN_UNROLL
                for (int v = 0; v < nv; v++) wv[v] = *(const V *)(wr + v * FZ_VLEN);
                const FT a0 = x0[ci], a1 = x1[ci], a2 = x2[ci], a3 = x3[ci];
                FASTNN_UNROLL
                for (int v = 0; v < nv; v++) {
                    acc[0][v] += a0 * wv[v];
                    acc[1][v] += a1 * wv[v];
                    acc[2][v] += a2 * wv[v];
                    acc[3][v] += a3 * wv[v];
                }
            }
        }
    FASTNN_UNROLL
    for (int k = 0; k < 4; k++)
        FASTNN_UNROLL
        for (int v = 0; v < nv; v++) *(V *)(t + (k * FZ_NV + v) * FZ_VLEN) = acc[k][v];
}

/* The tile with NV = nv, a constant in each case. */
FASTNN_INLINE void FN(fz_conv_any)(const fnn_fconv *g, const FT *const *xo, const FT *w,
                                   FT *t, int nv)
{
    switch (nv) {
#if FZ_NV >= 4
    case 4: FN(fz_conv_tile)(g, xo, w, t, 4); break;
    case 3: FN(fz_conv_tile)(g, xo, w, t, 3); break;
#endif
    case 2: FN(fz_conv_tile)(g, xo, w, t, 2); break;
    default: FN(fz_conv_tile)(g, xo, w, t, 1); break;
    }
}

/* max that keeps a NaN from either side (torch.max_pool2d propagates NaN) */
FASTNN_INLINE FT FN(fz_max)(FT m, FT a) { return (a > m || a != a) ? a : m; }

FZ_ATTR void FN(fnn_fconv)(const fnn_fconv *g, const FT *x, const FT *w, const FT *b, FT *y,
                           long p0, long p1)
{
    const long cb = FZ_NV * FZ_VLEN;  /* channels per tile */
    const long taps = g->qh * g->qw, per_n = g->oh * g->ow, sample = g->hp * g->wp * g->c;
    FT t[4 * FZ_NV * FZ_VLEN];
    FT best[FZ_NV * FZ_VLEN];
    const FT *xo[4];
    long yo[4];
    for (long p = p0; p < p1; p += (taps == 1 ? 4 : 1)) {
        const int npos = taps == 1 ? (int)(p1 - p < 4 ? p1 - p : 4) : 1;
        for (int k = 0; k < npos; k++) {
            const long q = p + k, s = q / per_n, oy = (q % per_n) / g->ow, ox = q % g->ow;
            yo[k] = s * g->ys_n + oy * g->ys_h + ox * g->ys_w;
            /* the conv pixel at window tap 0: (oy*qh, ox*qw) */
            xo[k] = x + s * sample + (oy * g->qh * g->sh * g->wp + ox * g->qw * g->sw) * g->c;
        }
        for (int k = npos; k < 4; k++) xo[k] = xo[npos - 1];
        for (long co = 0; co < g->cout; co += cb) {
            const long left = (g->cout - co + FZ_VLEN - 1) / FZ_VLEN;
            const int nv = (int)(left < FZ_NV ? left : FZ_NV);
            const long nc = g->cout - co < nv * FZ_VLEN ? g->cout - co : nv * FZ_VLEN;
            if (taps == 1) {
                FN(fz_conv_any)(g, xo, w + co, t, nv);
                for (int k = 0; k < npos; k++) {
                    FT *yk = y + yo[k] + co * g->ys_c;
                    const FT *tk = t + k * cb;
                    for (long j = 0; j < nc; j++) {
                        FT v = tk[j] + b[co + j];
                        if (g->relu) v = v < 0 ? 0 : v;
                        yk[j * g->ys_c] = v;
                    }
                }
                continue;
            }
            const FT *x0 = xo[0];
            for (long t0 = 0; t0 < taps; t0 += 4) {
                const FT *xt[4];
                for (int k = 0; k < 4; k++) {
                    const long tap = t0 + k < taps ? t0 + k : taps - 1;
                    xt[k] = x0 + ((tap / g->qw) * g->sh * g->wp + (tap % g->qw) * g->sw) * g->c;
                }
                FN(fz_conv_any)(g, xt, w + co, t, nv);
                for (long j = 0; j < nc; j++) {
                    FT m = t0 == 0 ? t[j] : FN(fz_max)(best[j], t[j]);
                    m = FN(fz_max)(m, t[cb + j]);
                    m = FN(fz_max)(m, t[2 * cb + j]);
                    best[j] = FN(fz_max)(m, t[3 * cb + j]);
                }
            }
            FT *y0 = y + yo[0] + co * g->ys_c;
            for (long j = 0; j < nc; j++) {
                FT v = best[j] + b[co + j];
                if (g->relu) v = v < 0 ? 0 : v;
                y0[j * g->ys_c] = v;
            }
        }
    }
}

/* R rows of x from xr, nv vectors of outputs from w's column co (w += co by
 * the caller): the sums go to t[r * FZ_NV1 * FZ_VLEN + v * FZ_VLEN + lane]. */
FASTNN_INLINE void FN(fz_lin_tile)(const fnn_flin *g, const FT *xr, const FT *w, FT *t,
                                   const int rows, const int nv)
{
    typedef FN(fz_vec) V;
    V acc[4][FZ_NV1];
    const V zero = {0};
    FASTNN_UNROLL
    for (int r = 0; r < rows; r++)
        FASTNN_UNROLL
        for (int v = 0; v < nv; v++) acc[r][v] = zero;
    const long xs = g->xs, outp = g->outp;
    for (long i = 0; i < g->in; i++, w += outp) {
        V wv[FZ_NV1];
        FASTNN_UNROLL
        for (int v = 0; v < nv; v++) wv[v] = *(const V *)(w + v * FZ_VLEN);
        FASTNN_UNROLL
        for (int r = 0; r < rows; r++) {
            const FT a = xr[r * xs + i];
            FASTNN_UNROLL
            for (int v = 0; v < nv; v++) acc[r][v] += a * wv[v];
        }
    }
    FASTNN_UNROLL
    for (int r = 0; r < rows; r++)
        FASTNN_UNROLL
        for (int v = 0; v < nv; v++) *(V *)(t + (r * FZ_NV1 + v) * FZ_VLEN) = acc[r][v];
}

FASTNN_INLINE void FN(fz_lin_any)(const fnn_flin *g, const FT *xr, const FT *w, FT *t,
                                  int rows, int nv)
{
    /* 4 rows: at most FZ_NV vectors (the conv tile's register budget) */
    if (rows == 4) {
        switch (nv) {
#if FZ_NV >= 4
        case 4: FN(fz_lin_tile)(g, xr, w, t, 4, 4); break;
        case 3: FN(fz_lin_tile)(g, xr, w, t, 4, 3); break;
#endif
        case 2: FN(fz_lin_tile)(g, xr, w, t, 4, 2); break;
        default: FN(fz_lin_tile)(g, xr, w, t, 4, 1); break;
        }
        return;
    }
    switch (nv) {
#if FZ_NV1 >= 8
    case 8: FN(fz_lin_tile)(g, xr, w, t, 1, 8); break;
    case 7: FN(fz_lin_tile)(g, xr, w, t, 1, 7); break;
    case 6: FN(fz_lin_tile)(g, xr, w, t, 1, 6); break;
    case 5: FN(fz_lin_tile)(g, xr, w, t, 1, 5); break;
#endif
    case 4: FN(fz_lin_tile)(g, xr, w, t, 1, 4); break;
    case 3: FN(fz_lin_tile)(g, xr, w, t, 1, 3); break;
    case 2: FN(fz_lin_tile)(g, xr, w, t, 1, 2); break;
    default: FN(fz_lin_tile)(g, xr, w, t, 1, 1); break;
    }
}

FZ_ATTR void FN(fnn_flin)(const fnn_flin *g, const FT *x, const FT *w, const FT *b, FT *y,
                          long r0, long r1)
{
    FT t[4 * FZ_NV1 * FZ_VLEN];
    for (long r = r0; r < r1;) {
        const int rows = r1 - r >= 4 ? 4 : 1;
        const long cb = (rows == 4 ? FZ_NV : FZ_NV1) * FZ_VLEN;
        for (long co = 0; co < g->out; co += cb) {
            const long left = (g->out - co + FZ_VLEN - 1) / FZ_VLEN;
            const long most = rows == 4 ? FZ_NV : FZ_NV1;
            const int nv = (int)(left < most ? left : most);
            const long nc = g->out - co < nv * FZ_VLEN ? g->out - co : nv * FZ_VLEN;
            FN(fz_lin_any)(g, x + r * g->xs, w + co, t, rows, nv);
            for (int k = 0; k < rows; k++) {
                const FT *tk = t + k * FZ_NV1 * FZ_VLEN;
                FT *yk = y + (r + k) * g->ys + co;
                for (long j = 0; j < nc; j++) {
                    FT v = tk[j] + b[co + j];
                    if (g->relu) v = v < 0 ? 0 : v;
                    yk[j] = v;
                }
            }
        }
        r += rows;
    }
}

#undef FZ_VLEN
#undef FN
#undef FZ_N2
#undef FZ_N3
