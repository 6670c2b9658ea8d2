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
 * remainder loop and no run-time alias check. VECTOR_WIDTHS is the copy's
 * vector width VW (4 or 8 floats), block CB = 2 * VW channels and BX copies
 * of each input value; MADD(a, b, c) is a * b + c (one fused fmaf in the
 * AVX2 + FMA copy): fastnn/export/_templates.py writes the copies.
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
/* One block of CB channels' results t[OH*OW][CB] (sums + bias) ->
 * y[cb + c][OH/POOL][OW/POOL] (the channels below COUT): the maximum over
 * each POOL x POOL window (NaN propagates, as in PyTorch), then the ReLU. */
static void conv_direct_epilogue(const float *restrict t, float *restrict y, int cb)
{
    CONV_SIZES
    VECTOR_WIDTHS
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
            for (c = 0; c < CB && cb + c < COUT; c++)
                y[((long)(cb + c) * (OH / POOL) + py) * (OW / POOL) + px] = RELU && m[c] < 0.0f ? 0.0f : m[c];
        }
}

/*@@ conv_direct */
/* x[N][CIN][H][W] -> y (NCHW). w is packed at export as [KH][KW][CIN][COUTP]
 * (output channels innermost, zeros past COUT), b as [COUTP] (zeros without
 * a bias), s as [COUTP] (QUANT; else any pointer). Scratch: xp, HP*WP*CIN*BX
 * floats; t, CB floats for each of OH*OW pixels rounded up to a multiple of 4.
 * Per image: the input goes zero-padded and channels-last into xp (BX copies
 * of each value: with SSE2 a 4-float load replaces a load and a shuffle); then,
 * per block of CB output channels, 4 output pixels at a time accumulate, for
 * each kernel tap and input channel, one contiguous row of CB weights times the
 * 4 pixels' input values (4 x CB accumulators held in vector registers; each
 * weight loaded once per 4 pixels); the 4 x CB sums, times the scales (QUANT)
 * and plus the bias, go to t, and the epilogue pools, applies the ReLU and
 * stores. The bias is added before the max: rounding is monotonic, so
 * max(a + b) equals max(a) + b (and a positive scale commutes with it too).
 * Reference: the NumPy conv2d, max_pool2d and relu; tests/export check it. */
static void conv_direct(const float *restrict x, const float *restrict w,
                        const float *restrict b, const float *restrict s, float inv_scale,
                        float *restrict y, float *restrict xp, float *restrict t)
{
    CONV_SIZES
    VECTOR_WIDTHS
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
                /* pixels p..p+3 (past the last pixel: its copy, sums not read) */
                const float *x0 = xp + ((long)(p / OW) * SH * WP + (p % OW) * SW) * CIN * BX;
                const float *x1 = p + 1 < OH * OW ? xp + ((long)((p + 1) / OW) * SH * WP + ((p + 1) % OW) * SW) * CIN * BX : x0;
                const float *x2 = p + 2 < OH * OW ? xp + ((long)((p + 2) / OW) * SH * WP + ((p + 2) % OW) * SW) * CIN * BX : x0;
                const float *x3 = p + 3 < OH * OW ? xp + ((long)((p + 3) / OW) * SH * WP + ((p + 3) % OW) * SW) * CIN * BX : x0;
                float *restrict tp = t + (long)p * CB;
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
                                lo0[c] = MADD(v0[c % BX], wr[c], lo0[c]);
                                hi0[c] = MADD(v0[c % BX], wr[c + VW], hi0[c]);
                                lo1[c] = MADD(v1[c % BX], wr[c], lo1[c]);
                                hi1[c] = MADD(v1[c % BX], wr[c + VW], hi1[c]);
                                lo2[c] = MADD(v2[c % BX], wr[c], lo2[c]);
                                hi2[c] = MADD(v2[c % BX], wr[c + VW], hi2[c]);
                                lo3[c] = MADD(v3[c % BX], wr[c], lo3[c]);
                                hi3[c] = MADD(v3[c % BX], wr[c + VW], hi3[c]);
                            }
                        }
                    }
                /* sums (x scale) + bias -> t. Not a plain copy: GCC -O2 would
                 * turn a copy loop into memcpy and keep lo0 in memory, not in
                 * a register, through the loops above. */
                for (c = 0; c < VW; c++) {
                    const float sl = QUANT ? s[cb + c] : 1.0f, sh = QUANT ? s[cb + VW + c] : 1.0f;
                    const float bl = b[cb + c], bh = b[cb + VW + c];
                    tp[c] = MADD(lo0[c], sl, bl);
                    tp[VW + c] = MADD(hi0[c], sh, bh);
                    tp[CB + c] = MADD(lo1[c], sl, bl);
                    tp[CB + VW + c] = MADD(hi1[c], sh, bh);
                    tp[2 * CB + c] = MADD(lo2[c], sl, bl);
                    tp[2 * CB + VW + c] = MADD(hi2[c], sh, bh);
                    tp[3 * CB + c] = MADD(lo3[c], sl, bl);
                    tp[3 * CB + VW + c] = MADD(hi3[c], sh, bh);
                }
            }
            conv_direct_epilogue(t, yn, cb);
        }
    }
}
