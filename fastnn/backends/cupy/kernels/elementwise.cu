// Fused elementwise and row-wise kernels on the GPU (float and double):
// relu, bias+relu, softmax / log_softmax and softmax cross-entropy, forward
// and backward.
//
// Row kernels treat the input as (outer, C, inner) with the reduced axis of
// length C in the middle (stride `inner`), so any `dim` is handled without a
// transpose; one 256-thread block per row does max / sum reductions in
// shared memory. Cross-entropy fuses log-softmax, label smoothing, class
// weights and ignore_index into one pass per row and keeps only the row's
// log-sum-exp for backward, which recomputes the softmax. References:
// fastnn/backends/numpy_ref/elementwise.py and PyTorch's cross_entropy.
#include "common.cuh"

#define ROW_THREADS 256

template <typename T>
__device__ void relu_fwd_impl(const T* __restrict__ x, T* __restrict__ y, idx_t n) {
    // NaN propagates, as torch.relu does
    GRID_STRIDE_LOOP(i, n) { const T v = x[i]; y[i] = (v > T(0) || is_nan(v)) ? v : T(0); }
}

// dx = dy except where the forward output was <= 0 (PyTorch's threshold_backward).
template <typename T>
__device__ void relu_bwd_impl(const T* __restrict__ dy, const T* __restrict__ y,
                              T* __restrict__ dx, idx_t n) {
    // y <= 0 rather than y > 0: at a NaN output the gradient passes, as it does in PyTorch
    GRID_STRIDE_LOOP(i, n) { dx[i] = y[i] <= T(0) ? T(0) : dy[i]; }
}

// y = relu(x + b[c]) with x viewed as (outer, C, inner).
template <typename T>
__device__ void bias_relu_fwd_impl(const T* __restrict__ x, const T* __restrict__ b,
                                   T* __restrict__ y, idx_t n, idx_t C, idx_t inner) {
    GRID_STRIDE_LOOP(i, n) {
        const T v = x[i] + b[(i / inner) % C];
        y[i] = (v > T(0) || is_nan(v)) ? v : T(0);
    }
}

struct SumOp { template <typename T> __device__ T operator()(T a, T b) const { return a + b; } };
struct MaxOp {  // NaN-propagating max
    template <typename T> __device__ T operator()(T a, T b) const {
        return (a > b || is_nan(a)) ? a : b;
    }
};

// Reduce one value per thread across the block; every thread gets the result.
template <typename T, typename Op>
__device__ T block_reduce(T v, T* buf, Op op) {
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] = op(buf[threadIdx.x], buf[threadIdx.x + s]);
        __syncthreads();
    }
    const T r = buf[0];
    __syncthreads();
    return r;
}

// Row r = (o, i) of an (outer, C, inner) array starts at o*C*inner + i, stride inner.
__device__ __forceinline__ idx_t row_base(idx_t r, idx_t C, idx_t inner) {
    return (r / inner) * C * inner + (r % inner);
}

// max and log(sum(exp(x - max))) of one row (log-sum-exp = max + that).
template <typename T>
__device__ T row_logsumexp(const T* row, idx_t C, idx_t inner, T* buf) {
    T m = neg_inf<T>();
    for (idx_t c = threadIdx.x; c < C; c += blockDim.x) m = MaxOp()(m, row[c * inner]);
    m = block_reduce(m, buf, MaxOp());
    T s = T(0);
    for (idx_t c = threadIdx.x; c < C; c += blockDim.x) s += fn_exp(row[c * inner] - m);
    s = block_reduce(s, buf, SumOp());
    return m + fn_log(s);
}

template <typename T>
__device__ void softmax_fwd_impl(const T* __restrict__ x, T* __restrict__ y,
                                 idx_t rows, idx_t C, idx_t inner, long long log_out) {
    __shared__ T buf[ROW_THREADS];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const idx_t base = row_base(r, C, inner);
        const T lse = row_logsumexp(x + base, C, inner, buf);
        for (idx_t c = threadIdx.x; c < C; c += blockDim.x) {
            const T z = x[base + c * inner] - lse;
            y[base + c * inner] = log_out ? z : fn_exp(z);
        }
    }
}

// softmax:     dx = y * (dy - sum(dy * y))
// log_softmax: dx = dy - exp(y) * sum(dy)
template <typename T>
__device__ void softmax_bwd_impl(const T* __restrict__ dy, const T* __restrict__ y,
                                 T* __restrict__ dx, idx_t rows, idx_t C, idx_t inner,
                                 long long log_out) {
    __shared__ T buf[ROW_THREADS];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const idx_t base = row_base(r, C, inner);
        T s = T(0);
        for (idx_t c = threadIdx.x; c < C; c += blockDim.x) {
            const idx_t k = base + c * inner;
            s += log_out ? dy[k] : dy[k] * y[k];
        }
        s = block_reduce(s, buf, SumOp());
        for (idx_t c = threadIdx.x; c < C; c += blockDim.x) {
            const idx_t k = base + c * inner;
            dx[k] = log_out ? dy[k] - fn_exp(y[k]) * s : y[k] * (dy[k] - s);
        }
    }
}

// Cross-entropy with class-index targets, one block per row:
//   loss = (1 - eps) * w[t] * (-logp[t]) + eps / C * sum_c w[c] * (-logp[c])
// and wt = w[t], the row's share of the 'mean' denominator; ignored rows give 0, 0.
template <typename T>
__device__ void ce_index_fwd_impl(const T* __restrict__ x, const long long* __restrict__ target,
                                  const T* __restrict__ weight, long long has_weight,
                                  T* __restrict__ loss, T* __restrict__ wt, T* __restrict__ lse_out,
                                  idx_t rows, idx_t C, idx_t inner, long long ignore_index,
                                  double eps) {
    __shared__ T buf[ROW_THREADS];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const idx_t base = row_base(r, C, inner);
        const T lse = row_logsumexp(x + base, C, inner, buf);
        const long long t = target[r];
        T smooth = T(0);
        if (eps != 0.0) {
            for (idx_t c = threadIdx.x; c < C; c += blockDim.x)
                smooth -= (has_weight ? weight[c] : T(1)) * (x[base + c * inner] - lse);
            smooth = block_reduce(smooth, buf, SumOp());
        }
        if (threadIdx.x == 0) {
            lse_out[r] = lse;
            if (t == ignore_index) {
                loss[r] = T(0);
                wt[r] = T(0);
            } else {
                const T w = has_weight ? weight[t] : T(1);
                const T nll = -w * (x[base + t * inner] - lse);
                loss[r] = T(1.0 - eps) * nll + T(eps / (double)C) * smooth;
                wt[r] = w;
            }
        }
    }
}

// dx[k] = g * ((1 - eps) * w[t] * (p[k] - [k == t]) + eps / C * (W * p[k] - w[k])),
// W = sum_c w[c]; g = dloss[r * g_stride] * scale[0] (g_stride 0 for a scalar loss).
template <typename T>
__device__ void ce_index_bwd_impl(const T* __restrict__ x, const long long* __restrict__ target,
                                  const T* __restrict__ weight, long long has_weight,
                                  const T* __restrict__ lse, const T* __restrict__ dloss,
                                  idx_t g_stride, const T* __restrict__ scale, double wsum,
                                  T* __restrict__ dx, idx_t rows, idx_t C, idx_t inner,
                                  long long ignore_index, double eps) {
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const idx_t base = row_base(r, C, inner);
        const long long t = target[r];
        const bool ignored = (t == ignore_index);
        const T g = ignored ? T(0) : dloss[r * g_stride] * scale[0];
        const T wt = ignored ? T(0) : (has_weight ? weight[t] : T(1));
        for (idx_t c = threadIdx.x; c < C; c += blockDim.x) {
            const idx_t k = base + c * inner;
            const T p = fn_exp(x[k] - lse[r]);
            const T wc = has_weight ? weight[c] : T(1);
            const T d = T(1.0 - eps) * wt * (p - (c == t ? T(1) : T(0)))
                        + T(eps / (double)C) * (T(wsum) * p - wc);
            dx[k] = g * d;
        }
    }
}

// Cross-entropy with class-probability targets q (same shape as x):
//   loss = -sum_c w[c] * q'[c] * logp[c],  q' = (1 - eps) * q + eps / C.
template <typename T>
__device__ void ce_prob_fwd_impl(const T* __restrict__ x, const T* __restrict__ q,
                                 const T* __restrict__ weight, long long has_weight,
                                 T* __restrict__ loss, T* __restrict__ lse_out,
                                 idx_t rows, idx_t C, idx_t inner, double eps) {
    __shared__ T buf[ROW_THREADS];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const idx_t base = row_base(r, C, inner);
        const T lse = row_logsumexp(x + base, C, inner, buf);
        T acc = T(0);
        for (idx_t c = threadIdx.x; c < C; c += blockDim.x) {
            const idx_t k = base + c * inner;
            const T qs = T(1.0 - eps) * q[k] + T(eps / (double)C);
            acc -= (has_weight ? weight[c] : T(1)) * qs * (x[k] - lse);
        }
        acc = block_reduce(acc, buf, SumOp());
        if (threadIdx.x == 0) { loss[r] = acc; lse_out[r] = lse; }
    }
}

// dx[k] = g * (p[k] * S - w[k] * q'[k]),  S = sum_c w[c] * q'[c].
template <typename T>
__device__ void ce_prob_bwd_impl(const T* __restrict__ x, const T* __restrict__ q,
                                 const T* __restrict__ weight, long long has_weight,
                                 const T* __restrict__ lse, const T* __restrict__ dloss,
                                 idx_t g_stride, const T* __restrict__ scale,
                                 T* __restrict__ dx, idx_t rows, idx_t C, idx_t inner,
                                 double eps) {
    __shared__ T buf[ROW_THREADS];
    for (idx_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const idx_t base = row_base(r, C, inner);
        T S = T(0);
        for (idx_t c = threadIdx.x; c < C; c += blockDim.x) {
            const T qs = T(1.0 - eps) * q[base + c * inner] + T(eps / (double)C);
            S += (has_weight ? weight[c] : T(1)) * qs;
        }
        S = block_reduce(S, buf, SumOp());
        const T g = dloss[r * g_stride] * scale[0];
        for (idx_t c = threadIdx.x; c < C; c += blockDim.x) {
            const idx_t k = base + c * inner;
            const T qs = T(1.0 - eps) * q[k] + T(eps / (double)C);
            const T p = fn_exp(x[k] - lse[r]);
            dx[k] = g * (p * S - (has_weight ? weight[c] : T(1)) * qs);
        }
    }
}

#define RELUF_PARAMS(T) (const T* x, T* y, idx_t n)
#define RELUF_ARGS (x, y, n)
#define RELUB_PARAMS(T) (const T* dy, const T* y, T* dx, idx_t n)
#define RELUB_ARGS (dy, y, dx, n)
#define BRELU_PARAMS(T) (const T* x, const T* b, T* y, idx_t n, idx_t C, idx_t inner)
#define BRELU_ARGS (x, b, y, n, C, inner)
#define SMF_PARAMS(T) (const T* x, T* y, idx_t rows, idx_t C, idx_t inner, long long log_out)
#define SMF_ARGS (x, y, rows, C, inner, log_out)
#define SMB_PARAMS(T) (const T* dy, const T* y, T* dx, idx_t rows, idx_t C, idx_t inner, \
                       long long log_out)
#define SMB_ARGS (dy, y, dx, rows, C, inner, log_out)
#define CEIF_PARAMS(T) (const T* x, const long long* target, const T* weight,             \
                        long long has_weight, T* loss, T* wt, T* lse_out, idx_t rows,       \
                        idx_t C, idx_t inner, long long ignore_index, double eps)
#define CEIF_ARGS (x, target, weight, has_weight, loss, wt, lse_out, rows, C, inner, \
                   ignore_index, eps)
#define CEIB_PARAMS(T) (const T* x, const long long* target, const T* weight,             \
                        long long has_weight, const T* lse, const T* dloss, idx_t g_stride, \
                        const T* scale, double wsum, T* dx, idx_t rows, idx_t C, idx_t inner,    \
                        long long ignore_index, double eps)
#define CEIB_ARGS (x, target, weight, has_weight, lse, dloss, g_stride, scale, wsum, dx, \
                   rows, C, inner, ignore_index, eps)
#define CEPF_PARAMS(T) (const T* x, const T* q, const T* weight, long long has_weight,    \
                        T* loss, T* lse_out, idx_t rows, idx_t C, idx_t inner, double eps)
#define CEPF_ARGS (x, q, weight, has_weight, loss, lse_out, rows, C, inner, eps)
#define CEPB_PARAMS(T) (const T* x, const T* q, const T* weight, long long has_weight,    \
                        const T* lse, const T* dloss, idx_t g_stride, const T* scale,       \
                        T* dx, idx_t rows, idx_t C, idx_t inner, double eps)
#define CEPB_ARGS (x, q, weight, has_weight, lse, dloss, g_stride, scale, dx, rows, C, \
                   inner, eps)

FASTNN_INSTANTIATE(relu_fwd, RELUF_PARAMS, RELUF_ARGS)
FASTNN_INSTANTIATE(relu_bwd, RELUB_PARAMS, RELUB_ARGS)
FASTNN_INSTANTIATE(bias_relu_fwd, BRELU_PARAMS, BRELU_ARGS)
FASTNN_INSTANTIATE(softmax_fwd, SMF_PARAMS, SMF_ARGS)
FASTNN_INSTANTIATE(softmax_bwd, SMB_PARAMS, SMB_ARGS)
FASTNN_INSTANTIATE(ce_index_fwd, CEIF_PARAMS, CEIF_ARGS)
FASTNN_INSTANTIATE(ce_index_bwd, CEIB_PARAMS, CEIB_ARGS)
FASTNN_INSTANTIATE(ce_prob_fwd, CEPF_PARAMS, CEPF_ARGS)
FASTNN_INSTANTIATE(ce_prob_bwd, CEPB_PARAMS, CEPB_ARGS)
