// Per-time-step gate kernels for the recurrent layers on the GPU (float and
// double): Elman RNN, LSTM (gates i, f, g, o) and GRU (gates r, z, n), in
// PyTorch's layout.
//
// The host side (rnn.py) runs the input projection for all steps as one
// cuBLAS GEMM and the recurrent product h @ W_hh^T per step; everything
// between two GEMMs -- bias, activations, the cell update, the length mask,
// the writes of y / gates / cell states -- is one fused launch with a thread
// per (batch, hidden) element. Backward mirrors it: one fused kernel per step
// computes the pre-activation gradients, one GEMM carries them to h_{t-1}.
// A sequence b is frozen at steps t >= len[b] (output 0, no gradient).
// Reference: fastnn/backends/numpy_ref/rnn.py.
#include "common.cuh"

// h = act(xw_t + hw) for running sequences; y_t = new h there, 0 elsewhere.
template <typename T>
__device__ void rnn_fwd_step_impl(const T* __restrict__ xw_t, const T* __restrict__ hw,
                                  T* __restrict__ h, T* __restrict__ y_t,
                                  const long long* __restrict__ len, long long t,
                                  idx_t B, idx_t H, long long use_relu) {
    GRID_STRIDE_LOOP(i, B * H) {
        const idx_t b = i / H;
        const T a = xw_t[i] + hw[i];
        const T hn = use_relu ? (a > T(0) || is_nan(a) ? a : T(0)) : fn_tanh(a);
        const bool run = t < len[b];
        if (run) h[i] = hn;
        y_t[i] = run ? hn : T(0);
    }
}

// dpre_t = (dh + dy_t) * act'(y_t) where running, else 0; keep = dh where
// frozen, else 0 (the host then adds dpre_t @ W_hh to get dh_{t-1}).
template <typename T>
__device__ void rnn_bwd_step_impl(const T* __restrict__ y_t, const T* __restrict__ dy_t,
                                  long long has_dy, const T* __restrict__ dh,
                                  T* __restrict__ dpre_t, T* __restrict__ keep,
                                  const long long* __restrict__ len, long long t,
                                  idx_t B, idx_t H, long long use_relu) {
    GRID_STRIDE_LOOP(i, B * H) {
        const bool run = t < len[i / H];
        const T g = dh[i] + (has_dy ? dy_t[i] : T(0));
        const T y = y_t[i];
        // y <= 0 rather than y > 0: the gradient passes at a NaN, as in PyTorch
        const T d = use_relu ? (y <= T(0) ? T(0) : g) : g * (T(1) - y * y);
        dpre_t[i] = run ? d : T(0);
        keep[i] = run ? T(0) : dh[i];
    }
}

// LSTM cell: a = xw_t + hw (4H per row, gates i f g o);
// c' = f*c + i*g, h' = o*tanh(c'). Stores activated gates and the new c.
template <typename T>
__device__ void lstm_fwd_step_impl(const T* __restrict__ xw_t, const T* __restrict__ hw,
                                   T* __restrict__ h, T* __restrict__ c,
                                   T* __restrict__ y_t, T* __restrict__ gates_t,
                                   T* __restrict__ c_t, const long long* __restrict__ len,
                                   long long t, idx_t B, idx_t H) {
    GRID_STRIDE_LOOP(i, B * H) {
        const idx_t b = i / H, j = i % H, row = b * 4 * H;
        const T ig = fn_sigmoid(xw_t[row + j] + hw[row + j]);
        const T fg = fn_sigmoid(xw_t[row + H + j] + hw[row + H + j]);
        const T gg = fn_tanh(xw_t[row + 2 * H + j] + hw[row + 2 * H + j]);
        const T og = fn_sigmoid(xw_t[row + 3 * H + j] + hw[row + 3 * H + j]);
        const T cn = fg * c[i] + ig * gg;
        const T hn = og * fn_tanh(cn);
        gates_t[row + j] = ig;
        gates_t[row + H + j] = fg;
        gates_t[row + 2 * H + j] = gg;
        gates_t[row + 3 * H + j] = og;
        const bool run = t < len[b];
        if (run) { c[i] = cn; h[i] = hn; }
        c_t[i] = c[i];
        y_t[i] = run ? hn : T(0);
    }
}

// LSTM backward through one step. dc is updated in place (to dc_{t-1});
// keep = dh where frozen, else 0.
template <typename T>
__device__ void lstm_bwd_step_impl(const T* __restrict__ gates_t, const T* __restrict__ c_t,
                                   const T* __restrict__ c_prev, const T* __restrict__ dy_t,
                                   long long has_dy, const T* __restrict__ dh,
                                   T* __restrict__ dc, T* __restrict__ dgates_t,
                                   T* __restrict__ keep, const long long* __restrict__ len,
                                   long long t, idx_t B, idx_t H) {
    GRID_STRIDE_LOOP(i, B * H) {
        const idx_t b = i / H, j = i % H, row = b * 4 * H;
        const bool run = t < len[b];
        const T ig = gates_t[row + j], fg = gates_t[row + H + j];
        const T gg = gates_t[row + 2 * H + j], og = gates_t[row + 3 * H + j];
        const T tc = fn_tanh(c_t[i]);
        const T dh_t = dh[i] + (has_dy ? dy_t[i] : T(0));
        const T dc_t = dc[i] + dh_t * og * (T(1) - tc * tc);
        const T z = T(0);
        dgates_t[row + j] = run ? dc_t * gg * ig * (T(1) - ig) : z;
        dgates_t[row + H + j] = run ? dc_t * c_prev[i] * fg * (T(1) - fg) : z;
        dgates_t[row + 2 * H + j] = run ? dc_t * ig * (T(1) - gg * gg) : z;
        dgates_t[row + 3 * H + j] = run ? dh_t * tc * og * (T(1) - og) : z;
        if (run) dc[i] = dc_t * fg;
        keep[i] = run ? z : dh[i];
    }
}

// GRU cell: gi = x W_ih^T + b_ih, gh = h W_hh^T + b_hh (3H per row, r z n);
// n = tanh(gi_n + r * gh_n), h' = (1 - z) * n + z * h. Stores r, z, n and gh_n.
template <typename T>
__device__ void gru_fwd_step_impl(const T* __restrict__ gi_t, const T* __restrict__ gh,
                                  T* __restrict__ h, T* __restrict__ y_t,
                                  T* __restrict__ gates_t, T* __restrict__ hn_t,
                                  const long long* __restrict__ len, long long t,
                                  idx_t B, idx_t H) {
    GRID_STRIDE_LOOP(i, B * H) {
        const idx_t b = i / H, j = i % H, row = b * 3 * H;
        const T r = fn_sigmoid(gi_t[row + j] + gh[row + j]);
        const T z = fn_sigmoid(gi_t[row + H + j] + gh[row + H + j]);
        const T ghn = gh[row + 2 * H + j];
        const T n = fn_tanh(gi_t[row + 2 * H + j] + r * ghn);
        const T hnew = (T(1) - z) * n + z * h[i];
        gates_t[row + j] = r;
        gates_t[row + H + j] = z;
        gates_t[row + 2 * H + j] = n;
        hn_t[i] = ghn;
        const bool run = t < len[b];
        if (run) h[i] = hnew;
        y_t[i] = run ? hnew : T(0);
    }
}

// GRU backward through one step: gradients of gi (dg_ih) and gh (dg_hh; its n
// part is scaled by r), and keep = dh_t * z where running, dh where frozen.
template <typename T>
__device__ void gru_bwd_step_impl(const T* __restrict__ gates_t, const T* __restrict__ hn_t,
                                  const T* __restrict__ h_prev, const T* __restrict__ dy_t,
                                  long long has_dy, const T* __restrict__ dh,
                                  T* __restrict__ dg_ih_t, T* __restrict__ dg_hh_t,
                                  T* __restrict__ keep, const long long* __restrict__ len,
                                  long long t, idx_t B, idx_t H) {
    GRID_STRIDE_LOOP(i, B * H) {
        const idx_t b = i / H, j = i % H, row = b * 3 * H;
        const bool run = t < len[b];
        const T r = gates_t[row + j], z = gates_t[row + H + j], n = gates_t[row + 2 * H + j];
        const T dh_t = dh[i] + (has_dy ? dy_t[i] : T(0));
        const T dn = dh_t * (T(1) - z) * (T(1) - n * n);
        const T dr = dn * hn_t[i] * r * (T(1) - r);
        const T dz = dh_t * (h_prev[i] - n) * z * (T(1) - z);
        const T zero = T(0);
        dg_ih_t[row + j] = run ? dr : zero;
        dg_ih_t[row + H + j] = run ? dz : zero;
        dg_ih_t[row + 2 * H + j] = run ? dn : zero;
        dg_hh_t[row + j] = run ? dr : zero;
        dg_hh_t[row + H + j] = run ? dz : zero;
        dg_hh_t[row + 2 * H + j] = run ? dn * r : zero;
        keep[i] = run ? dh_t * z : dh[i];
    }
}

#define RNNF_PARAMS(T) (const T* xw_t, const T* hw, T* h, T* y_t, const long long* len,     \
                        long long t, idx_t B, idx_t H, long long use_relu)
#define RNNF_ARGS (xw_t, hw, h, y_t, len, t, B, H, use_relu)
#define RNNB_PARAMS(T) (const T* y_t, const T* dy_t, long long has_dy, const T* dh,         \
                        T* dpre_t, T* keep, const long long* len, long long t, idx_t B,       \
                        idx_t H, long long use_relu)
#define RNNB_ARGS (y_t, dy_t, has_dy, dh, dpre_t, keep, len, t, B, H, use_relu)
#define LSTMF_PARAMS(T) (const T* xw_t, const T* hw, T* h, T* c, T* y_t, T* gates_t,        \
                         T* c_t, const long long* len, long long t, idx_t B, idx_t H)
#define LSTMF_ARGS (xw_t, hw, h, c, y_t, gates_t, c_t, len, t, B, H)
#define LSTMB_PARAMS(T) (const T* gates_t, const T* c_t, const T* c_prev, const T* dy_t,    \
                         long long has_dy, const T* dh, T* dc, T* dgates_t, T* keep,         \
                         const long long* len, long long t, idx_t B, idx_t H)
#define LSTMB_ARGS (gates_t, c_t, c_prev, dy_t, has_dy, dh, dc, dgates_t, keep, len, t, B, H)
#define GRUF_PARAMS(T) (const T* gi_t, const T* gh, T* h, T* y_t, T* gates_t, T* hn_t,      \
                        const long long* len, long long t, idx_t B, idx_t H)
#define GRUF_ARGS (gi_t, gh, h, y_t, gates_t, hn_t, len, t, B, H)
#define GRUB_PARAMS(T) (const T* gates_t, const T* hn_t, const T* h_prev, const T* dy_t,    \
                        long long has_dy, const T* dh, T* dg_ih_t, T* dg_hh_t, T* keep,       \
                        const long long* len, long long t, idx_t B, idx_t H)
#define GRUB_ARGS (gates_t, hn_t, h_prev, dy_t, has_dy, dh, dg_ih_t, dg_hh_t, keep, len, t, B, H)

FASTNN_INSTANTIATE(rnn_fwd_step, RNNF_PARAMS, RNNF_ARGS)
FASTNN_INSTANTIATE(rnn_bwd_step, RNNB_PARAMS, RNNB_ARGS)
FASTNN_INSTANTIATE(lstm_fwd_step, LSTMF_PARAMS, LSTMF_ARGS)
FASTNN_INSTANTIATE(lstm_bwd_step, LSTMB_PARAMS, LSTMB_ARGS)
FASTNN_INSTANTIATE(gru_fwd_step, GRUF_PARAMS, GRUF_ARGS)
FASTNN_INSTANTIATE(gru_bwd_step, GRUB_PARAMS, GRUB_ARGS)
