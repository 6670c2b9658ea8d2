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

/* out[j] = sum_r a[r, j] for the columns [j0, j1): the rows stream through
 * in order (a column block walked down the rows would cross a page per row,
 * where the prefetcher stops). */
static void FN(colsum)(long N, long G, const REAL *a, REAL *out, long j0, long j1)
{
    for (long j = j0; j < j1; j++) out[j] = 0;
    for (long r = 0; r < N; r++) {
        const REAL *row = a + r * G;
        #pragma omp simd
        for (long j = j0; j < j1; j++) out[j] += row[j];
    }
}

/* Row (t, b) of [x_t | h_{t-1}] into dst (I + H floats): x's row, then h0's
 * (t = 0) or y's of step t-1. */
static void FN(xh_row)(REAL *dst, long t, long b, long B, long I, long H, const REAL *x,
                       long xs_t, long xs_b, const REAL *h0, const REAL *y)
{
    memcpy(dst, x + t * xs_t + b * xs_b, sizeof(REAL) * I);
    memcpy(dst + I, t ? y + ((t - 1) * B + b) * H : h0 + b * H, sizeof(REAL) * H);
}

/* Rows [j0, j1) of dw = [dW_ih | dW_hh] (I + H columns) to dw_ih and dw_hh. */
static void FN(split_rows)(long j0, long j1, long I, long H, const REAL *dw, REAL *dw_ih,
                           REAL *dw_hh)
{
    for (long j = j0; j < j1; j++) {
        memcpy(dw_ih + j * I, dw + j * (I + H), sizeof(REAL) * I);
        memcpy(dw_hh + j * H, dw + j * (I + H) + I, sizeof(REAL) * H);
    }
}

/* Weight and bias grads of all steps at once from the pre-activation grads dgi
 * (input side) and dgh (recurrent side), against the rows [x_t | h_{t-1}]
 * (h_{t-1} is h0 for t = 0 and y[t-1] after; padded steps have zero grads, so
 * their stale y rows do not matter). The team splits the G output rows: each
 * thread packs only its share of dg (the GEMM's own split, by columns here,
 * would pack all of dg on every thread). When both sides share their grads
 * (RNN, LSTM) one GEMM gives both weight grads and packs dg once. No sum is
 * split, so the result does not depend on the team. dx may be NULL (not
 * needed: its GEMM is a sixth of a training step's multiply-adds). */
static void FN(weight_grads)(long T, long B, long I, long H, long G,
                             const REAL *x, long xs_t, long xs_b, const REAL *h0,
                             const REAL *y, const REAL *w_ih,
                             const REAL *dgi, const REAL *dgh, REAL *dx, REAL *dw_ih,
                             REAL *dw_hh, REAL *db_ih, REAL *db_hh)
{
    const long N = T * B, L = I + H;
    const int one = dgi == dgh;
    if (dx) FN(mm)(0, N, I, G, dgi, w_ih, dx, 0);
    REAL *xh = fnn_malloc64(sizeof(REAL) * (size_t)(N + (one ? G : 0)) * (size_t)L);
    if (!xh) {   /* out of memory: the same products straight from x, h0 and y */
        if (xs_b == I)
            GEMM(1, 0, G, I, N, 1, dgi, G, x, I, 0, dw_ih, I, 0);
        else   /* batch-major x: batch entry by batch entry */
            for (long b = 0; b < B; b++)
                GEMM(1, 0, G, I, T, 1, dgi + b * G, B * G, x + b * xs_b, xs_t, b ? 1 : 0, dw_ih,
                     I, 0);
        GEMM(1, 0, G, H, B, 1, dgh, G, h0, H, 0, dw_hh, H, 0);
        if (T > 1) GEMM(1, 0, G, H, N - B, 1, dgh + B * G, G, y, H, 1, dw_hh, H, 0);
        if (db_ih) FN(colsum)(N, G, dgi, db_ih, 0, G);
        if (db_hh) FN(colsum)(N, G, dgh, db_hh, 0, G);
        return;
    }
    REAL *dw = xh + N * L;
    #pragma omp parallel num_threads(fastnn_team((double)N * G * L, FASTNN_PAR_MIN_MACS))
    {
        long r0, r1, i0, i1;
        fnn_team_share(N, &r0, &r1);
        for (long r = r0; r < r1; r++)
            FN(xh_row)(xh + r * L, r / B, r % B, B, I, H, x, xs_t, xs_b, h0, y);
        fnn_team_share_lines(G, &i0, &i1);
        #pragma omp barrier
        if (i1 > i0 && one) {
            GEMM(1, 0, i1 - i0, L, N, 1, dgi + i0, G, xh, L, 0, dw + i0 * L, L, 1);
            FN(split_rows)(i0, i1, I, H, dw, dw_ih, dw_hh);
        } else if (i1 > i0) {
            GEMM(1, 0, i1 - i0, I, N, 1, dgi + i0, G, xh, L, 0, dw_ih + i0 * I, I, 1);
            GEMM(1, 0, i1 - i0, H, N, 1, dgh + i0, G, xh + I, L, 0, dw_hh + i0 * H, H, 1);
        }
        if (db_ih) FN(colsum)(N, G, dgi, db_ih, i0, i1);
        if (db_hh && db_ih && one) memcpy(db_hh + i0, db_ih + i0, sizeof(REAL) * (i1 - i0));
        else if (db_hh) FN(colsum)(N, G, dgh, db_hh, i0, i1);
    }
    fnn_free64(xh);
}

/* One sequence, one direction, as its step loops see it: the arrays of its
 * family (the others NULL). The state h lives in hbuf: h_{t-1} at
 * hbuf + (t & 1) * hstep, h_t written at hbuf + ((t + 1) & 1) * hstep, so
 * hstep = B*H is a double buffer (the team) and 0 one state updated in place. */
typedef struct {
    int isa, kind, relu;                  /* kind: FASTNN_RNN_ELMAN, _LSTM or _GRU */
    long T, B, H, G;                      /* G = gates * H */
    const int64_t *lengths;
    const REAL *w_hh, *h0, *c0, *bh, *dy;
    const REAL *x, *w_ih;                 /* forward: the input projection's operands */
    long xs_t, xs_b, dys_t, dys_b;        /* x's and dy's row (t, b) at t * s_t + b * s_b */
    int need_dh0;                         /* backward: 0 skips step 0's dh product */
    const REAL *bias;                     /* forward: the input-side bias, added per row */
    REAL *dbi, *dbh;                      /* backward: bias grads summed per row, or NULL */
    long I;
    REAL *wp, *wpi;                       /* the team's packed W_hh, W_ih (plen, pleni per gate) */
    long plen, pleni, hstep, fstep;
    REAL *hbuf, *fout;                    /* forward: step t's product goes to fout + t*fstep */
    REAL *y, *gates, *cs, *hn, *work, *dh, *dc, *dgi, *dgh;
    /* backward on the team: the weight grads chunk by chunk (wg_steps steps
     * each) inside the step loop, from the chunk's operands in panels
     * (fastnn_rgemm_packed; see FN(team)), ps floats apart: ap_i its gate
     * grads (gate k's unit u in A column k * a_hp + u), ap_h the GRU's
     * recurrent-side n block (the one block its sides differ in; else ap_i),
     * xh two halves (b_half floats each) of its rows [x_t | h_{t-1}] (x in
     * the first xh_hpan panels, h in the rest). ring: 1 when no one needs
     * every step's gate grads after the loop (dx does): then two steps' live
     * in dgi/dgh, which the recurrent product reads. */
    long wg_steps, ring, a_hp, ps, b_half, xh_hpan;
    REAL *ap_i, *ap_h, *xh, *dw_ih, *dw_hh;
} FN(seq_t);

/* Where step t's gate grads live: row block slot(t) of dgi/dgh. With the ring,
 * step t's block is rewritten at step t - 2, after the barrier of step t - 1,
 * which every thread reaches after its share of step t's recurrent product. */
static inline long FN(slot)(const FN(seq_t) *s, long t)
{
    return s->ring ? t & 1 : t;
}

static inline long FN(chunk_t0)(const FN(seq_t) *s, long c)   /* chunk c's first step */
{
    const long end = (c + 1) * s->wg_steps;
    return s->T - (end < s->T ? end : s->T);
}

/* out (T*B x G) = x W_ih^T (W_ih is G x I), all T steps at once on the GEMM's own
 * team (the general loop; the persistent team computes x_t W_ih^T per step
 * instead, with W_hh h); batch-major x, one GEMM per batch entry, each writing
 * rows B apart. The biases are added later, in the fused pass that reads the
 * gates anyway. */
static void FN(project)(const FN(seq_t) *s, REAL *out)
{
    const long T = s->T, B = s->B, G = s->G, I = s->I;
    if (s->xs_b == I) {
        FN(mm)(1, T * B, G, I, s->x, s->w_ih, out, 0);
        return;
    }
    for (long b = 0; b < B; b++)
        GEMM(0, 1, T, G, I, 1, s->x + b * s->xs_b, s->xs_t, s->w_ih, I, 0, out + b * G, B * G,
             0);
}

#define FASTNN_RNN_PADDED(s, t, b) ((s)->lengths && (int64_t)(t) >= (s)->lengths[b])
#define FASTNN_RNN_PAR_IF(B, W) ((B) > 1 && (B) * (W) >= FASTNN_RNN_PAR_MIN)

/* Forward step t for units [u0, u0 + nu) of batch row b, once the recurrent
 * product is in: the family's fused row, or a frozen (padded) step. LSTM: the
 * row's pre-activations at g (gate k at g + k * gs), or, g NULL, in place in
 * the gates. */
static void FN(fwd_row)(const FN(seq_t) *s, long t, long b, long u0, long nu, REAL *g, long gs)
{
    const long B = s->B, H = s->H, r = b * H + u0, o = (t * B + b) * s->G + u0;
    const REAL *hp = s->hbuf + (t & 1) * s->hstep;
    const REAL *cp = s->kind == FASTNN_RNN_LSTM ? (t ? s->cs + (t - 1) * B * H : s->c0) : NULL;
    REAL *hc = s->hbuf + ((t + 1) & 1) * s->hstep, *yt = s->y + t * B * H;
    if (FASTNN_RNN_PADDED(s, t, b)) {   /* frozen: carry the state, output 0 */
        if (hc != hp) memcpy(hc + r, hp + r, sizeof(REAL) * nu);
        if (cp) memcpy(s->cs + t * B * H + r, cp + r, sizeof(REAL) * nu);
        if (s->hn) memset(s->hn + t * B * H + r, 0, sizeof(REAL) * nu);
        memset(yt + r, 0, sizeof(REAL) * nu);
    } else if (s->kind == FASTNN_RNN_LSTM) {
        FASTNN_ISA_CALL(s->isa, FN(lstm_row), (nu, H, g ? gs : H, g ? g : s->gates + o,
                                               s->bias + u0, cp + r, s->cs + t * B * H + r,
                                               hc + r, yt + r));
    } else if (s->kind == FASTNN_RNN_GRU) {
        FASTNN_ISA_CALL(s->isa, FN(gru_row), (nu, H, s->gates + o, s->bias + u0,
                                              s->work + b * s->G + u0, s->bh + u0, hp + r, hc + r,
                                              s->hn + t * B * H + r, yt + r));
    } else {
        FASTNN_ISA_CALL(s->isa, FN(rnn_row), (nu, s->relu, s->bias + u0, yt + r, hc + r));
    }
}

/* Backward step t for units [u0, u0 + nu) of batch row b: the pre-activation
 * grads (zero at a padded step) from the carried dh (and dc). */
static void FN(back_row)(const FN(seq_t) *s, long t, long b, long u0, long nu)
{
    const long B = s->B, H = s->H, r = b * H + u0, o = (t * B + b) * s->G + u0;
    const long od = (FN(slot)(s, t) * B + b) * s->G + u0;   /* the gate grads' row */
    const REAL *dy = s->dy ? s->dy + t * s->dys_t + b * s->dys_b + u0 : NULL;
    if (FASTNN_RNN_PADDED(s, t, b)) {
        for (long k = 0; k < s->G; k += H) {
            memset(s->dgi + od + k, 0, sizeof(REAL) * nu);
            memset(s->dgh + od + k, 0, sizeof(REAL) * nu);
        }
    } else if (s->kind == FASTNN_RNN_LSTM) {
        const REAL *cp = t ? s->cs + (t - 1) * B * H : s->c0;
        FASTNN_ISA_CALL(s->isa, FN(lstm_back_row), (nu, H, s->gates + o, cp + r,
                                                    s->cs + t * B * H + r, dy, s->dh + r,
                                                    s->dc + r, s->dgi + od));
    } else if (s->kind == FASTNN_RNN_GRU) {
        const REAL *hp = t ? s->y + (t - 1) * B * H : s->h0;
        FASTNN_ISA_CALL(s->isa, FN(gru_back_row), (nu, H, s->gates + o, s->hn + t * B * H + r,
                                                   hp + r, dy, s->dh + r, s->dgi + od,
                                                   s->dgh + od));
    } else {
        FASTNN_ISA_CALL(s->isa, FN(rnn_back_row), (nu, s->relu, s->y + t * B * H + r, dy,
                                                   s->dh + r, s->dgi + od));
    }
}

/* The general step loop (float64, no vector kernel, one step): per step the
 * product on fastnn's GEMM (its own team) and the rows split over the batch. */
static void FN(seq_loop)(const fastnn_flag_t *stop, const FN(seq_t) *s, int backward)
{
    const long B = s->B, H = s->H, G = s->G;
    for (long i = 0; i < s->T; i++) {
        long t = backward ? s->T - 1 - i : i, b;
        if (fastnn_stopped(stop)) break;
        if (!backward)
            FN(mm)(1, B, G, H, s->hbuf, s->w_hh, s->fout + t * s->fstep, s->kind != FASTNN_RNN_GRU);
        #pragma omp parallel for schedule(static) if (FASTNN_RNN_PAR_IF(B, G))
        for (b = 0; b < B; b++) {
            if (backward) FN(back_row)(s, t, b, 0, H);
            else FN(fwd_row)(s, t, b, 0, H, NULL, 0);
        }
        if (backward && (t > 0 || s->need_dh0))
            FN(mm)(0, B, H, G, s->dgh + t * B * G, s->w_hh, s->dh, 1);
    }
}

#if FASTNN_RNN_PACKED
#include "rnn_team_impl.h"
#endif

/* Runs the forward steps from h0 to h_n: on the persistent team when it can
 * (float32 with a vector kernel and at least two steps; x_t W_ih^T with each
 * step), else the input projection of all steps (into the gates, RNN: into y)
 * and the general loop. */
static void FN(run_forward)(FN(seq_t) *s, const REAL *h0, REAL *h_n)
{
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* Ctrl-C, polled per step */
    const long BH = s->B * s->H;
#if FASTNN_RNN_PACKED
    if (s->T >= 2 && fastnn_rgemm_available()) {
        s->plen = (long)fastnn_rgemm_packed_len(s->isa, s->H, s->H);
        s->pleni = (long)fastnn_rgemm_packed_len(s->isa, s->H, s->I);
        s->wp = fnn_malloc64(sizeof(REAL) * (size_t)(s->plen + s->pleni) *
                             (size_t)(s->G / s->H));
        s->wpi = s->wp ? s->wp + s->plen * (s->G / s->H) : NULL;
        s->hbuf = fnn_malloc64(sizeof(REAL) * 2 * BH);
        s->hstep = BH;
        int done = s->wp && s->hbuf;
        if (done) {
            memcpy(s->hbuf, h0, sizeof(REAL) * BH);
            FN(team)(stop, s, 0);
            memcpy(h_n, s->hbuf + (s->T & 1) * BH, sizeof(REAL) * BH);
        }
        fnn_free64(s->wp);
        fnn_free64(s->hbuf);
        if (done) return;
    }
#endif
    FN(project)(s, s->gates ? s->gates : s->y);
    s->hbuf = h_n;
    s->hstep = 0;
    memcpy(h_n, h0, sizeof(REAL) * BH);
    FN(seq_loop)(stop, s, 0);
}

/* Runs the backward steps (dh, dc in/out; the gate grads into dgi, dgh), then,
 * unless interrupted, the weight grads of all steps at once (and the bias
 * grads, unless the team summed them per row). */
static void FN(run_backward)(FN(seq_t) *s, long I, const REAL *x, const REAL *w_ih, REAL *dx,
                             REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh)
{
    const fastnn_flag_t *stop = fastnn_interrupt_watch();   /* Ctrl-C, polled per step */
    int done = 0;
    s->x = x;
    s->I = I;
#if FASTNN_RNN_PACKED
    const int one = s->dgi == s->dgh;   /* RNN, LSTM: both biases have the same grads */
    if (s->T >= 2 && fastnn_rgemm_available()) {
        /* chunks of ~256 rows: a chunk's operands (~1.4 MB at H = 256) stay in
         * cache, and the weight grads are read and written once per chunk. The
         * panels are zero-padded (partial ones are read whole). */
        const long steps = s->B >= 256 ? 1 : 256 / s->B, K = steps * s->B, H = s->H;
        const long w = fastnn_rgemm_packed_width(s->isa), gates = s->G / H;
        const long Ip = (I + w - 1) / w * w, Hp = (H + w - 1) / w * w;
        /* panels one line more than K rows apart: a row's copies into all its
         * panels would otherwise fall on one set of L1 (K * w * 4 bytes is a
         * multiple of 4 KiB) and miss each time (+0.5 ms a backward, Zen 4) */
        const long ps = K * w + 16;
        const size_t a_len = (size_t)(gates * Hp / w * ps);
        const size_t b_len = (size_t)(2 * (Ip + Hp) / w * ps);
        s->wp = fnn_malloc64(sizeof(REAL) * fastnn_rgemm_packed_len(s->isa, H, s->G));
        s->xh = fnn_malloc64(sizeof(REAL) * b_len);
        s->ap_i = fnn_malloc64(sizeof(REAL) * a_len);
        s->ap_h = one ? s->ap_i : fnn_malloc64(sizeof(REAL) * (a_len / gates));   /* n block */
        done = s->wp != NULL;
        if (s->xh && s->ap_i && s->ap_h) {
            if (Ip > I || Hp > H) memset(s->xh, 0, sizeof(REAL) * b_len);
            if (Hp > H) {
                memset(s->ap_i, 0, sizeof(REAL) * a_len);
                if (!one) memset(s->ap_h, 0, sizeof(REAL) * (a_len / gates));
            }
            s->wg_steps = steps;
            s->ring = !dx;   /* dx needs every step's */
            s->a_hp = Hp;
            s->ps = ps;
            s->b_half = (Ip + Hp) / w * ps;
            s->xh_hpan = Ip / w;
            s->dw_ih = dw_ih;
            s->dw_hh = dw_hh;
        }
        if (done) {   /* the team sums the bias grads as it goes: no pass over dG after */
            s->dbi = db_ih ? db_ih : (one ? db_hh : NULL);
            s->dbh = one ? NULL : db_hh;
            if (s->dbi) memset(s->dbi, 0, sizeof(REAL) * s->G);
            if (s->dbh) memset(s->dbh, 0, sizeof(REAL) * s->G);
            FN(team)(stop, s, 1);
            if (one && db_ih && db_hh) memcpy(db_hh, db_ih, sizeof(REAL) * s->G);
            db_ih = db_hh = NULL;
        }
        fnn_free64(s->wp);
        fnn_free64(s->xh);
        if (s->ap_h != s->ap_i) fnn_free64(s->ap_h);
        fnn_free64(s->ap_i);
        if (done && s->wg_steps) {   /* the weight grads are in; dx still to do */
            if (dx && !fastnn_stopped(stop)) FN(mm)(0, s->T * s->B, I, s->G, s->dgi, w_ih, dx, 0);
            return;
        }
        s->wg_steps = s->ring = 0;
    }
#endif
    if (!done) FN(seq_loop)(stop, s, 1);
    if (fastnn_stopped(stop)) return;
    FN(weight_grads)(s->T, s->B, I, s->H, s->G, x, s->xs_t, s->xs_b, s->h0, s->y, w_ih, s->dgi,
                     s->dgh, dx, dw_ih, dw_hh, db_ih, db_hh);
}

/* ------------------------------------------------------------------ entry points */

/* The row strides of time-major (bm 0) or batch-major (bm 1) T x B x F rows. */
#define FASTNN_RNN_ROWS(bm, F) .xs_t = (bm) ? (F) : B * (F), .xs_b = (bm) ? T * (F) : (F)
#define FASTNN_RNN_DY_ROWS(bm) .dys_t = (bm) ? H : B * H, .dys_b = (bm) ? T * H : H

void FN(rnn_forward)(long T, long B, long I, long H, int x_bm, int relu,
                     const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,
                     const REAL *bias, const int64_t *lengths, REAL *y, REAL *h_n)
{
    FN(seq_t) s = {FASTNN_RNN_ROWS(x_bm, I),
                   .isa = fastnn_isa(), .kind = FASTNN_RNN_ELMAN, .relu = relu, .T = T, .B = B,
                   .H = H, .G = H, .lengths = lengths, .w_hh = w_hh, .x = x, .w_ih = w_ih,
                   .bias = bias, .I = I, .y = y, .fout = y, .fstep = B * H};
    FN(run_forward)(&s, h0, h_n);
}

void FN(rnn_backward)(long T, long B, long I, long H, int x_bm, int dy_bm, int need_dh0,
                      int relu,
                      const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,
                      const int64_t *lengths, const REAL *y, const REAL *dy, REAL *dh,
                      REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh, REAL *work)
{
    FN(seq_t) s = {FASTNN_RNN_ROWS(x_bm, I), FASTNN_RNN_DY_ROWS(dy_bm), .need_dh0 = need_dh0,
                   .isa = fastnn_isa(), .kind = FASTNN_RNN_ELMAN, .relu = relu, .T = T, .B = B,
                   .H = H, .G = H, .lengths = lengths, .w_hh = w_hh, .h0 = h0, .dy = dy,
                   .y = (REAL *)y, .dh = dh, .dgi = work, .dgh = work};
    FN(run_backward)(&s, I, x, w_ih, dx, dw_ih, dw_hh, db_ih, db_hh);
}

void FN(lstm_forward)(long T, long B, long I, long H, int x_bm,
                      const REAL *x, const REAL *h0, const REAL *c0, const REAL *w_ih,
                      const REAL *w_hh, const REAL *bias, const int64_t *lengths, REAL *y,
                      REAL *h_n, REAL *c_n, REAL *gates, REAL *cs)
{
    FN(seq_t) s = {FASTNN_RNN_ROWS(x_bm, I),
                   .isa = fastnn_isa(), .kind = FASTNN_RNN_LSTM, .T = T, .B = B, .H = H,
                   .G = 4 * H, .lengths = lengths, .w_hh = w_hh, .c0 = c0, .x = x,
                   .w_ih = w_ih, .bias = bias, .I = I, .y = y, .gates = gates,
                   .cs = cs, .fout = gates, .fstep = B * 4 * H};
    FN(run_forward)(&s, h0, h_n);
    memcpy(c_n, cs + (T - 1) * B * H, sizeof(REAL) * B * H);
}

void FN(lstm_backward)(long T, long B, long I, long H, int x_bm, int dy_bm, int need_dh0,
                       const REAL *x, const REAL *h0, const REAL *c0, const REAL *w_ih,
                       const REAL *w_hh, const int64_t *lengths, const REAL *y,
                       const REAL *gates, const REAL *cs, const REAL *dy, REAL *dh, REAL *dc,
                       REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh, REAL *work)
{
    FN(seq_t) s = {FASTNN_RNN_ROWS(x_bm, I), FASTNN_RNN_DY_ROWS(dy_bm), .need_dh0 = need_dh0,
                   .isa = fastnn_isa(), .kind = FASTNN_RNN_LSTM, .T = T, .B = B, .H = H,
                   .G = 4 * H, .lengths = lengths, .w_hh = w_hh, .h0 = h0, .c0 = c0, .dy = dy,
                   .y = (REAL *)y, .gates = (REAL *)gates, .cs = (REAL *)cs, .dh = dh, .dc = dc,
                   .dgi = work, .dgh = work};
    FN(run_backward)(&s, I, x, w_ih, dx, dw_ih, dw_hh, db_ih, db_hh);
}

void FN(gru_forward)(long T, long B, long I, long H, int x_bm,
                     const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,
                     const REAL *b_ih, const REAL *b_hh, const int64_t *lengths,
                     REAL *y, REAL *h_n, REAL *gates, REAL *hn, REAL *work)
{
    FN(seq_t) s = {FASTNN_RNN_ROWS(x_bm, I),
                   .isa = fastnn_isa(), .kind = FASTNN_RNN_GRU, .T = T, .B = B, .H = H,
                   .G = 3 * H, .lengths = lengths, .w_hh = w_hh, .bh = b_hh, .x = x,
                   .w_ih = w_ih, .bias = b_ih, .I = I, .y = y, .gates = gates, .hn = hn,
                   .work = work, .fout = work, .fstep = 0};
    FN(run_forward)(&s, h0, h_n);
}

void FN(gru_backward)(long T, long B, long I, long H, int x_bm, int dy_bm, int need_dh0,
                      const REAL *x, const REAL *h0, const REAL *w_ih, const REAL *w_hh,
                      const int64_t *lengths, const REAL *y, const REAL *gates,
                      const REAL *hn, const REAL *dy, REAL *dh,
                      REAL *dx, REAL *dw_ih, REAL *dw_hh, REAL *db_ih, REAL *db_hh,
                      REAL *work_ih, REAL *work_hh)
{
    FN(seq_t) s = {FASTNN_RNN_ROWS(x_bm, I), FASTNN_RNN_DY_ROWS(dy_bm), .need_dh0 = need_dh0,
                   .isa = fastnn_isa(), .kind = FASTNN_RNN_GRU, .T = T, .B = B, .H = H,
                   .G = 3 * H, .lengths = lengths, .w_hh = w_hh, .h0 = h0, .dy = dy,
                   .y = (REAL *)y, .gates = (REAL *)gates, .hn = (REAL *)hn, .dh = dh,
                   .dgi = work_ih, .dgh = work_hh};
    FN(run_backward)(&s, I, x, w_ih, dx, dw_ih, dw_hh, db_ih, db_hh);
}

#undef FASTNN_RNN_PADDED
#undef FASTNN_RNN_ROWS
#undef FASTNN_RNN_DY_ROWS
#undef FASTNN_RNN_PAR_IF
