// 2-D pooling on the GPU (float and double): max, average, adaptive average.
//
// Forward kernels run one thread per output element and reduce over its
// window. Max pooling records the flat argmax in the H*W plane (PyTorch's
// return_indices; NaN wins, the initial index is the window's first in-bounds
// position) and its backward scatters with atomicAdd, since windows may
// overlap. Average-pool backward is a gather (one thread per input pixel sums
// the outputs whose windows cover it); adaptive backward scatters. Window
// geometry and divisors follow PyTorch exactly. Reference:
// fastnn/backends/numpy_ref/pool.py.
#include "common.cuh"

template <typename T>
__device__ void max_pool2d_fwd_impl(const T* __restrict__ x, T* __restrict__ y,
                                    long long* __restrict__ idx,
                                    idx_t NC, idx_t H, idx_t W, idx_t OH, idx_t OW,
                                    idx_t KH, idx_t KW, idx_t SH, idx_t SW,
                                    idx_t PH, idx_t PW, idx_t DH, idx_t DW) {
    GRID_STRIDE_LOOP(i, NC * OH * OW) {
        const idx_t ow = i % OW, oh = (i / OW) % OH, nc = i / (OW * OH);
        idx_t hs = oh * SH - PH, ws = ow * SW - PW;
        const idx_t he = min(hs + (KH - 1) * DH + 1, H);
        const idx_t we = min(ws + (KW - 1) * DW + 1, W);
        while (hs < 0) hs += DH;
        while (ws < 0) ws += DW;
        const T* plane = x + nc * H * W;
        T best = neg_inf<T>();
        idx_t arg = hs * W + ws;
        for (idx_t h = hs; h < he; h += DH) {
            for (idx_t w = ws; w < we; w += DW) {
                const T v = plane[h * W + w];
                if (v > best || is_nan(v)) { best = v; arg = h * W + w; }
            }
        }
        y[i] = best;
        idx[i] = arg;
    }
}

template <typename T>
__device__ void max_pool2d_bwd_impl(const T* __restrict__ dy, const long long* __restrict__ idx,
                                    T* __restrict__ dx, idx_t NC, idx_t HW, idx_t OHW) {
    GRID_STRIDE_LOOP(i, NC * OHW) {
        const idx_t k = idx[i];
        if (k >= 0 && k < HW) atomic_add(dx + (i / OHW) * HW + k, dy[i]);
    }
}

// Window [start, end) of output o along one axis, clipped to the input, and
// the divisor span PyTorch uses with count_include_pad (clipped to the padding).
__device__ __forceinline__ void avg_window(idx_t o, idx_t s, idx_t p, idx_t k, idx_t size,
                                           idx_t* start, idx_t* end, idx_t* span) {
    idx_t a0 = o * s - p;
    idx_t a1 = min(a0 + k, size + p);
    *span = a1 - a0;
    *start = max(a0, (idx_t)0);
    *end = min(a1, size);
}

__device__ __forceinline__ double avg_divisor(idx_t hspan, idx_t wspan, idx_t h0, idx_t h1,
                                              idx_t w0, idx_t w1, long long include_pad,
                                              long long divisor_override) {
    if (divisor_override != 0) return (double)divisor_override;
    if (include_pad) return (double)(hspan * wspan);
    return (double)((h1 - h0) * (w1 - w0));
}

template <typename T>
__device__ void avg_pool2d_fwd_impl(const T* __restrict__ x, T* __restrict__ y,
                                    idx_t NC, idx_t H, idx_t W, idx_t OH, idx_t OW,
                                    idx_t KH, idx_t KW, idx_t SH, idx_t SW, idx_t PH, idx_t PW,
                                    long long include_pad, long long divisor_override) {
    GRID_STRIDE_LOOP(i, NC * OH * OW) {
        const idx_t ow = i % OW, oh = (i / OW) % OH, nc = i / (OW * OH);
        idx_t h0, h1, hspan, w0, w1, wspan;
        avg_window(oh, SH, PH, KH, H, &h0, &h1, &hspan);
        avg_window(ow, SW, PW, KW, W, &w0, &w1, &wspan);
        if (h0 >= h1 || w0 >= w1) { y[i] = T(0); continue; }
        const T* plane = x + nc * H * W;
        T acc = T(0);
        for (idx_t h = h0; h < h1; ++h)
            for (idx_t w = w0; w < w1; ++w) acc += plane[h * W + w];
        y[i] = acc / (T)avg_divisor(hspan, wspan, h0, h1, w0, w1, include_pad, divisor_override);
    }
}

// Outputs whose window (start o*s - p, length k) can contain coordinate v.
__device__ __forceinline__ void covering(idx_t v, idx_t s, idx_t p, idx_t k, idx_t out,
                                         idx_t* first, idx_t* last) {
    *first = (v + p < k) ? 0 : (v + p - k) / s + 1;
    *last = min((v + p) / s + 1, out);
}

template <typename T>
__device__ void avg_pool2d_bwd_impl(const T* __restrict__ dy, T* __restrict__ dx,
                                    idx_t NC, idx_t H, idx_t W, idx_t OH, idx_t OW,
                                    idx_t KH, idx_t KW, idx_t SH, idx_t SW, idx_t PH, idx_t PW,
                                    long long include_pad, long long divisor_override) {
    GRID_STRIDE_LOOP(i, NC * H * W) {
        const idx_t w = i % W, h = (i / W) % H, nc = i / (W * H);
        idx_t oh0, oh1, ow0, ow1;
        covering(h, SH, PH, KH, OH, &oh0, &oh1);
        covering(w, SW, PW, KW, OW, &ow0, &ow1);
        const T* g = dy + nc * OH * OW;
        T acc = T(0);
        for (idx_t oh = oh0; oh < oh1; ++oh) {
            idx_t h0, h1, hspan;
            avg_window(oh, SH, PH, KH, H, &h0, &h1, &hspan);
            if (h < h0 || h >= h1) continue;
            for (idx_t ow = ow0; ow < ow1; ++ow) {
                idx_t w0, w1, wspan;
                avg_window(ow, SW, PW, KW, W, &w0, &w1, &wspan);
                if (w < w0 || w >= w1) continue;
                acc += g[oh * OW + ow] /
                       (T)avg_divisor(hspan, wspan, h0, h1, w0, w1, include_pad, divisor_override);
            }
        }
        dx[i] = acc;
    }
}

// PyTorch's adaptive bins: [floor(o*size/out), ceil((o+1)*size/out)).
__device__ __forceinline__ idx_t bin_start(idx_t o, idx_t size, idx_t out) { return (o * size) / out; }
__device__ __forceinline__ idx_t bin_end(idx_t o, idx_t size, idx_t out) {
    return ((o + 1) * size + out - 1) / out;
}

template <typename T>
__device__ void adaptive_avg_pool2d_fwd_impl(const T* __restrict__ x, T* __restrict__ y,
                                             idx_t NC, idx_t H, idx_t W, idx_t OH, idx_t OW) {
    GRID_STRIDE_LOOP(i, NC * OH * OW) {
        const idx_t ow = i % OW, oh = (i / OW) % OH, nc = i / (OW * OH);
        const idx_t h0 = bin_start(oh, H, OH), h1 = bin_end(oh, H, OH);
        const idx_t w0 = bin_start(ow, W, OW), w1 = bin_end(ow, W, OW);
        const T* plane = x + nc * H * W;
        T acc = T(0);
        for (idx_t h = h0; h < h1; ++h)
            for (idx_t w = w0; w < w1; ++w) acc += plane[h * W + w];
        y[i] = acc / (T)((h1 - h0) * (w1 - w0));
    }
}

template <typename T>
__device__ void adaptive_avg_pool2d_bwd_impl(const T* __restrict__ dy, T* __restrict__ dx,
                                             idx_t NC, idx_t H, idx_t W, idx_t OH, idx_t OW) {
    GRID_STRIDE_LOOP(i, NC * OH * OW) {
        const idx_t ow = i % OW, oh = (i / OW) % OH, nc = i / (OW * OH);
        const idx_t h0 = bin_start(oh, H, OH), h1 = bin_end(oh, H, OH);
        const idx_t w0 = bin_start(ow, W, OW), w1 = bin_end(ow, W, OW);
        const T g = dy[i] / (T)((h1 - h0) * (w1 - w0));
        T* plane = dx + nc * H * W;
        for (idx_t h = h0; h < h1; ++h)
            for (idx_t w = w0; w < w1; ++w) atomic_add(plane + h * W + w, g);
    }
}

#define MAXF_PARAMS(T) (const T* x, T* y, long long* idx, idx_t NC, idx_t H, idx_t W,     \
                        idx_t OH, idx_t OW, idx_t KH, idx_t KW, idx_t SH, idx_t SW,        \
                        idx_t PH, idx_t PW, idx_t DH, idx_t DW)
#define MAXF_ARGS (x, y, idx, NC, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW)
#define MAXB_PARAMS(T) (const T* dy, const long long* idx, T* dx, idx_t NC, idx_t HW, idx_t OHW)
#define MAXB_ARGS (dy, idx, dx, NC, HW, OHW)
#define AVG_PARAMS(T) (const T* src, T* dst, idx_t NC, idx_t H, idx_t W, idx_t OH, idx_t OW, \
                       idx_t KH, idx_t KW, idx_t SH, idx_t SW, idx_t PH, idx_t PW,           \
                       long long include_pad, long long divisor_override)
#define AVG_ARGS (src, dst, NC, H, W, OH, OW, KH, KW, SH, SW, PH, PW, include_pad, divisor_override)
#define ADA_PARAMS(T) (const T* src, T* dst, idx_t NC, idx_t H, idx_t W, idx_t OH, idx_t OW)
#define ADA_ARGS (src, dst, NC, H, W, OH, OW)

FASTNN_INSTANTIATE(max_pool2d_fwd, MAXF_PARAMS, MAXF_ARGS)
FASTNN_INSTANTIATE(max_pool2d_bwd, MAXB_PARAMS, MAXB_ARGS)
FASTNN_INSTANTIATE(avg_pool2d_fwd, AVG_PARAMS, AVG_ARGS)
FASTNN_INSTANTIATE(avg_pool2d_bwd, AVG_PARAMS, AVG_ARGS)
FASTNN_INSTANTIATE(adaptive_avg_pool2d_fwd, ADA_PARAMS, ADA_ARGS)
FASTNN_INSTANTIATE(adaptive_avg_pool2d_bwd, ADA_PARAMS, ADA_ARGS)
