// im2col / col2im for 2-D convolution on the GPU (float and double).
//
// im2col copies every (dilated, strided, zero-padded) kernel window of the
// NCHW input into a column matrix cols[n][(c, p, q)][(oh, ow)], so the
// convolution becomes one cuBLAS batched GEMM per group in conv.py. col2im is
// its adjoint; it is written as a gather (each input pixel sums the column
// entries that read it) rather than a scatter, so it needs no atomics and is
// deterministic. Reference: fastnn/backends/numpy_ref/conv.py (_columns and
// the col2im loop of conv2d_backward).
#include "common.cuh"

// One thread per column entry; ow runs fastest so writes are coalesced.
template <typename T>
__device__ void im2col_impl(const T* __restrict__ x, T* __restrict__ cols,
                            idx_t N, idx_t C, idx_t H, idx_t W,
                            idx_t KH, idx_t KW, idx_t SH, idx_t SW,
                            idx_t PH, idx_t PW, idx_t DH, idx_t DW,
                            idx_t OH, idx_t OW) {
    const idx_t total = N * C * KH * KW * OH * OW;
    GRID_STRIDE_LOOP(i, total) {
        idx_t r = i;
        const idx_t ow = r % OW; r /= OW;
        const idx_t oh = r % OH; r /= OH;
        const idx_t q = r % KW;  r /= KW;
        const idx_t p = r % KH;  r /= KH;
        const idx_t c = r % C;
        const idx_t n = r / C;
        const idx_t h = oh * SH - PH + p * DH;
        const idx_t w = ow * SW - PW + q * DW;
        T v = T(0);
        if (h >= 0 && h < H && w >= 0 && w < W) v = x[((n * C + c) * H + h) * W + w];
        cols[i] = v;
    }
}

// One thread per input pixel: output position oh reads row h through tap p
// iff h + PH - p*DH == oh*SH with 0 <= oh < OH (likewise for columns).
template <typename T>
__device__ void col2im_impl(const T* __restrict__ cols, T* __restrict__ dx,
                            idx_t N, idx_t C, idx_t H, idx_t W,
                            idx_t KH, idx_t KW, idx_t SH, idx_t SW,
                            idx_t PH, idx_t PW, idx_t DH, idx_t DW,
                            idx_t OH, idx_t OW) {
    const idx_t total = N * C * H * W;
    GRID_STRIDE_LOOP(i, total) {
        idx_t r = i;
        const idx_t w = r % W; r /= W;
        const idx_t h = r % H; r /= H;
        const idx_t c = r % C;
        const idx_t n = r / C;
        T acc = T(0);
        for (idx_t p = 0; p < KH; ++p) {
            const idx_t hh = h + PH - p * DH;
            if (hh < 0 || hh % SH) continue;
            const idx_t oh = hh / SH;
            if (oh >= OH) continue;
            for (idx_t q = 0; q < KW; ++q) {
                const idx_t ww = w + PW - q * DW;
                if (ww < 0 || ww % SW) continue;
                const idx_t ow = ww / SW;
                if (ow >= OW) continue;
                acc += cols[((((n * C + c) * KH + p) * KW + q) * OH + oh) * OW + ow];
            }
        }
        dx[i] = acc;
    }
}

#define CONV_PARAMS(T)                                                        \
    (const T* src, T* dst, idx_t N, idx_t C, idx_t H, idx_t W, idx_t KH,      \
     idx_t KW, idx_t SH, idx_t SW, idx_t PH, idx_t PW, idx_t DH, idx_t DW,    \
     idx_t OH, idx_t OW)
#define CONV_ARGS (src, dst, N, C, H, W, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW)

FASTNN_INSTANTIATE(im2col, CONV_PARAMS, CONV_ARGS)
FASTNN_INSTANTIATE(col2im, CONV_PARAMS, CONV_ARGS)
