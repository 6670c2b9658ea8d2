/* direct.c: Conv2d (groups 1) + bias [+ ReLU] [+ max pool, window = stride]
 * as one direct convolution with no im2col matrix: fastnn.compile's algorithm
 * for small convolutions (fastnn/backends/native/fused, docs/export.md).
 *
 * The exporter writes one copy of each function here per layer, renamed,
 * with CONV_SIZES replaced by an enum of that layer's sizes, so every loop
 * bound is a compile-time constant. The loops over a block of CB output
 * channels then have a constant trip count that is a multiple of the vector
 * width and read only restrict pointers and local arrays: GCC and Clang
 * vectorise them at plain -O2 (GCC 12's "very cheap" cost model) with no
 * remainder loop and no run-time alias check.
 *
 * Sizes: N images of CIN x H x W in, COUT x OH x OW conv outputs (stride SH,
 * SW; padding PH, PW; dilation DH, DW; kernel KH x KW); COUTP = COUT rounded
 * up to 16 (a multiple of CB); POOL the max pool's window and stride (1: none), RELU 0 or 1;
 * the result is y[N][COUT][OH / POOL][OW / POOL]. HP x WP is the padded input.
 * QUANT 1 is the int8 layer (int8.c's scheme): the input is rounded to
 * integers in [-127, 127] (x / x_scale) as it is padded, the weights are the
 * int8 ones widened to float by the caller, and the sums, integers below
 * 2^24 (the exporter checks KH*KW*CIN*127*127 < 2^24), are exact in float:
 * the int32 sums to the bit, at float vector speed. */

/*@@ conv_direct_epilogue */
/* One block of CB channels' sums t[OH*OW][CB] -> y[cb + c][OH/POOL][OW/POOL]
 * (the channels below COUT): max over each POOL x POOL window, times the
 * block's scales s (QUANT: x_scale * w_scale[o] > 0, so it commutes with the
 * max), + bias, ReLU. */
static void conv_direct_epilogue(const float *restrict t, const float *restrict b,
                                 const float *restrict s, float *restrict y, int cb)
{
    CONV_SIZES
#if defined(__AVX__)
    enum { VW = 8, CB = 16, BX = 1 };  /* one AVX vector: 8 floats */
#else
    enum { VW = 4, CB = 8, BX = 4 };   /* one SSE2 / NEON vector: 4 floats */
#endif
    int py, px, wy, wx, c;
    for (py = 0; py < OH / POOL; py++)
        for (px = 0; px < OW / POOL; px++) {
            float m[CB];
            for (c = 0; c < CB; c++)
                m[c] = -HUGE_VALF;
            for (wy = 0; wy < POOL; wy++)
                for (wx = 0; wx < POOL; wx++) {
                    const float *restrict tr = t + ((long)(py * POOL + wy) * OW + px * POOL + wx) * CB;
                    for (c = 0; c < CB; c++)
                        m[c] = (tr[c] > m[c] || tr[c] != tr[c]) ? tr[c] : m[c];
                }
            for (c = 0; c < CB && cb + c < COUT; c++) {
                const float v = (QUANT ? m[c] * s[c] : m[c]) + b[c];
                y[((long)(cb + c) * (OH / POOL) + py) * (OW / POOL) + px] = RELU && v < 0.0f ? 0.0f : v;
            }
        }
}

/*@@ conv_direct */
/* x[N][CIN][H][W] -> y (NCHW). w is packed at export as [KH][KW][CIN][COUTP]
 * (output channels innermost, zeros past COUT), b as [COUTP] (zeros without
 * a bias), s as [COUTP] (QUANT; else any pointer). Scratch: xp, HP*WP*CIN*BX
 * floats; t, OH*OW*CB floats.
 * Per image: the input goes zero-padded and channels-last into xp (BX copies
 * of each value: with SSE2 a 4-float load replaces a load and a shuffle); then, per
 * block of CB output channels, 4 output pixels at a time accumulate, for each
 * kernel tap and input channel, one contiguous row of CB weights times the 4
 * pixels' input values (4 x CB accumulators held in vector registers; each
 * weight loaded once per 4 pixels); the epilogue takes each pool window's
 * maximum (NaN propagates, as in PyTorch), adds the bias (max(a) + b equals
 * max(a + b): rounding is monotonic), applies the ReLU and stores the result.
 * Reference: the NumPy conv2d, max_pool2d and relu; tests/export check it. */
static void conv_direct(const float *restrict x, const float *restrict w,
                        const float *restrict b, const float *restrict s, float inv_scale,
                        float *restrict y, float *restrict xp, float *restrict t)
{
    CONV_SIZES
#if defined(__AVX__)
    enum { VW = 8, CB = 16, BX = 1 };  /* one AVX vector: 8 floats */
#else
    enum { VW = 4, CB = 8, BX = 4 };   /* one SSE2 / NEON vector: 4 floats */
#endif
    int n, ci, iy, ix, cb, p, ky, kx, c;
    for (n = 0; n < N; n++) {
        const float *xn = x + (long)n * CIN * H * W;
        float *yn = y + (long)n * COUT * (OH / POOL) * (OW / POOL);
        for (p = 0; p < HP * WP * CIN * BX; p++)
            xp[p] = 0.0f;
        for (ci = 0; ci < CIN; ci++)
            for (iy = 0; iy < H; iy++)
                for (ix = 0; ix < W; ix++) {
                    float v = xn[((long)ci * H + iy) * W + ix];
                    if (QUANT) {  /* int8.c's quantize(), kept as a float integer */
                        v *= inv_scale;
                        v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
                        v = (float)(v >= 0.0f ? (int)(v + 0.5f) : -(int)(0.5f - v));
                    }
                    for (c = 0; c < BX; c++)
                        xp[(((long)(iy + PH) * WP + ix + PW) * CIN + ci) * BX + c] = v;
                }
        for (cb = 0; cb < COUTP; cb += CB) {
            for (p = 0; p < OH * OW; p += 4) {
                /* pixels p..p+3 (the last tile repeats pixel OH*OW-1: same sums) */
                const float *x0 = xp + ((long)(p / OW) * SH * WP + (p % OW) * SW) * CIN * BX;
                const float *x1 = p + 1 < OH * OW ? xp + ((long)((p + 1) / OW) * SH * WP + ((p + 1) % OW) * SW) * CIN * BX : x0;
                const float *x2 = p + 2 < OH * OW ? xp + ((long)((p + 2) / OW) * SH * WP + ((p + 2) % OW) * SW) * CIN * BX : x0;
                const float *x3 = p + 3 < OH * OW ? xp + ((long)((p + 3) / OW) * SH * WP + ((p + 3) % OW) * SW) * CIN * BX : x0;
                /* the 4 x CB accumulators: one VW-float array per vector
                 * register (lo: channels cb..cb+VW-1, hi: the next VW); a loop
                 * of exactly one vector's length keeps them in registers */
                float lo0[VW], lo1[VW], lo2[VW], lo3[VW], hi0[VW], hi1[VW], hi2[VW], hi3[VW];
                for (c = 0; c < VW; c++)
                    lo0[c] = lo1[c] = lo2[c] = lo3[c] = hi0[c] = hi1[c] = hi2[c] = hi3[c] = 0.0f;
                for (ky = 0; ky < KH; ky++)
                    for (kx = 0; kx < KW; kx++) {
                        const long off = ((long)ky * DH * WP + kx * DW) * CIN * BX;
                        const float *restrict wr = w + (long)(ky * KW + kx) * CIN * COUTP + cb;
                        for (ci = 0; ci < CIN; ci++, wr += COUTP) {
                            const float *restrict v0 = x0 + off + ci * BX, *restrict v1 = x1 + off + ci * BX;
                            const float *restrict v2 = x2 + off + ci * BX, *restrict v3 = x3 + off + ci * BX;
                            for (c = 0; c < VW; c++) {
                                lo0[c] += v0[c % BX] * wr[c];
                                hi0[c] += v0[c % BX] * wr[c + VW];
                                lo1[c] += v1[c % BX] * wr[c];
                                hi1[c] += v1[c % BX] * wr[c + VW];
                                lo2[c] += v2[c % BX] * wr[c];
                                hi2[c] += v2[c % BX] * wr[c + VW];
                                lo3[c] += v3[c % BX] * wr[c];
                                hi3[c] += v3[c % BX] * wr[c + VW];
                            }
                        }
                    }
                for (c = 0; c < VW; c++) {
                    float *restrict t0 = t + (long)p * CB + c;
                    t0[0] = lo0[c];
                    t0[VW] = hi0[c];
                    if (p + 1 < OH * OW) {
                        t0[CB] = lo1[c];
                        t0[CB + VW] = hi1[c];
                    }
                    if (p + 2 < OH * OW) {
                        t0[2 * CB] = lo2[c];
                        t0[2 * CB + VW] = hi2[c];
                    }
                    if (p + 3 < OH * OW) {
                        t0[3 * CB] = lo3[c];
                        t0[3 * CB + VW] = hi3[c];
                    }
                }
            }
            conv_direct_epilogue(t, b + cb, s + cb, yn, cb);
        }
    }
}
