/* The fused per-row passes of rnn_kernel.c for one precision and ISA level:
 * included through common/isa_each.h once per type, with REAL, FN(name) (this
 * build's name for a function), SIGMOID and TANH defined. These are the hot
 * loops of the recurrent kernels: every gate of a hidden unit is read,
 * activated and consumed in the same iteration, and `omp simd` with the
 * branch-free float32 activations (rnn_kernel.c) vectorises them at the
 * level's width. The drivers (rnn_kernel_impl.h) call them per batch row, on
 * all H units or on the nu units a thread of the persistent team owns.
 * Reference: fastnn/backends/numpy_ref/rnn.py. No include guard on purpose. */

/* y: the row's pre-activations without the bias b (b_ih + b_hh) in, h_t out. */
static FASTNN_TARGET void
FN(rnn_row)(long nu, int relu, const REAL *restrict b, REAL *restrict y, REAL *restrict h)
{
    if (relu) {
        #pragma omp simd
        /* v <= 0 rather than v > 0: a NaN stays NaN, as in torch.relu */
        for (long j = 0; j < nu; j++) {
            REAL v = y[j] + b[j];
            v = v <= 0 ? 0 : v;
            y[j] = v; h[j] = v;
        }
    } else {
        #pragma omp simd
        for (long j = 0; j < nu; j++) { REAL v = TANH(y[j] + b[j]); y[j] = v; h[j] = v; }
    }
}

static FASTNN_TARGET void
FN(rnn_back_row)(long H, int relu, const REAL *restrict y,
                 const REAL *restrict dy, REAL *restrict dh, REAL *restrict dg)
{
    if (dy)
        for (long j = 0; j < H; j++) dh[j] += dy[j];
    if (relu) {
        #pragma omp simd
        /* the gradient passes at a NaN, as in PyTorch's threshold_backward */
        for (long j = 0; j < H; j++) { dg[j] = y[j] <= 0 ? 0 : dh[j]; dh[j] = 0; }
    } else {
        #pragma omp simd
        for (long j = 0; j < H; j++) { dg[j] = dh[j] * (1 - y[j] * y[j]); dh[j] = 0; }
    }
}

/* g: the row's pre-activations (i, f, g, o; gate k at g + k * gs) without the
 * bias b (b_ih + b_hh; gate k at b + k * H) in, activations out. Two passes:
 * the four gate activations are independent chains that fill the vector units
 * together, while tanh(c) waits on all of them; in its own pass successive
 * vectors' chains overlap instead of each vector stalling on one long chain. */
static FASTNN_TARGET void
FN(lstm_row)(long nu, long H, long gs, REAL *restrict g, const REAL *restrict b,
             const REAL *restrict cp, REAL *restrict c, REAL *restrict h, REAL *restrict y)
{
    #pragma omp simd
    for (long j = 0; j < nu; j++) {
        REAL i = SIGMOID(g[j] + b[j]), f = SIGMOID(g[gs + j] + b[H + j]);
        REAL gg = TANH(g[2 * gs + j] + b[2 * H + j]), o = SIGMOID(g[3 * gs + j] + b[3 * H + j]);
        g[j] = i; g[gs + j] = f; g[2 * gs + j] = gg; g[3 * gs + j] = o;
        c[j] = f * cp[j] + i * gg;
    }
    #pragma omp simd
    for (long j = 0; j < nu; j++) {
        REAL hv = g[3 * gs + j] * TANH(c[j]);
        h[j] = hv; y[j] = hv;
    }
}

/* dh, dc: the carried state grads (in: from step t+1, out: dh zeroed for the
 * recurrent GEMM to fill, dc for step t-1); dg: the 4H pre-activation grads. */
static FASTNN_TARGET void
FN(lstm_back_row)(long nu, long H, const REAL *restrict g, const REAL *restrict cp,
                  const REAL *restrict c, const REAL *restrict dy,
                  REAL *restrict dh, REAL *restrict dc, REAL *restrict dg)
{
    /* tanh(c) is recomputed (cheaper than saving it per step), in a pass of its
     * own into dg's o block: the rest of the grads all wait on it. */
    REAL *tc = dg + 3 * H;   /* based on dg: no second restrict pointer */
    #pragma omp simd
    for (long j = 0; j < nu; j++) tc[j] = TANH(c[j]);
    #pragma omp simd
    for (long j = 0; j < nu; j++) {
        REAL i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
        REAL t = tc[j], dhv = dy ? dh[j] + dy[j] : dh[j];
        REAL dcv = dc[j] + dhv * o * (1 - t * t);
        dg[j] = dcv * gg * i * (1 - i);
        dg[H + j] = dcv * cp[j] * f * (1 - f);
        dg[2 * H + j] = dcv * i * (1 - gg * gg);
        tc[j] = dhv * t * o * (1 - o);
        dc[j] = dcv * f;
        dh[j] = 0;
    }
}

/* g: W_ih x (r, z, n) in, activations r, z, n out; bi: b_ih; gh: W_hh h (no
 * bias); hp: state in, hc: state out (may be hp: each unit is read before it is
 * written); hn: W_hn h + b_hn out (backward needs it). */
static FASTNN_TARGET void
FN(gru_row)(long nu, long H, REAL *restrict g, const REAL *restrict bi,
            const REAL *restrict gh, const REAL *restrict bh, const REAL *hp, REAL *hc,
            REAL *restrict hn, REAL *restrict y)
{
    #pragma omp simd
    for (long j = 0; j < nu; j++) {
        REAL r = SIGMOID(g[j] + bi[j] + gh[j] + bh[j]);
        REAL z = SIGMOID(g[H + j] + bi[H + j] + gh[H + j] + bh[H + j]);
        REAL hnv = gh[2 * H + j] + bh[2 * H + j];
        REAL n = TANH(g[2 * H + j] + bi[2 * H + j] + r * hnv);
        REAL hv = (1 - z) * n + z * hp[j];
        g[j] = r; g[H + j] = z; g[2 * H + j] = n;
        hn[j] = hnv; hc[j] = hv; y[j] = hv;
    }
}

/* dgi: grads of W_ih x + b_ih; dgh: grads of W_hh h + b_hh (they differ only in
 * the n block); dh out holds the direct part dh*z of dh_{t-1}. */
static FASTNN_TARGET void
FN(gru_back_row)(long nu, long H, const REAL *restrict g, const REAL *restrict hn,
                 const REAL *restrict hp, const REAL *restrict dy,
                 REAL *restrict dh, REAL *restrict dgi, REAL *restrict dgh)
{
    if (dy)
        for (long j = 0; j < nu; j++) dh[j] += dy[j];
    #pragma omp simd
    for (long j = 0; j < nu; j++) {
        REAL r = g[j], z = g[H + j], n = g[2 * H + j];
        REAL dhv = dh[j];
        REAL dn = dhv * (1 - z) * (1 - n * n);
        REAL dr = dn * hn[j] * r * (1 - r);
        REAL dz = dhv * (hp[j] - n) * z * (1 - z);
        dgi[j] = dr; dgi[H + j] = dz; dgi[2 * H + j] = dn;
        dgh[j] = dr; dgh[H + j] = dz; dgh[2 * H + j] = dn * r;
        dh[j] = dhv * z;
    }
}

/* acc[j] += sum over the rows r of v[r * stride + j], j < n: a step's gate
 * grads into the bias grads. 32 columns at a time stay in registers down all
 * the rows (adding row by row into acc would store and reload the same
 * vectors at every row); the sum still runs row after row. */
static FASTNN_TARGET void
FN(add_rows)(long rows, long stride, long n, REAL *restrict acc, const REAL *restrict v)
{
    long j0 = 0;
    for (; j0 + 32 <= n; j0 += 32) {
        REAL s[32];
        for (int j = 0; j < 32; j++) s[j] = acc[j0 + j];
        for (long r = 0; r < rows; r++) {
            const REAL *vr = v + r * stride + j0;
            #pragma omp simd
            for (int j = 0; j < 32; j++) s[j] += vr[j];
        }
        for (int j = 0; j < 32; j++) acc[j0 + j] = s[j];
    }
    for (long r = 0; j0 < n && r < rows; r++)
        for (long j = j0; j < n; j++) acc[j] += v[r * stride + j];
}
