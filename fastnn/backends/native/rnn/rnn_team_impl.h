/* The persistent team of rnn_kernel_impl.h (float32 with the packed step
 * kernel, rnn_gemm_kernel.c): the whole time loop of a sequence in one OpenMP
 * region, forward and backward, with the backward's weight grads by chunks.
 * Included by rnn_kernel_impl.h inside FASTNN_RNN_PACKED, once per precision
 * that has the packed kernel, after FN(seq_t) and the fused rows' drivers.
 * Reference: fastnn/backends/numpy_ref/rnn.py. No include guard on purpose. */
/* ------------------------------------------------------------ the persistent team
 * float32 sequences with the packed step kernel run their whole time loop in one
 * OpenMP region. Each thread owns a range of hidden units (whole panels of the
 * packed W_hh, which it packs itself: the packing is split too, and the panels
 * start in the cache of the thread that reads them): per step it computes its
 * units' columns of every gate's recurrent product and then its units' fused
 * pass, and the team meets at one barrier per step, after which the new state
 * is complete. A team per product would pay a fork/join per step and leave the
 * fused pass on one thread. Forward steps read h_{t-1} from one half of a
 * double buffer and write h_t to the other, so a thread that starts step t+1
 * never overwrites what another still reads. Backward, a thread's fused pass
 * needs only its own units' dh and dc, and its share of dh_{t-1} = dG_t W_hh
 * needs all of dG_t: the barrier sits between the two. Every output column
 * sums its full K on one thread, so results do not depend on the team size.
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
#else
#define FASTNN_RNN_TEAM_LEAD 1
#endif

/* The step's barrier in two halves: fnn_arrive once this thread's share of the
 * step is written, then work on this thread's own data only (the LSTM
 * forward's copy of its gates to the saved ones; the backward's copies of its
 * gate grads into panels, its bias grads), then fnn_wait for every thread's
 * share. A thread that arrives first does that
 * work instead of spinning. With GCC/Clang atomics (sense-reversing: the last
 * to arrive resets the count and opens the next generation); elsewhere the
 * whole barrier sits at the wait. The spin backs off to sched_yield: a thread
 * may be waiting for one the OS has descheduled. */
#ifndef FASTNN_RNN_SPLIT_BARRIER
#define FASTNN_RNN_SPLIT_BARRIER
/* split: 0 where the team has more threads than the processors it may run on
 * (fastnn.set_num_threads above the core count): a spinning waiter would then
 * hold the core of the thread it waits for (3x slower at 4 threads on 2 cores),
 * so the whole barrier is OpenMP's, which sleeps. */
typedef struct { long count, gen; int split; } fnn_split_barrier;
#if defined(_OPENMP) && defined(__GNUC__)
#include <sched.h>
static inline int fnn_split_fits(int nt) { return nt <= omp_get_num_procs(); }

static inline long fnn_arrive(fnn_split_barrier *b)
{
    if (!b->split) return 0;
    const long gen = __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE);
    if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == omp_get_num_threads()) {
        __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->gen, gen + 1, __ATOMIC_RELEASE);
    }
    return gen;
}

static inline void fnn_wait(fnn_split_barrier *b, long gen)
{
    if (!b->split) {
        _Pragma("omp barrier")
        return;
    }
    for (long spins = 0; __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) == gen; spins++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if (spins > 20000) sched_yield();
    }
}
#else
static inline int fnn_split_fits(int nt) { (void)nt; return 0; }
static inline long fnn_arrive(fnn_split_barrier *b) { (void)b; return 0; }
static inline void fnn_wait(fnn_split_barrier *b, long gen)
{
    (void)b;
    (void)gen;
#ifdef _OPENMP
    _Pragma("omp barrier")
#endif
}
#endif
#endif

/* Threads for T steps of B x G x H multiply-adds each: the usual threshold for
 * the whole sequence, and each step at least 1/16 of it (~0.5M multiply-adds,
 * ~10 us on one core), so that its barrier (~1 us between spinning threads)
 * stays a small share; never more threads than panels of H units. */
static int FN(seq_team)(const FN(seq_t) *s)
{
    const double step_macs = (double)s->B * s->G * s->H;
    const long nr = fastnn_rgemm_panel_width(s->isa), panels = (s->H + nr - 1) / nr;
    int nt = fastnn_team(step_macs * s->T, FASTNN_PAR_MIN_MACS);
    if (step_macs < FASTNN_PAR_MIN_MACS / 16) nt = 1;
    if (nt > panels) nt = (int)panels;
    return nt > 1 ? nt : 1;
}

/* Backward, the weight grads chunk by chunk: during a chunk's steps each thread
 * writes its rows [x_t | h_{t-1}] (its share of the batch) into the panels of
 * the chunk's half of xh, and, once it has arrived at the step's barrier, the
 * step's gate grads of its own units into their panels of ap_i (and ap_h);
 * after the barrier of the chunk's last step every row of xh is in, and each thread adds the chunk's products
 * to the weight grads' rows of its own units (fastnn_rgemm_packed, K = the
 * chunk's steps x B). Both operands are in cache then, and streamed front to
 * back. Row p = (t - t0) * B + b of a chunk whose first step is t0: the rows
 * keep ascending t and b, so every weight-grad entry sums its terms in the same
 * order on one thread, whatever the team. A thread's A panels are its own
 * (units come in whole panels); xh's halves alternate, and a half is refilled
 * only after the barriers of the chunk in between, which every thread reaches
 * after its products on that half. */
static long FN(chunk_row)(const FN(seq_t) *s, long i, long t, long b)
{
    return (t - FN(chunk_t0)(s, i / s->wg_steps)) * s->B + b;
}

static REAL *FN(chunk_xh)(const FN(seq_t) *s, long i)   /* step i's chunk's half of xh */
{
    return s->xh + ((i / s->wg_steps) & 1) * s->b_half;
}

static void FN(chunk_rows)(const FN(seq_t) *s, long i, long t, long b0, long b1)
{
    const long B = s->B, H = s->H, w = fastnn_rgemm_packed_width(s->isa);
    REAL *xh = FN(chunk_xh)(s, i);
    for (long b = b0; b < b1; b++) {
        const long p = FN(chunk_row)(s, i, t, b);
        fastnn_rgemm_panel_row(w, s->x + t * s->xs_t + b * s->xs_b, s->I, xh, s->ps, p);
        fastnn_rgemm_panel_row(w, t ? s->y + ((t - 1) * B + b) * H : s->h0 + b * H, H,
                               xh + s->xh_hpan * s->ps, s->ps, p);
    }
}

/* Where the A panels of gate k's unit u0 start: the input side's in ap_i; the
 * recurrent side's there too but for the GRU's n block (its last, the one
 * block its two sides differ in), which alone has panels in ap_h. */
static REAL *FN(chunk_a_i)(const FN(seq_t) *s, long k, long u0)
{
    return s->ap_i + (k * s->a_hp + u0) / fastnn_rgemm_packed_width(s->isa) * s->ps;
}

static REAL *FN(chunk_a_h)(const FN(seq_t) *s, long k, long u0)
{
    if (s->ap_h != s->ap_i && (k + 1) * s->H == s->G)
        return s->ap_h + u0 / fastnn_rgemm_packed_width(s->isa) * s->ps;
    return FN(chunk_a_i)(s, k, u0);
}

/* Row b of step t's gate grads, units [u0, u1) of every gate, into A's panels. */
static void FN(chunk_pack_a)(const FN(seq_t) *s, long i, long t, long b, long u0, long u1)
{
    const long H = s->H, G = s->G, w = fastnn_rgemm_packed_width(s->isa);
    const long p = FN(chunk_row)(s, i, t, b), row = (FN(slot)(s, t) * s->B + b) * G;
    for (long k = 0; k * H < G; k++)
        fastnn_rgemm_panel_row(w, s->dgi + row + k * H + u0, u1 - u0, FN(chunk_a_i)(s, k, u0),
                               s->ps, p);
    if (s->ap_h != s->ap_i)
        fastnn_rgemm_panel_row(w, s->dgh + row + G - H + u0, u1 - u0,
                               FN(chunk_a_h)(s, G / H - 1, u0), s->ps, p);
}

/* dW_ih += dG_i^T [x rows], dW_hh += dG_h^T [h rows]: the rows of this thread's
 * units [u0, u1) of every gate, for the chunk that step i ends. */
static void FN(chunk_grads)(const FN(seq_t) *s, long i, long u0, long u1)
{
    const long H = s->H, I = s->I, G = s->G, ps = s->ps;
    const long c = i / s->wg_steps, K = (i - c * s->wg_steps + 1) * s->B;
    const REAL *xh = FN(chunk_xh)(s, i);
    for (long k = 0; u1 > u0 && k * H < G; k++) {
        const long r = k * H + u0;
        fastnn_rgemm_packed(s->isa, u1 - u0, I, K, FN(chunk_a_i)(s, k, u0), ps, xh, ps,
                            s->dw_ih + r * I, I, c > 0);
        fastnn_rgemm_packed(s->isa, u1 - u0, H, K, FN(chunk_a_h)(s, k, u0), ps,
                            xh + s->xh_hpan * ps, ps, s->dw_hh + r * H, H, c > 0);
    }
}

/* The team's loop, both directions. Forward, W_hh and W_ih are packed gate by
 * gate as op(W) = W^T, so that panel p of every gate covers the same units
 * [p*nr, p*nr + nr), and each step's gates are x_t W_ih^T + h_{t-1} W_hh^T
 * summed in the same registers (no projection of all steps beforehand: its
 * T*B x G result would leave the cache before its step reads it); backward,
 * W_hh as op(W) = W (dh = dG W, K = G), and the weight grads by chunks when
 * s->wg_steps is set. */
static void FN(team)(const fastnn_flag_t *stop, const FN(seq_t) *s, int backward)
{
    const int isa = s->isa;
    const long B = s->B, H = s->H, G = s->G, nr = fastnn_rgemm_panel_width(isa);
    const int chunked = backward && s->wg_steps > 0;
    const long mb = fastnn_rgemm_tile_rows(isa);
    int stop_at[2] = {0, 0};
    const int nt = FN(seq_team)(s);
    fnn_split_barrier step_done = {0, 0, fnn_split_fits(nt)};
    REAL *xout = s->gates ? s->gates : s->y;   /* where x_t W_ih^T goes (+ W_hh h: fout) */
    #pragma omp parallel num_threads(nt)
    {
        long p0, p1, u0, u1, b0, b1, i;
        fnn_team_share((H + nr - 1) / nr, &p0, &p1);
        u0 = p0 * nr;
        u1 = p1 * nr < H ? p1 * nr : H;
        fnn_team_share(B, &b0, &b1);
        /* LSTM forward: this thread's gates of the step (its units of the four
         * gates, every batch row) in a buffer of its own, which stays in cache;
         * they go to the saved gates after it arrives at the step's barrier */
        const long gl = 4 * (u1 - u0);
        REAL *gt = !backward && s->kind == FASTNN_RNN_LSTM && u1 > u0
                   ? fnn_malloc64(sizeof(REAL) * (size_t)(B * gl)) : NULL;
        if (backward) fastnn_rgemm_pack(isa, 0, H, G, s->w_hh, s->wp, p0, p1);
        for (long k = 0; !backward && k < G; k += H) {
            fastnn_rgemm_pack(isa, 1, H, H, s->w_hh + k * H, s->wp + k / H * s->plen, p0, p1);
            fastnn_rgemm_pack(isa, 1, H, s->I, s->w_ih + k * s->I, s->wpi + k / H * s->pleni,
                              p0, p1);
        }
        for (i = 0; i < s->T; i++) {
            long t = backward ? s->T - 1 - i : i;
            const REAL *xt = s->x + t * s->xs_t, *hp = s->hbuf + (t & 1) * B * H;
            const long dgo = FN(slot)(s, t) * B * G;   /* step t's gate grads */
            /* forward, a block of batch rows at a time: its gate pre-activations
             * (a tile of the step kernel's rows) are still in L1 for its fused
             * rows, instead of coming back from L2 after the whole batch */
            for (long m0 = 0; !backward && m0 < B; m0 += mb) {
                const long nb = B - m0 < mb ? B - m0 : mb;
                REAL *fo = s->fout + t * s->fstep + m0 * G;
                for (long k = 0; k < G; k += H) {
                    const REAL *wi = s->wpi + k / H * s->pleni, *wh = s->wp + k / H * s->plen;
                    const REAL *xm = xt + m0 * s->xs_b, *hm = hp + m0 * H;
                    if (s->kind == FASTNN_RNN_GRU) {   /* W_hn h stays apart (r multiplies it) */
                        fastnn_rgemm_panels(isa, nb, H, s->I, xm, s->xs_b, wi,
                                            xout + (t * B + m0) * G + k, G, 0, p0, p1);
                        fastnn_rgemm_panels(isa, nb, H, H, hm, H, wh, fo + k, G, 0, p0, p1);
                    } else if (gt) {   /* gt's column 0 is unit u0: the panels from p0 on */
                        fastnn_rgemm_panels2(isa, nb, H - u0, s->I, xm, s->xs_b,
                                             wi + p0 * s->I * nr, H, hm, H, wh + p0 * H * nr,
                                             gt + m0 * gl + k / H * (u1 - u0), gl, 0, 0, p1 - p0);
                    } else {   /* x_t W_ih^T + h_{t-1} W_hh^T in one pass */
                        fastnn_rgemm_panels2(isa, nb, H, s->I, xm, s->xs_b, wi, H, hm, H, wh,
                                             fo + k, G, 0, p0, p1);
                    }
                }
                for (long b = m0; u1 > u0 && b < m0 + nb; b++)
                    FN(fwd_row)(s, t, b, u0, u1 - u0, gt ? gt + b * gl : NULL, u1 - u0);
            }
            for (long b = 0; backward && u1 > u0 && b < B; b++) FN(back_row)(s, t, b, u0, u1 - u0);
            /* xh is read by every thread: its rows before the arrival */
            if (chunked) FN(chunk_rows)(s, i, t, b0, b1);
            if (FASTNN_RNN_TEAM_LEAD && fastnn_stopped(stop)) stop_at[t & 1] = 1;
            const long gen = fnn_arrive(&step_done);
            for (long b = 0; gt && b < B; b++)
                for (long k = 0; k < 4; k++)
                    memcpy(s->gates + (t * B + b) * G + k * H + u0, gt + b * gl + k * (u1 - u0),
                           sizeof(REAL) * (size_t)(u1 - u0));
            for (long b = 0; chunked && u1 > u0 && b < B; b++) FN(chunk_pack_a)(s, i, t, b, u0, u1);
            /* the bias grads: this step's rows of the units this thread owns
             * (for the whole loop: no other thread adds to them), in cache */
            for (long k = 0; backward && s->dbi && u1 > u0 && k < G; k += H) {
                FASTNN_ISA_CALL(isa, FN(add_rows), (B, G, u1 - u0, s->dbi + k + u0,
                                                    s->dgi + dgo + k + u0));
                if (s->dbh)
                    FASTNN_ISA_CALL(isa, FN(add_rows), (B, G, u1 - u0, s->dbh + k + u0,
                                                        s->dgh + dgo + k + u0));
            }
            fnn_wait(&step_done, gen);
            if (stop_at[t & 1]) break;
            if (chunked && ((i + 1) % s->wg_steps == 0 || i == s->T - 1))
                FN(chunk_grads)(s, i, u0, u1);
            if (backward && (t > 0 || s->need_dh0))
                fastnn_rgemm_panels(isa, B, H, G, s->dgh + dgo, G, s->wp, s->dh, H, 1, p0, p1);
        }
        fnn_free64(gt);
    }
}
