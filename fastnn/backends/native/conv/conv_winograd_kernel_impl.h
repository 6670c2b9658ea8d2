/* One (element type, ISA level) of the Winograd convolution (see
 * conv_winograd_kernel.c), included by conv_isa_body.h after
 * conv_tile_impl.h, whose register tile it multiplies with (cg_gemm,
 * cg_store; and pack_b from gemm_micro_kernel.h); it adds wg_micro, a register
 * tile for operands left where a transform wrote them. Tile t of a block is
 * tile column t % tw of block tile row t / tw; every transform loops over
 * the tiles of a block (or of a sample's run of rows) as one vector. */
#define WNR (GNV * GVLEN)

/* Two-vector shuffles with constant index lists (GCC >= 12, clang). */
#if FASTNN_HAVE_VECTORS && GVLEN > 1 && (defined(__clang__) || __GNUC__ >= 12)
#define WG_SHUFFLES 1
/* zip: the first (WG_ZLO) or second (WG_ZHI) halves of a and b interleaved
 * (s unused: the shape WG_IDX takes) */
#define WG_ZLO(s, k) (((k) & 1) ? GVLEN + (k) / 2 : (k) / 2)
#define WG_ZHI(s, k) (((k) & 1) ? GVLEN + GVLEN / 2 + (k) / 2 : GVLEN / 2 + (k) / 2)
/* round s of the transpose: rows i and i + s (bit s of i clear) swap their
 * s-wide blocks at odd and even block positions */
#define WG_LO(s, k) (((k) & (s)) ? GVLEN + (k) - (s) : (k))
#define WG_HI(s, k) (((k) & (s)) ? GVLEN + (k) : (k) + (s))
#if GVLEN == 16
#define WG_IDX(F, s) F(s, 0), F(s, 1), F(s, 2), F(s, 3), F(s, 4), F(s, 5), F(s, 6), F(s, 7), \
    F(s, 8), F(s, 9), F(s, 10), F(s, 11), F(s, 12), F(s, 13), F(s, 14), F(s, 15)
#elif GVLEN == 8
#define WG_IDX(F, s) F(s, 0), F(s, 1), F(s, 2), F(s, 3), F(s, 4), F(s, 5), F(s, 6), F(s, 7)
#elif GVLEN == 4
#define WG_IDX(F, s) F(s, 0), F(s, 1), F(s, 2), F(s, 3)
#else
#define WG_IDX(F, s) F(s, 0), F(s, 1)
#endif
#define WG_ROUND(s)                                                                       \
    FASTNN_UNROLL                                                                         \
    for (int i = 0; i < GVLEN; i++)                                                       \
        if (!(i & (s))) {                                                                 \
            const V a = r[i], b = r[i + (s)];                                             \
            r[i] = __builtin_shufflevector(a, b, WG_IDX(WG_LO, s));                       \
            r[i + (s)] = __builtin_shufflevector(a, b, WG_IDX(WG_HI, s));                 \
        }
#else
#define WG_SHUFFLES 0
#endif

/* The 4x4 patches of channel ch of sample plane `plane` under tile rows
 * [ti0, ti1), transformed: out[xi * ld + t] = (B^T d B)[xi / 4][xi % 4] of
 * tile t = (ti - ti0) * tw + j. B^T d B is separable, and every input row is
 * shared by two tile rows, so B is applied along each padded input row once.
 * The padded rows (2 * tw + 2 wide: tile j reads columns 2j..2j+3) lie end to
 * end, even rows first, then odd, so "tile j of row s" is i = s * (tw + 1) + j
 * reading columns 2i..2i+3: B along all rows is one stride-2 loop over i that
 * the compiler vectorises (i = s * (tw + 1) + tw is a junk tile). With one
 * short loop per row (tw = 6 tiles at 13x13) that pass was a tenth of the
 * convolution. Tile row ti then reads even/odd rows ti and ti + 1; B^T down
 * the columns goes one tile row, tw tiles, a vector at a time, and its last
 * vector may run up to GVLEN - 1 past the row's tiles: the next tile row's
 * stores overwrite that, and after the last one it lands in the padding of
 * out's rows (wg_plan keeps >= 16 elements there). */
static inline FASTNN_ALWAYS_INLINE void
GFN(wg_input)(const GT *plane, const fastnn_conv_geo *g, long ti0, long ti1, long tw,
              GT *restrict line, GT *restrict out, long ld)
{
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    const long nt = ti1 - ti0, tw1 = tw + 1, wpad = 2 * tw1, h = g->h, w = g->w;
    const long len = (nt + 1) * tw1;        /* tiles of the even rows (and of the odd) */
    GT *restrict hb = line;                 /* 4 x 2len: [v][even rows, odd rows][tile] */
    GT *restrict pr = hb + 8 * len + GVLEN; /* the padded rows, even then odd */
    const long lo = conv_min(g->pw, wpad), hi = conv_max(conv_min(g->pw + w, wpad), lo);
    for (long k = 0; k < 2 * (nt + 1); k++) {
        const long ir = 2 * ti0 - g->ph + k;
        GT *restrict row = pr + ((k & 1) * (nt + 1) + (k >> 1)) * wpad;
        if (ir < 0 || ir >= h) {
            for (long q = 0; q < wpad; q++) row[q] = 0;
            continue;
        }
        const GT *src = plane + ir * w - g->pw;
        for (long q = 0; q < lo; q++) row[q] = 0;
        for (long q = lo; q < hi; q++) row[q] = src[q];
        for (long q = hi; q < wpad; q++) row[q] = 0;
    }
    pr[4 * len] = pr[4 * len + 1] = 0;     /* read by the last (junk) tile */
    GT *restrict h0 = hb, *restrict h1 = hb + 2 * len, *restrict h2 = hb + 4 * len,
       *restrict h3 = hb + 6 * len;
    for (long i = 0; i < 2 * len; i++) {    /* B along the rows */
        const GT d0 = pr[2 * i], d1 = pr[2 * i + 1], d2 = pr[2 * i + 2], d3 = pr[2 * i + 3];
        h0[i] = d0 - d2;
        h1[i] = d1 + d2;
        h2[i] = d2 - d1;
        h3[i] = d1 - d3;
    }
    for (int v = 0; v < 4; v++) {           /* B^T down the columns */
        const GT *e = hb + 2 * v * len, *o = e + len;
        GT *o0 = out + v * ld, *o1 = o0 + 4 * ld, *o2 = o1 + 4 * ld, *o3 = o2 + 4 * ld;
        for (long r = 0; r < nt; r++)
            for (long j = 0; j < tw; j += GVLEN) {
                const long a = r * tw1 + j, t = r * tw + j;
                const V e0 = *(const VU *)(e + a), e1 = *(const VU *)(e + a + tw1);
                const V d0 = *(const VU *)(o + a), d1 = *(const VU *)(o + a + tw1);
                *(VU *)(o0 + t) = e0 - e1;
                *(VU *)(o1 + t) = d0 + e1;
                *(VU *)(o2 + t) = e1 - d0;
                *(VU *)(o3 + t) = d0 - d1;
            }
    }
}

/* wg_input over block tile rows [r0, r0 + nr) (sample (r0 + rr) / th), one
 * run of tile rows per sample it touches. */
static inline FASTNN_ALWAYS_INLINE void
GFN(wg_input_block)(const GT *x, const fastnn_conv_geo *g, long ch, long r0, long nr, long th,
                    long tw, GT *restrict line, GT *restrict out, long ld)
{
    for (long r = r0; r < r0 + nr;) {
        const long s = r / th, ti0 = r % th, ti1 = conv_min(th, ti0 + r0 + nr - r);
        GFN(wg_input)(x + (s * g->c + ch) * g->h * g->w, g, ti0, ti1, tw, line,
                      out + (r - r0) * tw, ld);
        r += ti1 - ti0;
    }
}

/* Whether whole vectors over image row `row` (wo wide, ho rows a plane) may
 * run past its end: the overrun, up to GVLEN - 1, must fall in the plane's
 * later rows. */
static inline int GFN(wg_overrun_fits)(long row, long ho, long wo)
{
    return cg_up(wo, GVLEN) - wo <= (ho - 1 - row) * wo;
}

/* y rows of block tile rows [r0, r0 + nr), output channel oc, from
 * m[xi * ld + t] (the products for this channel): Y = A^T M A, + bias. */
static inline FASTNN_ALWAYS_INLINE void
GFN(wg_output)(const GT *restrict m, long ld, long t_count, GT bias, GT *y, long oc, long o,
               const fastnn_conv_geo *g, long r0, long nr, long th, long tw, GT *restrict line)
{
    GT *restrict q = line;                      /* 4 x t_count: the 2x2 outputs of each tile */
    GT *restrict p = q + 4 * t_count;           /* 8 x t_count: after A^T on rows */
    for (int v = 0; v < 4; v++) {
        const GT *m0 = m + v * ld, *m1 = m0 + 4 * ld, *m2 = m1 + 4 * ld, *m3 = m2 + 4 * ld;
        GT *p0 = p + v * t_count, *p1 = p + (4 + v) * t_count;
        for (long t = 0; t < t_count; t++) {
            p0[t] = m0[t] + m1[t] + m2[t];
            p1[t] = m1[t] - m2[t] - m3[t];
        }
    }
    for (int a = 0; a < 2; a++) {
        const GT *x0 = p + 4 * a * t_count, *x1 = x0 + t_count, *x2 = x1 + t_count,
                 *x3 = x2 + t_count;
        GT *q0 = q + 2 * a * t_count, *q1 = q0 + t_count;
        for (long t = 0; t < t_count; t++) {
            q0[t] = x0[t] + x1[t] + x2[t] + bias;
            q1[t] = x1[t] - x2[t] - x3[t] + bias;
        }
    }
    const long ho = g->ho, wo = g->wo, half = wo / 2;
    for (long rr = 0; rr < nr; rr++) {
        const long s = (r0 + rr) / th, ti = (r0 + rr) % th;
        for (int a = 0; a < 2 && 2 * ti + a < ho; a++) {
            GT *dst = y + ((s * o + oc) * ho + 2 * ti + a) * wo;
            const GT *q0 = q + 2 * a * t_count + rr * tw, *q1 = q0 + t_count;
#if WG_SHUFFLES
            /* q0 and q1 zipped a vector pair at a time; the last store may run
             * up to GVLEN - 1 past the row, into rows of this plane written
             * after it (else the scalar loop). q's rows read past t_count
             * land in p. */
            typedef GFN(vec) V;
            typedef GFN(uvec) VU;
            if (GFN(wg_overrun_fits)(2 * ti + a, ho, wo)) {
                for (long j = 0; 2 * j < wo; j += GVLEN) {
                    const V u0 = *(const VU *)(q0 + j), u1 = *(const VU *)(q1 + j);
                    *(VU *)(dst + 2 * j) = __builtin_shufflevector(u0, u1, WG_IDX(WG_ZLO, 0));
                    if (2 * j + GVLEN < wo)
                        *(VU *)(dst + 2 * j + GVLEN) =
                            __builtin_shufflevector(u0, u1, WG_IDX(WG_ZHI, 0));
                }
                continue;
            }
#endif
            for (long j = 0; j < half; j++) {
                dst[2 * j] = q0[j];
                dst[2 * j + 1] = q1[j];
            }
            if (wo & 1) dst[wo - 1] = q0[half];
        }
    }
}

/* y = conv(x, w) + bias for n samples, a block of `rows` tile rows at a time:
 * V straight into the B panels, 16 GEMMs into M, the output transform into y. */
GATTR void GFN(wg_forward)(const GT *x, const GT *up, long ustride, const GT *bias, GT *y,
                                  long n, long o, const fastnn_conv_geo *g, long rows,
                                  GT *scratch, const fastnn_flag_t *stop)
{
    const long c = g->c, th = (g->ho + 1) / 2, tw = (g->wo + 1) / 2, total = n * th;
    const long kc = cg_kc(c, GCKC), mpan = (o + GMR - 1) / GMR;
    const wg_layout l = wg_plan(o, c, tw, rows, 0);
    GT *base = (GT *)cg_align(scratch);
    GT *line = base, *vb = base + l.v, *mb = base + l.m;
    GT *vt = mb;  /* one channel's 16 transformed rows, before the GEMMs overwrite M */
    for (long r0 = 0; r0 < total; r0 += rows) {
        if (fastnn_stopped(stop)) return;   /* Ctrl-C: outputs unspecified */
        const long nr = conv_min(rows, total - r0), tc = nr * tw;
        const long npan = (tc + WNR - 1) / WNR;
        for (long ch = 0; ch < c; ch++) {
            GFN(wg_input_block)(x, g, ch, r0, nr, th, tw, line, vt, l.tp);
            const long pc = ch / kc * kc, kcur = conv_min(kc, c - pc);
            for (int xi = 0; xi < 16; xi++) {
                GT *dst = vb + xi * c * l.tp + pc * npan * WNR + (ch - pc) * WNR;
                const GT *src = vt + xi * l.tp;
                for (long q = 0; q < npan; q++) {
                    const long cnt = conv_min(WNR, tc - q * WNR);
                    GT *d = dst + q * kcur * WNR;
                    if (cnt == WNR) {  /* constant size: whole vector moves, no call */
                        memcpy(d, src + q * WNR, WNR * sizeof(GT));
                    } else {
                        for (long e = 0; e < WNR; e++) d[e] = e < cnt ? src[q * WNR + e] : 0;
                    }
                }
            }
        }
        for (int xi = 0; xi < 16; xi++)
            for (long pc = 0; pc < c; pc += kc)
                GFN(cg_gemm)(conv_min(kc, c - pc), up + xi * ustride + pc * mpan * GMR,
                             vb + xi * c * l.tp + pc * npan * WNR, mb + xi * o * l.tp, l.tp, o,
                             tc, pc != 0, NULL);
        for (long oc = 0; oc < o; oc++)
            GFN(wg_output)(mb + oc * l.tp, o * l.tp, tc, bias != NULL ? bias[oc] : (GT)0, y, oc,
                           o, g, r0, nr, th, tw, line);
    }
}

/* dM = A dY A^T for output channel oc over block tile rows [r0, r0 + nr):
 * dm[xi * ld + t]. A along each dY row first, straight from dy. */
static inline FASTNN_ALWAYS_INLINE void
GFN(wg_grad_output)(const GT *dy, long oc, long o, const fastnn_conv_geo *g, long r0, long nr,
                    long th, long tw, GT *restrict line, GT *restrict dm, long ld)
{
    const long tc = nr * tw, ho = g->ho, wo = g->wo;
    GT *restrict hr = line;           /* 8 x tc: [tile row a][v] */
    GT *restrict pr = hr + 8 * tc;    /* the dY rows, 2 * tw wide (zero-padded), a = 0 then 1 */
    /* as in wg_input: the rows end to end, so A along all of them is one
     * vectorised stride-2 loop instead of a short loop per row */
    for (int a = 0; a < 2; a++)
        for (long rr = 0; rr < nr; rr++) {
            const long s = (r0 + rr) / th, ti = (r0 + rr) % th;
            GT *restrict row = pr + (a * nr + rr) * 2 * tw;
            long q = 0;
            if (2 * ti + a < ho) {
                const GT *src = dy + ((s * o + oc) * ho + 2 * ti + a) * wo;
#if FASTNN_HAVE_VECTORS
                /* whole vectors where the reads past the row stay in dy's
                 * plane; the writes past it land in rows written after */
                if (GFN(wg_overrun_fits)(2 * ti + a, ho, wo)) {
                    typedef GFN(uvec) VU;
                    for (; q < wo; q += GVLEN) *(VU *)(row + q) = *(const VU *)(src + q);
                    q = wo;
                }
#endif
                for (; q < wo; q++) row[q] = src[q];
            }
            for (; q < 2 * tw; q++) row[q] = 0;
        }
    for (int a = 0; a < 2; a++) {
        const GT *restrict pa = pr + a * 2 * tc;
        GT *restrict h0 = hr + 4 * a * tc, *restrict h1 = h0 + tc, *restrict h2 = h1 + tc,
           *restrict h3 = h2 + tc;
        for (long i = 0; i < tc; i++) {  /* (p, q) -> (p, p + q, p - q, -q) */
            const GT p = pa[2 * i], q = pa[2 * i + 1];
            h0[i] = p;
            h1[i] = p + q;
            h2[i] = p - q;
            h3[i] = -q;
        }
    }
    for (int v = 0; v < 4; v++) {     /* and down the columns */
        const GT *a0 = hr + v * tc, *a1 = hr + (4 + v) * tc;
        GT *d0 = dm + v * ld, *d1 = d0 + 4 * ld, *d2 = d1 + 4 * ld, *d3 = d2 + 4 * ld;
        for (long t = 0; t < tc; t++) {
            d0[t] = a0[t];
            d1[t] = a0[t] + a1[t];
            d2[t] = a0[t] - a1[t];
            d3[t] = -a1[t];
        }
        /* the dV product reads whole 32-tile panels of these rows */
        for (long t = tc; t < cg_up(tc, 32); t++) d0[t] = d1[t] = d2[t] = d3[t] = 0;
    }
}

/* dx[ch] += B dV B^T of every tile of block tile rows [r0, r0 + nr), from
 * dv[xi * ld + t]. B down the columns first, into rows that hold each tile
 * row's tw tiles plus a zero "junk" tile (the layout of wg_input). Then B
 * along the patch rows: patch j's columns are (q0, q1 - q2 + q3,
 * q1 + q2 - q0, -q3) and its last two land on patch j + 1's first two, so
 * output column pair i is (q0[i] + (q1 + q2 - q0)[i - 1], (q1 - q2 + q3)[i] -
 * q3[i - 1]): one vectorised loop over all tile rows, in which the junk tile
 * yields each row's last two columns and the previous row's junk tile makes
 * the first pair's carry zero. The result is each padded dx row (2 * tw + 2
 * wide) end to end; patch rows 2 and 3 of tile row ti are rows 0 and 1 of
 * tile row ti + 1, added as one shifted loop too, so each dx row of a sample
 * is added once. (Per-row loops of tw tiles were a seventh of the backward.) */
static inline FASTNN_ALWAYS_INLINE void
GFN(wg_grad_input)(const GT *restrict dv, long ld, GT *dx, long ch,
                   const fastnn_conv_geo *g, long r0, long nr, long th, long tw,
                   GT *restrict line)
{
    typedef GFN(vec) V;
    typedef GFN(uvec) VU;
    const long tw1 = tw + 1, wpad = 2 * tw1, len = nr * tw1;
    const long lp = len + GVLEN + 1;  /* a row: a zero, len tiles, room for a vector's overrun */
    GT *restrict p = line + 1;        /* row 4r + v: B on the columns, patch row r, column v */
    GT *restrict rb = line + 16 * lp; /* 4 x nr * wpad: the padded dx rows of patch row r */
    for (int v = 0; v < 4; v++) {
        const GT *s0 = dv + v * ld, *s1 = s0 + 4 * ld, *s2 = s1 + 4 * ld, *s3 = s2 + 4 * ld;
        GT *p0 = p + v * lp, *p1 = p0 + 4 * lp, *p2 = p1 + 4 * lp, *p3 = p2 + 4 * lp;
        p0[-1] = p1[-1] = p2[-1] = p3[-1] = 0;
        for (long rr = 0; rr < nr; rr++)  /* as in wg_input, the last vector may run past */
            for (long j = 0; j < tw; j += GVLEN) {
                const long t = rr * tw + j, a = rr * tw1 + j;
                const V x0 = *(const VU *)(s0 + t), x1 = *(const VU *)(s1 + t);
                const V x2 = *(const VU *)(s2 + t), x3 = *(const VU *)(s3 + t);
                *(VU *)(p0 + a) = x0;
                *(VU *)(p1 + a) = x1 - x2 + x3;
                *(VU *)(p2 + a) = x1 + x2 - x0;
                *(VU *)(p3 + a) = -x3;
            }
        for (long rr = 0; rr < nr; rr++)  /* the junk tiles, overrun by the stores above */
            p0[rr * tw1 + tw] = p1[rr * tw1 + tw] = p2[rr * tw1 + tw] = p3[rr * tw1 + tw] = 0;
    }
    for (int r = 0; r < 4; r++) {
        const GT *restrict q0 = p + 4 * r * lp, *restrict q1 = q0 + lp, *restrict q2 = q1 + lp,
                 *restrict q3 = q2 + lp;
        GT *restrict out = rb + r * nr * wpad;
        for (long i = 0; i < len; i++) {
            out[2 * i] = q0[i] + (q1[i - 1] + q2[i - 1] - q0[i - 1]);
            out[2 * i + 1] = (q1[i] - q2[i] + q3[i]) - q3[i - 1];
        }
    }
    const long h = g->h, w = g->w;
    const long cols = conv_max(conv_min(w, wpad - g->pw), 0);
    for (long rr = 0; rr < nr;) {  /* one run of tile rows per sample */
        const long s = (r0 + rr) / th, ti0 = (r0 + rr) % th;
        const long n_run = conv_min(th - ti0, nr - rr);
        GT *plane = dx + (s * g->c + ch) * h * w;
        GT *e0 = rb + rr * wpad, *e1 = e0 + nr * wpad;
        const GT *e2 = e1 + nr * wpad, *e3 = e2 + nr * wpad;
        for (long i = wpad; i < n_run * wpad; i++) {  /* rows 2 and 3 onto the next tile row's 0 and 1 */
            e0[i] += e2[i - wpad];
            e1[i] += e3[i - wpad];
        }
        for (long k = 0; k <= 2 * n_run + 1; k++) {  /* dx rows 2 * ti0 - ph + k */
            const long ir = 2 * ti0 - g->ph + k;
            if (ir < 0 || ir >= h) continue;
            /* patch row 0 or 1 of tile row k / 2; the last two: rows 2, 3 of the last */
            const long last = k / 2 >= n_run, r = (k & 1) + 2 * last;
            const GT *src = rb + (r * nr + rr + (last ? n_run - 1 : k / 2)) * wpad + g->pw;
            GT *dst = plane + ir * w;
            for (long q = 0; q < cols; q++) dst[q] += src[q];
        }
        rr += n_run;
    }
}

/* The backward's products read dM where the transform left it, row-major
 * with rows tp apart, instead of packing it twice per xi (those copies were a
 * fifth of the backward): a register tile like cg_micro's whose A element
 * (i, p) is a[i * ars + p * aks] and B row p is b + p * bks, so A may be a
 * packed panel (ars 1, aks GMR) or mr rows of a matrix (ars lda, aks 1), and
 * B a packed panel (bks = panel width) or a matrix's rows (bks = ldb).
 * C = A @ B, + C when acc. */
static inline FASTNN_ALWAYS_INLINE void
GFN(wg_micro)(long kc, const GT *a, long ars, long aks, const GT *b, long bks, GT *restrict c,
              long ldc, int acc, const int MRR, int mr, int nr)
{
    typedef GFN(vec) V;
    V t[GMR][GNV];
    const GT *ar[GMR];
    const V zero = {0};
    FASTNN_UNROLL
    for (int i = 0; i < MRR; i++) {
        ar[i] = a + (i < mr ? i : 0) * ars;   /* rows past mr: computed, never stored */
        FASTNN_UNROLL
        for (int v = 0; v < GNV; v++) t[i][v] = zero;
    }
    for (long p = 0; p < kc; p++) {
        V bv[GNV];
        FASTNN_UNROLL
        for (int v = 0; v < GNV; v++) bv[v] = ((const V *)(b + p * bks))[v];
        FASTNN_UNROLL
        for (int i = 0; i < MRR; i++) {
            const GT ai = ar[i][p * aks];
            FASTNN_UNROLL
            for (int v = 0; v < GNV; v++) t[i][v] += ai * bv[v];
        }
    }
    GFN(cg_store)(t, c, ldc, acc, NULL, MRR, mr, nr);
}

/* C (m x n) = A @ B (+ C when acc) over wg_micro tiles; A panels (GMR rows)
 * apan apart, B panels (WNR columns) bpan apart. */
static GATTR FASTNN_NOINLINE void
GFN(wg_gemm)(long kc, const GT *a, long apan, long ars, long aks, const GT *b, long bpan,
             long bks, GT *c, long ldc, long m, long n, int acc)
{
    const long mpan = (m + GMR - 1) / GMR, npan = (n + WNR - 1) / WNR;
    for (long r = 0; r < mpan; r++) {
        const int mr = (int)conv_min(GMR, m - r * GMR);
        for (long q = 0; q < npan; q++) {
            const int nr = (int)conv_min(WNR, n - q * WNR);
            const GT *ap = a + r * apan, *bp = b + q * bpan;
            GT *cp = c + r * GMR * ldc + q * WNR;
            if (mr > 8 || GMR <= 4)
                GFN(wg_micro)(kc, ap, ars, aks, bp, bks, cp, ldc, acc, GMR, mr, nr);
            else if (mr > 4)
                GFN(wg_micro)(kc, ap, ars, aks, bp, bks, cp, ldc, acc, GMR < 8 ? GMR : 8, mr, nr);
            else
                GFN(wg_micro)(kc, ap, ars, aks, bp, bks, cp, ldc, acc, 4, mr, nr);
        }
    }
}

/* V^T in WNR-column panels for the dU product (pack_b's transposed layout:
 * out[q * tc * WNR + t * WNR + j] = v[(q * WNR + j) * ld + t], zero past c),
 * GVLEN x GVLEN blocks at a time: GVLEN row vectors loaded, transposed in
 * registers by log2(GVLEN) rounds of two-vector shuffles, stored as GVLEN
 * column vectors. pack_b's scalar transpose (a strided store per element)
 * was a fifth of the Winograd backward. Rows t past tc are written too (from
 * v's padding, which wg_plan keeps >= 16 wide): they fall where the next
 * panel's first rows are written later, or after the last panel in l.pb's
 * room. */
static inline FASTNN_ALWAYS_INLINE void
GFN(wg_pack_vt)(const GT *v, long ld, long c, long tc, GT *out)
{
#if WG_SHUFFLES
    typedef GFN(vec) V;
    const long cnp = (c + WNR - 1) / WNR;
    for (long q = 0; q < cnp; q++)
        for (int gv = 0; gv < GNV; gv++) {
            const long j0 = q * WNR + gv * GVLEN, rows = conv_min(GVLEN, c - j0);
            GT *dst = out + q * tc * WNR + gv * GVLEN;
            for (long t = 0; t < tc; t += GVLEN) {
                V r[GVLEN];
                FASTNN_UNROLL
                for (int i = 0; i < GVLEN; i++)
                    r[i] = i < rows ? *(const V *)(v + (j0 + i) * ld + t) : (V){0};
#if GVLEN >= 16
                WG_ROUND(8)
#endif
#if GVLEN >= 8
                WG_ROUND(4)
#endif
#if GVLEN >= 4
                WG_ROUND(2)
#endif
                WG_ROUND(1)
                FASTNN_UNROLL
                for (int i = 0; i < GVLEN; i++) *(V *)(dst + (t + i) * WNR) = r[i];
            }
        }
#else
    GFN(pack_b)(1, tc, c, v, ld, out, 0, (c + WNR - 1) / WNR);
#endif
}

/* For n samples: dx = the input gradient (overwritten) and du += dU, a block
 * of tile rows at a time. Per xi: dU += dM @ V^T (V^T packed, dM read in
 * place), then dV = U^T @ dM into V's place. */
GATTR void GFN(wg_backward)(const GT *dy, const GT *x, const GT *upt, long ustride, GT *dx,
                                   GT *du, long n, long o, const fastnn_conv_geo *g, long rows,
                                   GT *scratch, const fastnn_flag_t *stop)
{
    const long c = g->c, th = (g->ho + 1) / 2, tw = (g->wo + 1) / 2, total = n * th;
    const long kco = cg_kc(o, GCKC), cmp = (c + GMR - 1) / GMR;
    const wg_layout l = wg_plan(o, c, tw, rows, 1);
    GT *base = (GT *)cg_align(scratch);
    GT *line = base, *vb = base + l.v, *dmb = base + l.m;
    GT *pb = base + l.pb;
    memset(dx, 0, (size_t)n * c * g->h * g->w * sizeof(GT));
    for (long r0 = 0; r0 < total; r0 += rows) {
        if (fastnn_stopped(stop)) return;   /* Ctrl-C: outputs unspecified */
        const long nr = conv_min(rows, total - r0), tc = nr * tw;
        for (long ch = 0; ch < c; ch++)
            GFN(wg_input_block)(x, g, ch, r0, nr, th, tw, line, vb + ch * l.tp, c * l.tp);
        for (long oc = 0; oc < o; oc++)
            GFN(wg_grad_output)(dy, oc, o, g, r0, nr, th, tw, line, dmb + oc * l.tp, o * l.tp);
        for (int xi = 0; xi < 16; xi++) {
            GT *v = vb + xi * c * l.tp, *dm = dmb + xi * o * l.tp;
            GFN(wg_pack_vt)(v, l.tp, c, tc, pb);
            GFN(wg_gemm)(tc, dm, GMR * l.tp, l.tp, 1, pb, tc * WNR, WNR, du + xi * o * c, c, o,
                         c, 1);
            for (long pc = 0; pc < o; pc += kco) {
                const long kcur = conv_min(kco, o - pc);
                GFN(wg_gemm)(kcur, upt + xi * ustride + pc * cmp * GMR, kcur * GMR, 1, GMR,
                             dm + pc * l.tp, WNR, l.tp, v, l.tp, c, tc, pc != 0);
            }
        }
        for (long ch = 0; ch < c; ch++)
            GFN(wg_grad_input)(vb + ch * l.tp, c * l.tp, dx, ch, g, r0, nr, th, tw, line);
    }
}

#undef WNR
#undef WG_SHUFFLES
#undef WG_ZLO
#undef WG_ZHI
#undef WG_LO
#undef WG_HI
#undef WG_IDX
#undef WG_ROUND
