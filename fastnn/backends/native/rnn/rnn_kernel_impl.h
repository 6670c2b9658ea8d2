/* Per-precision body of rnn_kernel.c (included once for float, once for double
 * with REAL, FN, GEMM, SIGMOID, TANH and FASTNN_RNN_PACKED defined): the
 * sequence drivers and their helpers. They read the ISA level once per call
 * and run that level's build of the fused rows (rnn_rows_impl.h) and of the
 * packed recurrent product (rnn_gemm_kernel.c). No include guard on purpose. */

/* ------------------------------------------------------------------ helpers */

/* c (M x N) = [c +] a (M x K) @ op(w), op(w) = w^T (w is N x K) or w (K x N); all
 * rows contiguous. A few rows of a (batch-1 steps, single-step cells) go through
 * dot products / row updates that read w once in its own layout: a packing GEMM
 * would copy all of w for a matrix-vector product. They go parallel only for
 * large w (parallel.h: waking the sleeping team costs more than a batch-1 step
 * of a 1024 x 256 matrix takes on one core). */
#define FASTNN_RNN_FEW_ROWS 4
#define FASTNN_RNN_FEW_ROWS_PAR_MIN FASTNN_PAR_MIN_MACS
static void FN(mm)(int trans, long M, long N, long K, const REAL *a, const REAL *w,
                   REAL *c, int acc)
{
    if (M > FASTNN_RNN_FEW_ROWS) {
        GEMM(0, trans, M, N, K, 1, a, K, w, trans ? K : N, acc ? 1 : 0, c, N, 0);
        return;
    }
    if (trans) {
        /* Four rows of w per pass: four independent vector accumulators keep the
         * FMA units busy, and each row of a is read once per four outputs. */
        long nq = N / 4, q;
        #pragma omp parallel for schedule(static) if (N * K >= FASTNN_RNN_FEW_ROWS_PAR_MIN)
        for (q = 0; q < nq; q++) {
            const REAL *w0 = w + 4 * q * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
            for (long m = 0; m < M; m++) {
                const REAL *am = a + m * K;
                REAL s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                #pragma omp simd reduction(+:s0, s1, s2, s3)
                for (long k = 0; k < K; k++) {
                    s0 += am[k] * w0[k]; s1 += am[k] * w1[k];
                    s2 += am[k] * w2[k]; s3 += am[k] * w3[k];
                }
                REAL *cm = c + m * N + 4 * q;
                cm[0] = (acc ? cm[0] : 0) + s0; cm[1] = (acc ? cm[1] : 0) + s1;
                cm[2] = (acc ? cm[2] : 0) + s2; cm[3] = (acc ? cm[3] : 0) + s3;
            }
        }
        for (long n = 4 * nq; n < N; n++) {
            const REAL *wn = w + n * K;
            for (long m = 0; m < M; m++) {
                const REAL *am = a + m * K;
                REAL s = 0;
                #pragma omp simd reduction(+:s)
                for (long k = 0; k < K; k++) s += am[k] * wn[k];
                c[m * N + n] = (acc ? c[m * N + n] : 0) + s;
            }
        }
    } else {
        long nblk = (N + 255) / 256, blk;
        #pragma omp parallel for schedule(static) if (N * K >= FASTNN_RNN_FEW_ROWS_PAR_MIN)
        for (blk = 0; blk < nblk; blk++) {
            long j0 = blk * 256, jw = N - j0 < 256 ? N - j0 : 256;
            for (long m = 0; m < M; m++) {
                REAL *cm = c + m * N + j0;
                if (!acc) memset(cm, 0, sizeof(REAL) * jw);
                for (long k = 0; k < K; k++) {
                    const REAL av = a[m * K + k], *wk = w + k * N + j0;
                    #pragma omp simd
                    for (long j = 0; j < jw; j++) cm[j] += av * wk[j];
                }
            }
        }
    }
}

/* out (N x G) = x (N x I) w^T (w is G x I) + b1 + b2 (either bias nullable). */
static void FN(project)(long N, long G, long I, const REAL *x, const REAL *w,
                        const REAL *b1, const REAL *b2, REAL *out)
{
    REAL beta = 0;
    if (b1 || b2) {
        long r;
        #pragma omp parallel for schedule(static) if (N * G >= FASTNN_RNN_PAR_MIN)
        for (r = 0; r < N; r++) {
            REAL *o = out + r * G;
            for (long j = 0; j < G; j++) o[j] = (b1 ? b1[j] : 0) + (b2 ? b2[j] : 0);
        }
        beta = 1;
    }
    FN(mm)(1, N, G, I, x, w, out, beta != 0);
}

/* out[j] = sum_r a[r, j]. Each thread owns a range of columns and streams the
 * rows through it, adding into out in place (a column block walked down the
 * rows would cross a page per row, where the prefetcher stops); no sum is
 * split between threads, so the result does not depend on the team. */
static void FN(colsum)(long N, long G, const REAL *a, REAL *out)
{
    #pragma omp parallel if (N * G >= FASTNN_RNN_PAR_MIN)
    {
        long j0, j1;
        fnn_team_share((G + 15) / 16, &j0, &j1);
        j0 *= 16;
        j1 = j1 * 16 < G ? j1 * 16 : G;
        for (long j = j0; j < j1; j++) out[j] = 0;
        for (long r = 0; r < N; r++) {
            const REAL *row = a + r * G;
            #pragma omp simd
            for (long j = j0; j < j1; j++) out[j] += row[j];
        }
    }
}

/* Weight grads of all steps at once from the pre-activation grads dgi (input
 * side) and dgh (recurrent side): h_{t-1} is h0 for t = 0 and y[t-1] after
 * (padded steps have zero grads, so their stale y rows do not matter). When
 * both sides share their grads (RNN, LSTM), one GEMM over the rows [x_t | h_{t-1}]
 * gives both weight grads and packs dg once instead of twice. dx may be NULL
 * (not needed: its GEMM is a sixth of a training step's multiply-adds). */
static void FN(weight_grads)(long T, long B, long I, long H, long G,
                             const REAL *x, const REAL *h0, const REAL *y, const REAL *w_ih,
                             const REAL *dgi, const REAL *dgh, REAL *dx, REAL *dw_ih,
                             REAL *dw_hh, REAL *db_ih, REAL *db_hh)
{
    const long N = T * B, L = I + H;
    if (dx) FN(mm)(0, N, I, G, dgi, w_ih, dx, 0);
    REAL *xh = dgi == dgh ? malloc(sizeof(REAL) * (size_t)(N + G) * (size_t)L) : NULL;
    if (xh) {
        REAL *dw = xh + N * L;
        for (long r = 0; r < N; r++) {
            memcpy(xh + r * L, x + r * I, sizeof(REAL) * I);
            memcpy(xh + r * L + I, r < B ? h0 + r * H : y + (r - B) * H, sizeof(REAL) * H);
        }
        GEMM(1, 0, G, L, N, 1, dgi, G, xh, L, 0, dw, L, 0);
        for (long j = 0; j < G; j++) {
            memcpy(dw_ih + j * I, dw + j * L, sizeof(REAL) * I);
            memcpy(dw_hh + j * H, dw + j * L + I, sizeof(REAL) * H);
        }
        free(xh);
    } else {
        GEMM(1, 0, G, I, N, 1, dgi, G, x, I, 0, dw_ih, I, 0);
        GEMM(1, 0, G, H, B, 1, dgh, G, h0, H, 0, dw_hh, H, 0);
        if (T > 1)
            GEMM(1, 0, G, H, (T - 1) * B, 1, dgh + B * G, G, y, H, 1, dw_hh, H, 0);
    }
    if (db_ih) FN(colsum)(N, G, dgi, db_ih);
    if (db_hh && db_ih && dgh == dgi) memcpy(db_hh, db_ih, sizeof(REAL) * G);
    else if (db_hh) FN(colsum)(N, G, dgh, db_hh);
}

/* W_hh packed once for the per-step products (float32 with a vector kernel and
 * at least two steps); NULL means "use the general GEMM". Caller frees. */
static REAL *FN(pack_w)(int isa, long T, int trans, long N, long K, const REAL *w)
{
#if FASTNN_RNN_PACKED
    if (T < 2 || !fastnn_rgemm_available()) return NULL;
    REAL *wp = malloc(fastnn_rgemm_packed_len(isa, N, K) * sizeof(REAL));
    if (wp) fastnn_rgemm_pack(isa, trans, N, K, w, wp);
    return wp;
#else
    (void)isa; (void)T; (void)trans; (void)N; (void)K; (void)w;
    return NULL;
#endif
}

/* c (M x N) = [c +] a (M x K) @ op(w), op(w) = w^T (w is N x K) or w (K x N). */
static void FN(recur)(int isa, const REAL *wp, int trans, long M, long N, long K,
                      const REAL *a, const REAL *w, REAL *c, int acc)
{
#if FASTNN_RNN_PACKED
    if (wp) { fastnn_rgemm(isa, M, N, K, a, K, wp, c, N, acc, 0); return; }
#else
    (void)isa;
#endif
    FN(mm)(trans, M, N, K, a, w, c, acc);
}

#define FASTNN_RNN_PADDED(t, b) (lengths && (int64_t)(t) >= lengths[b])
#define FASTNN_RNN_PAR_IF(B, W) ((B) > 1 && (B) * (W) >= FASTNN_RNN_PAR_MIN)

#if FASTNN_RNN_PACKED
/* ------------------------------------------------------------ the persistent team
 * float32 sequences with the packed step kernel run their whole time loop in one
 * OpenMP region. Each thread owns a range of hidden units (whole panels of the
 * packed W_hh): per step it computes its units' columns of every gate's
 * recurrent product and then its units' fused pass, and the team meets at one
 * barrier per step, after which the new state is complete. A team per product
 * would pay a fork/join per step and leave the fused pass on one thread.
 * Forward steps read h_{t-1} from one half of a double buffer and write h_t to
 * the other, so a thread that starts step t+1 never overwrites what another
 * still reads. Backward, a thread's fused pass needs only its own units' dh
 * and dc, and its share of dh_{t-1} = dG_t W_hh needs all of dG_t: the barrier
 * sits between the two. Every output column sums its full K on one thread, so
 * results do not depend on the team size.
 */

/* Ctrl-C: the team leaves together. Thread 0 polls the flag before step t's
 * barrier and marks slot t & 1; every thread reads that slot after the
 * barrier, so all see the same answer and break at the same step (none waits
 * at a barrier that the others have left). Two slots: the next write to this
 * one (step t +- 2) comes after barrier t +- 1, which every thread reaches only
 * once it has read it. Written only on an interrupt, so the slots stay shared
 * in every cache. */
#ifdef _OPENMP
#define FASTNN_RNN_TEAM_LEAD (omp_get_thread_num() == 0)
#define FASTNN_RNN_BARRIER _Pragma("omp barrier")
#else
#define FASTNN_RNN_TEAM_LEAD 1
#define FASTNN_RNN_BARRIER
#endif
#define FASTNN_RNN_TEAM_STOP(t)                                              \
    if (FASTNN_RNN_TEAM_LEAD && fastnn_stopped(stop)) stop_at[(t) & 1] = 1; \
    FASTNN_RNN_BARRIER                                                       \
    if (stop_at[(t) & 1]) break

/* Threads for T steps of B x G x H multiply-adds each: the usual threshold for
 * the whole sequence, and each step at least 1/16 of it (~0.5M multiply-adds,
 * ~10 us on one core), so that its barrier (~1 us between spinning threads)
 * stays a small share; never more threads than panels of H units. */
static int FN(seq_team)(int isa, long T, long B, long G, long H)
{
    const double step_macs = (double)B * G * H;
    const long nr = fastnn_rgemm_panel_width(isa), panels = (H + nr - 1) / nr;
    int nt = fastnn_team(step_macs * T, FASTNN_PAR_MIN_MACS);
    if (step_macs < FASTNN_PAR_MIN_MACS / 16) nt = 1;
    if (nt > panels) nt = (int)panels;
    return nt > 1 ? nt : 1;
}

/* W_hh (ngates*H x K) packed gate by gate as op(W) = W^T, so that panel p of
 * every gate covers the same units [p*nr, p*nr + nr). Caller frees. */
static REAL *FN(pack_gates)(int isa, long ngates, long H, long K, const REAL *w, long *plen)
{
    *plen = (long)fastnn_rgemm_packed_len(isa, H, K);
    REAL *wp = malloc(sizeof(REAL) * (size_t)*plen * (size_t)ngates);
    if (wp)
        for (long g = 0; g < ngates; g++)
            fastnn_rgemm_pack(isa, 1, H, K, w + g * H * K, wp + g * *plen);
    return wp;
}

/* This thread's panels [*p0, *p1) and units [*u0, *u0 + *nu) of H. */
static void FN(team_units)(long H, long nr, long *p0, long *p1, long *u0, long *nu)
{
    fnn_team_share((H + nr - 1) / nr, p0, p1);
    long u1 = *p1 * nr < H ? *p1 * nr : H;
    *u0 = *p0 * nr;
    *nu = u1 > *u0 ? u1 - *u0 : 0;
}

static void FN(rnn_forward_team)(const fastnn_flag_t *stop, int isa, int nt, long T, long B, long H, int relu,
                                 const REAL *wp, const int64_t *lengths, REAL *y, REAL *hbuf)
{
    const long nr = fastnn_rgemm_panel_width(isa);
    int stop_at[2] = {0, 0};   /* see FASTNN_RNN_TEAM_STOP */
    #pragma omp parallel num_threads(nt)
    {
        long p0, p1, u0, nu;
        FN(team_units)(H, nr, &p0, &p1, &u0, &nu);
        for (long t = 0; t < T; t++) {
            const REAL *hp = hbuf + (t & 1) * B * H;
            REAL *hc = hbuf + ((t + 1) & 1) * B * H, *yt = y + t * B * H;
            fastnn_rgemm_panels(isa, B, H, H, hp, H, wp, yt, H, 1, p0, p1);
            for (long b = 0; nu > 0 && b < B; b++) {
                long r = b * H + u0;
                if (FASTNN_RNN_PADDED(t, b)) {
                    memset(yt + r, 0, sizeof(REAL) * nu);
                    memcpy(hc + r, hp + r, sizeof(REAL) * nu);
                } else {
                    FASTNN_ISA_CALL(isa, FN(rnn_row),
                                    (nu, relu, yt + r, hc + r));
                }
            }
            FASTNN_RNN_TEAM_STOP(t);
        }
    }
}

static void FN(rnn_backward_team)(const fastnn_flag_t *stop, int isa, int nt, long T, long B, long H, int relu,
                                  const REAL *wp, const int64_t *lengths, const REAL *y,
                                  const REAL *dy, REAL *dh, REAL *work)
{
    const long nr = fastnn_rgemm_panel_width(isa);
    int stop_at[2] = {0, 0};   /* see FASTNN_RNN_TEAM_STOP */
    #pragma omp parallel num_threads(nt)
    {
        long p0, p1, u0, nu;
        FN(team_units)(H, nr, &p0, &p1, &u0, &nu);
        for (long t = T - 1; t >= 0; t--) {
            const REAL *yt = y + t * B * H;
            REAL *dg = work + t * B * H;
            for (long b = 0; nu > 0 && b < B; b++) {
                long r = b * H + u0;
                if (FASTNN_RNN_PADDED(t, b)) memset(dg + r, 0, sizeof(REAL) * nu);
                else FASTNN_ISA_CALL(isa, FN(rnn_back_row),
                                     (nu, relu, yt + r, dy ? dy + t * B * H + r : NULL, dh + r,
                                      dg + r));
            }
            FASTNN_RNN_TEAM_STOP(t);
            fastnn_rgemm_panels(isa, B, H, H, dg, H, wp, dh, H, 1, p0, p1);
        }
    }
}

static void FN(lstm_forward_team)(const fastnn_flag_t *stop, int isa, int nt, long T, long B, long H, const REAL *wp,
                                  long plen, const REAL *c0, const int64_t *lengths, REAL *y,
                                  REAL *gates, REAL *cs, REAL *hbuf)
{
    const long G = 4 * H, nr = fastnn_rgemm_panel_width(isa);
    int stop_at[2] = {0, 0};   /* see FASTNN_RNN_TEAM_STOP */
    #pragma omp parallel num_threads(nt)
    {
        long p0, p1, u0, nu;
        FN(team_units)(H, nr, &p0, &p1, &u0, &nu);
        for (long t = 0; t < T; t++) {
            const REAL *hp = hbuf + (t & 1) * B * H, *cp = t ? cs + (t - 1) * B * H : c0;
            REAL *hc = hbuf + ((t + 1) & 1) * B * H;
            REAL *gt = gates + t * B * G, *ct = cs + t * B * H, *yt = y + t * B * H;
            for (long g = 0; g < 4; g++)
                fastnn_rgemm_panels(isa, B, H, H, hp, H, wp + g * plen, gt + g * H, G, 1, p0, p1);
            for (long b = 0; nu > 0 && b < B; b++) {
                long r = b * H + u0;
                if (FASTNN_RNN_PADDED(t, b)) {   /* frozen: carry h and c, output 0 */
                    memcpy(ct + r, cp + r, sizeof(REAL) * nu);
                    memcpy(hc + r, hp + r, sizeof(REAL) * nu);
                    memset(yt + r, 0, sizeof(REAL) * nu);
                } else {
                    FASTNN_ISA_CALL(isa, FN(lstm_row),
                                    (nu, H, gt + b * G + u0, cp + r, ct + r, hc + r, yt + r));
                }
            }
            FASTNN_RNN_TEAM_STOP(t);
        }
    }
}

static void FN(lstm_backward_team)(const fastnn_flag_t *stop, int isa, int nt, long T, long B, long H, const REAL *wp,
                                   const REAL *c0, const int64_t *lengths, const REAL *gates,
                                   const REAL *cs, const REAL *dy, REAL *dh, REAL *dc,
                                   REAL *work)
{
    const long G = 4 * H, nr = fastnn_rgemm_panel_width(isa);
    int stop_at[2] = {0, 0};   /* see FASTNN_RNN_TEAM_STOP */
    #pragma omp parallel num_threads(nt)
    {
        long p0, p1, u0, nu;
        FN(team_units)(H, nr, &p0, &p1, &u0, &nu);
        for (long t = T - 1; t >= 0; t--) {
            const REAL *gt = gates + t * B * G, *ct = cs + t * B * H;
            const REAL *cp = t ? cs + (t - 1) * B * H : c0;
            REAL *dg = work + t * B * G;
            for (long b = 0; nu > 0 && b < B; b++) {
                long r = b * H + u0;
                if (FASTNN_RNN_PADDED(t, b)) {
                    for (long k = 0; k < 4; k++) memset(dg + b * G + k * H + u0, 0, sizeof(REAL) * nu);
                } else {
                    FASTNN_ISA_CALL(isa, FN(lstm_back_row),
                                    (nu, H, gt + b * G + u0, cp + r, ct + r,
                                     dy ? dy + t * B * H + r : NULL, dh + r, dc + r,
                                     dg + b * G + u0));
                }
            }
            FASTNN_RNN_TEAM_STOP(t);
            fastnn_rgemm_panels(isa, B, H, G, dg, G, wp, dh, H, 1, p0, p1);
        }
    }
}

static void FN(gru_forward_team)(const fastnn_flag_t *stop, int isa, int nt, long T, long B, long H, const REAL *wp,
                                 long plen, const REAL *bh, const int64_t *lengths, REAL *y,
                                 REAL *gates, REAL *hn, REAL *work, REAL *hbuf)
{
    const long G = 3 * H, nr = fastnn_rgemm_panel_width(isa);
    int stop_at[2] = {0, 0};   /* see FASTNN_RNN_TEAM_STOP */
    #pragma omp parallel num_threads(nt)
    {
        long p0, p1, u0, nu;
        FN(team_units)(H, nr, &p0, &p1, &u0, &nu);
        for (long t = 0; t < T; t++) {
            const REAL *hp = hbuf + (t & 1) * B * H;
            REAL *hc = hbuf + ((t + 1) & 1) * B * H;
            REAL *gt = gates + t * B * G, *hnt = hn + t * B * H, *yt = y + t * B * H;
            for (long g = 0; g < 3; g++)
                fastnn_rgemm_panels(isa, B, H, H, hp, H, wp + g * plen, work + g * H, G, 0, p0, p1);
            for (long b = 0; nu > 0 && b < B; b++) {
                long r = b * H + u0;
                if (FASTNN_RNN_PADDED(t, b)) {
                    memset(yt + r, 0, sizeof(REAL) * nu);
                    memset(hnt + r, 0, sizeof(REAL) * nu);
                    memcpy(hc + r, hp + r, sizeof(REAL) * nu);
                } else {
                    FASTNN_ISA_CALL(isa, FN(gru_row),
                                    (nu, H, gt + b * G + u0, work + b * G + u0, bh + u0, hp + r,
                                     hc + r, hnt + r, yt + r));
                }
            }
            FASTNN_RNN_TEAM_STOP(t);
        }
    }
}

static void FN(gru_backward_team)(const fastnn_flag_t *stop, int isa, int nt, long T, long B, long H, const REAL *wp,
                                  const REAL *h0, const int64_t *lengths, const REAL *y,
                                  const REAL *gates, const REAL *hn, const REAL *dy, REAL *dh,
                                  REAL *work_ih, REAL *work_hh)
{
    const long G = 3 * H, nr = fastnn_rgemm_panel_width(isa);
    int stop_at[2] = {0, 0};   /* see FASTNN_RNN_TEAM_STOP */
    #pragma omp parallel num_threads(nt)
    {
        long p0, p1, u0, nu;
        FN(team_units)(H, nr, &p0, &p1, &u0, &nu);
        for (long t = T - 1; t >= 0; t--) {
            const REAL *gt = gates + t * B * G, *hnt = hn + t * B * H;
            const REAL *hp = t ? y + (t - 1) * B * H : h0;
            REAL *dgi = work_ih + t * B * G, *dgh = work_hh + t * B * G;
            for (long b = 0; nu > 0 && b < B; b++) {
                long r = b * H + u0;
                if (FASTNN_RNN_PADDED(t, b)) {
                    for (long k = 0; k < 3; k++) {
                        memset(dgi + b * G + k * H + u0, 0, sizeof(REAL) * nu);
                        memset(dgh + b * G + k * H + u0, 0, sizeof(REAL) * nu);
                    }
                } else {
                    FASTNN_ISA_CALL(isa, FN(gru_back_row),
                                    (nu, H, gt + b * G + u0, hnt + r, hp + r,
                                     dy ? dy + t * B * H + r : NULL, dh + r, dgi + b * G + u0,
                                     dgh + b * G + u0));
                }
            }
            FASTNN_RNN_TEAM_STOP(t);
            fastnn_rgemm_panels(isa, B, H, G, dgh, G, wp, dh, H, 1, p0, p1);
        }
    }
}
#endif

/* ------------------------------------------------------------------ Elman RNN */

void FN(rnn_forward)(long T, long B, long I, long H, int relu,
                     const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,
                     const REAL *b_ih, const REAL *b_hh, const int64_t *lengths,
                     REAL *y, REAL *h_n)
{
    const int isa = fastnn_isa();   /* one level for the whole sequence */
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* Ctrl-C, polled per step */
#if FASTNN_RNN_PACKED
    if (T >= 2 && fastnn_rgemm_available()) {
        long plen;
        REAL *wp = FN(pack_gates)(isa, 1, H, H, w_hh, &plen);
        REAL *hbuf = malloc(sizeof(REAL) * 2 * B * H);
        int done = wp && hbuf;
        if (done) {
            FN(project)(T * B, H, I, x, w_ih, b_ih, b_hh, y);
            memcpy(hbuf, h0, sizeof(REAL) * B * H);
            FN(rnn_forward_team)(stop, isa, FN(seq_team)(isa, T, B, H, H),
                                 T, B, H, relu, wp, lengths, y, hbuf);
            memcpy(h_n, hbuf + (T & 1) * B * H, sizeof(REAL) * B * H);
        }
        free(wp);
        free(hbuf);
        if (done) return;
    }
#endif
    REAL *wp = FN(pack_w)(isa, T, 1, H, H, w_hh);
    FN(project)(T * B, H, I, x, w_ih, b_ih, b_hh, y);
    memcpy(h_n, h0, sizeof(REAL) * B * H);
    for (long t = 0; t < T; t++) {
        if (fastnn_stopped(stop)) break;
        REAL *yt = y + t * B * H;
        long b;
        FN(recur)(isa, wp, 1, B, H, H, h_n, w_hh, yt, 1);
        #pragma omp parallel for schedule(static) if (FASTNN_RNN_PAR_IF(B, H))
        for (b = 0; b < B; b++) {
            if (FASTNN_RNN_PADDED(t, b)) memset(yt + b * H, 0, sizeof(REAL) * H);
            else FASTNN_ISA_CALL(isa, FN(rnn_row),
                                 (H, relu, yt + b * H, h_n + b * H));
        }
    }
    free(wp);
}

void FN(rnn_backward)(long T, long B, long I, long H, int relu,
                      const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,
                      const int64_t *lengths, const REAL *y, const REAL *dy, REAL *dh,
                      REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh, REAL *work)
{
    const int isa = fastnn_isa();   /* one level for the whole sequence */
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* Ctrl-C, polled per step */
    REAL *wp = FN(pack_w)(isa, T, 0, H, H, w_hh);
#if FASTNN_RNN_PACKED
    if (wp) {
        FN(rnn_backward_team)(stop, isa, FN(seq_team)(isa, T, B, H, H),
                              T, B, H, relu, wp, lengths, y, dy, dh, work);
        free(wp);
        if (fastnn_stopped(stop)) return;
        FN(weight_grads)(T, B, I, H, H, x, h0, y, w_ih, work, work, dx, dw_ih, dw_hh, db_ih, db_hh);
        return;
    }
#endif
    for (long t = T - 1; t >= 0; t--) {
        if (fastnn_stopped(stop)) break;
        REAL *dg = work + t * B * H;
        const REAL *yt = y + t * B * H;
        long b;
        #pragma omp parallel for schedule(static) if (FASTNN_RNN_PAR_IF(B, H))
        for (b = 0; b < B; b++) {
            if (FASTNN_RNN_PADDED(t, b)) memset(dg + b * H, 0, sizeof(REAL) * H);
            else FASTNN_ISA_CALL(isa, FN(rnn_back_row),
                                 (H, relu, yt + b * H, dy ? dy + (t * B + b) * H : NULL,
                                  dh + b * H, dg + b * H));
        }
        FN(recur)(isa, wp, 0, B, H, H, dg, w_hh, dh, 1);
    }
    free(wp);
    if (fastnn_stopped(stop)) return;
    FN(weight_grads)(T, B, I, H, H, x, h0, y, w_ih, work, work, dx, dw_ih, dw_hh, db_ih, db_hh);
}

/* ------------------------------------------------------------------ LSTM */

void FN(lstm_forward)(long T, long B, long I, long H,
                      const REAL *x, const REAL *h0, const REAL *c0, const REAL *w_ih,
                      const REAL *w_hh, const REAL *b_ih, const REAL *b_hh,
                      const int64_t *lengths, REAL *y, REAL *h_n, REAL *c_n,
                      REAL *gates, REAL *cs)
{
    const int isa = fastnn_isa();   /* one level for the whole sequence */
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* Ctrl-C, polled per step */
    const long G = 4 * H;
#if FASTNN_RNN_PACKED
    if (T >= 2 && fastnn_rgemm_available()) {
        long plen;
        REAL *wp = FN(pack_gates)(isa, 4, H, H, w_hh, &plen);
        REAL *hbuf = malloc(sizeof(REAL) * 2 * B * H);
        int done = wp && hbuf;
        if (done) {
            FN(project)(T * B, G, I, x, w_ih, b_ih, b_hh, gates);
            memcpy(hbuf, h0, sizeof(REAL) * B * H);
            FN(lstm_forward_team)(stop, isa, FN(seq_team)(isa, T, B, G, H),
                                  T, B, H, wp, plen, c0, lengths, y, gates, cs, hbuf);
            memcpy(h_n, hbuf + (T & 1) * B * H, sizeof(REAL) * B * H);
            memcpy(c_n, cs + (T - 1) * B * H, sizeof(REAL) * B * H);
        }
        free(wp);
        free(hbuf);
        if (done) return;
    }
#endif
    REAL *wp = FN(pack_w)(isa, T, 1, G, H, w_hh);
    FN(project)(T * B, G, I, x, w_ih, b_ih, b_hh, gates);
    memcpy(h_n, h0, sizeof(REAL) * B * H);
    for (long t = 0; t < T; t++) {
        if (fastnn_stopped(stop)) break;
        REAL *gt = gates + t * B * G, *ct = cs + t * B * H, *yt = y + t * B * H;
        const REAL *cp = t ? cs + (t - 1) * B * H : c0;
        long b;
        FN(recur)(isa, wp, 1, B, G, H, h_n, w_hh, gt, 1);
        #pragma omp parallel for schedule(static) if (FASTNN_RNN_PAR_IF(B, G))
        for (b = 0; b < B; b++) {
            if (FASTNN_RNN_PADDED(t, b)) {   /* frozen: carry c, output 0 */
                memcpy(ct + b * H, cp + b * H, sizeof(REAL) * H);
                memset(yt + b * H, 0, sizeof(REAL) * H);
            } else {
                FASTNN_ISA_CALL(isa, FN(lstm_row),
                                (H, H, gt + b * G, cp + b * H, ct + b * H, h_n + b * H,
                                 yt + b * H));
            }
        }
    }
    memcpy(c_n, cs + (T - 1) * B * H, sizeof(REAL) * B * H);
    free(wp);
}

void FN(lstm_backward)(long T, long B, long I, long H,
                       const REAL *x, const REAL *h0, const REAL *c0, const REAL *w_ih,
                       const REAL *w_hh, const int64_t *lengths, const REAL *y,
                       const REAL *gates, const REAL *cs, const REAL *dy, REAL *dh, REAL *dc,
                       REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh, REAL *work)
{
    const int isa = fastnn_isa();   /* one level for the whole sequence */
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* Ctrl-C, polled per step */
    const long G = 4 * H;
    REAL *wp = FN(pack_w)(isa, T, 0, H, G, w_hh);
#if FASTNN_RNN_PACKED
    if (wp) {
        FN(lstm_backward_team)(stop, isa, FN(seq_team)(isa, T, B, G, H),
                               T, B, H, wp, c0, lengths, gates, cs, dy, dh, dc, work);
        free(wp);
        if (fastnn_stopped(stop)) return;
        FN(weight_grads)(T, B, I, H, G, x, h0, y, w_ih, work, work, dx, dw_ih, dw_hh, db_ih, db_hh);
        return;
    }
#endif
    for (long t = T - 1; t >= 0; t--) {
        if (fastnn_stopped(stop)) break;
        const REAL *gt = gates + t * B * G, *ct = cs + t * B * H;
        const REAL *cp = t ? cs + (t - 1) * B * H : c0;
        REAL *dg = work + t * B * G;
        long b;
        #pragma omp parallel for schedule(static) if (FASTNN_RNN_PAR_IF(B, G))
        for (b = 0; b < B; b++) {
            if (FASTNN_RNN_PADDED(t, b)) memset(dg + b * G, 0, sizeof(REAL) * G);
            else FASTNN_ISA_CALL(isa, FN(lstm_back_row),
                                 (H, H, gt + b * G, cp + b * H, ct + b * H,
                                  dy ? dy + (t * B + b) * H : NULL, dh + b * H, dc + b * H,
                                  dg + b * G));
        }
        FN(recur)(isa, wp, 0, B, H, G, dg, w_hh, dh, 1);
    }
    free(wp);
    if (fastnn_stopped(stop)) return;
    FN(weight_grads)(T, B, I, H, G, x, h0, y, w_ih, work, work, dx, dw_ih, dw_hh, db_ih, db_hh);
}

/* ------------------------------------------------------------------ GRU */

void FN(gru_forward)(long T, long B, long I, long H,
                     const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,
                     const REAL *b_ih, const REAL *b_hh, const int64_t *lengths,
                     REAL *y, REAL *h_n, REAL *gates, REAL *hn, REAL *work)
{
    const int isa = fastnn_isa();   /* one level for the whole sequence */
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* Ctrl-C, polled per step */
    const long G = 3 * H;
#if FASTNN_RNN_PACKED
    if (T >= 2 && fastnn_rgemm_available()) {
        long plen;
        REAL *wp = FN(pack_gates)(isa, 3, H, H, w_hh, &plen);
        REAL *hbuf = malloc(sizeof(REAL) * 2 * B * H);
        int done = wp && hbuf;
        if (done) {
            FN(project)(T * B, G, I, x, w_ih, b_ih, NULL, gates);
            memcpy(hbuf, h0, sizeof(REAL) * B * H);
            FN(gru_forward_team)(stop, isa, FN(seq_team)(isa, T, B, G, H),
                                 T, B, H, wp, plen, b_hh, lengths, y, gates, hn, work, hbuf);
            memcpy(h_n, hbuf + (T & 1) * B * H, sizeof(REAL) * B * H);
        }
        free(wp);
        free(hbuf);
        if (done) return;
    }
#endif
    REAL *wp = FN(pack_w)(isa, T, 1, G, H, w_hh);
    FN(project)(T * B, G, I, x, w_ih, b_ih, NULL, gates);
    memcpy(h_n, h0, sizeof(REAL) * B * H);
    for (long t = 0; t < T; t++) {
        if (fastnn_stopped(stop)) break;
        REAL *gt = gates + t * B * G, *hnt = hn + t * B * H, *yt = y + t * B * H;
        long b;
        FN(recur)(isa, wp, 1, B, G, H, h_n, w_hh, work, 0);
        #pragma omp parallel for schedule(static) if (FASTNN_RNN_PAR_IF(B, G))
        for (b = 0; b < B; b++) {
            if (FASTNN_RNN_PADDED(t, b)) {
                memset(yt + b * H, 0, sizeof(REAL) * H);
                memset(hnt + b * H, 0, sizeof(REAL) * H);
            } else {
                FASTNN_ISA_CALL(isa, FN(gru_row),
                                (H, H, gt + b * G, work + b * G, b_hh, h_n + b * H, h_n + b * H,
                                 hnt + b * H, yt + b * H));
            }
        }
    }
    free(wp);
}

void FN(gru_backward)(long T, long B, long I, long H,
                      const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,
                      const int64_t *lengths, const REAL *y, const REAL *gates,
                      const REAL *hn, const REAL *dy, REAL *dh,
                      REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh,
                      REAL *work_ih, REAL *work_hh)
{
    const int isa = fastnn_isa();   /* one level for the whole sequence */
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* Ctrl-C, polled per step */
    const long G = 3 * H;
    REAL *wp = FN(pack_w)(isa, T, 0, H, G, w_hh);
#if FASTNN_RNN_PACKED
    if (wp) {
        FN(gru_backward_team)(stop, isa, FN(seq_team)(isa, T, B, G, H),
                              T, B, H, wp, h0, lengths, y, gates, hn, dy, dh, work_ih, work_hh);
        free(wp);
        if (fastnn_stopped(stop)) return;
        FN(weight_grads)(T, B, I, H, G, x, h0, y, w_ih, work_ih, work_hh,
                         dx, dw_ih, dw_hh, db_ih, db_hh);
        return;
    }
#endif
    for (long t = T - 1; t >= 0; t--) {
        if (fastnn_stopped(stop)) break;
        const REAL *gt = gates + t * B * G, *hnt = hn + t * B * H;
        const REAL *hp = t ? y + (t - 1) * B * H : h0;
        REAL *dgi = work_ih + t * B * G, *dgh = work_hh + t * B * G;
        long b;
        #pragma omp parallel for schedule(static) if (FASTNN_RNN_PAR_IF(B, G))
        for (b = 0; b < B; b++) {
            if (FASTNN_RNN_PADDED(t, b)) {
                memset(dgi + b * G, 0, sizeof(REAL) * G);
                memset(dgh + b * G, 0, sizeof(REAL) * G);
            } else {
                FASTNN_ISA_CALL(isa, FN(gru_back_row),
                                (H, H, gt + b * G, hnt + b * H, hp + b * H,
                                 dy ? dy + (t * B + b) * H : NULL, dh + b * H, dgi + b * G,
                                 dgh + b * G));
            }
        }
        FN(recur)(isa, wp, 0, B, H, G, dgh, w_hh, dh, 1);
    }
    free(wp);
    if (fastnn_stopped(stop)) return;
    FN(weight_grads)(T, B, I, H, G, x, h0, y, w_ih, work_ih, work_hh,
                     dx, dw_ih, dw_hh, db_ih, db_hh);
}

#undef FASTNN_RNN_PADDED
#undef FASTNN_RNN_PAR_IF
