/* linear.c: nn.Linear, y = x W^T + b, over the rows of x. */

/*@ linear gemm_nn */
/* x[rows][in], w_t[in][out], b[out] (or NULL) -> y[rows][out]. The exporter
 * stores nn.Linear's weight [out][in] transposed, so the product is gemm_nn. */
static void linear(const float *x, const float *w_t, const float *b, float *y,
                   int rows, int in, int out)
{
    int r, o;
    gemm_nn(x, w_t, y, rows, out, in);
    if (b)
        for (r = 0; r < rows; r++)
            for (o = 0; o < out; o++)
                y[(long)r * out + o] += b[o];
}

/*@ linear_panel */
/* y[rows][out] = x[rows][in] W^T + b for a few rows (a Linear at batch 1 to 3,
 * where gemm_nn's 4-row tiles do not apply). The exporter packs W as panels
 * of 16 outputs, wp[out16 / 16][in][16] (zeros past out), and b as [out16],
 * so each 16-output tile streams one contiguous panel. The stream is read
 * 8 vectors at a time (8 * VW floats: U = VW / 2 inputs' rows of 16) into
 * eight VW-float accumulators, accumulator j taking input p + j * VW / 16 and
 * outputs (j * VW) % 16 and on: eight independent add chains keep the adder
 * (or FMA unit) busy where four would wait on its latency. Their partial sums
 * are added at the end. VECTOR_WIDTHS and MADD: see direct.c. */
static void linear_panel(const float *restrict x, const float *restrict wp,
                         const float *restrict b, float *restrict y, int rows, int in, int out)
{
    VECTOR_WIDTHS
    enum { U = VW / 2 };  /* inputs per step */
    int r, j, p, c;
    for (r = 0; r < rows; r++) {
        const float *restrict xr = x + (long)r * in;
        for (j = 0; j < out; j += 16) {
            const float *restrict pan = wp + (long)j * in;
            float a0[VW], a1[VW], a2[VW], a3[VW], a4[VW], a5[VW], a6[VW], a7[VW], s[16];
            for (c = 0; c < VW; c++)
                a0[c] = a1[c] = a2[c] = a3[c] = a4[c] = a5[c] = a6[c] = a7[c] = 0.0f;
            for (p = 0; p + U <= in; p += U, pan += 16 * U)
                for (c = 0; c < VW; c++) {
                    a0[c] = MADD(xr[p + 0 * VW / 16], pan[0 * VW + c], a0[c]);
                    a1[c] = MADD(xr[p + 1 * VW / 16], pan[1 * VW + c], a1[c]);
                    a2[c] = MADD(xr[p + 2 * VW / 16], pan[2 * VW + c], a2[c]);
                    a3[c] = MADD(xr[p + 3 * VW / 16], pan[3 * VW + c], a3[c]);
                    a4[c] = MADD(xr[p + 4 * VW / 16], pan[4 * VW + c], a4[c]);
                    a5[c] = MADD(xr[p + 5 * VW / 16], pan[5 * VW + c], a5[c]);
                    a6[c] = MADD(xr[p + 6 * VW / 16], pan[6 * VW + c], a6[c]);
                    a7[c] = MADD(xr[p + 7 * VW / 16], pan[7 * VW + c], a7[c]);
                }
            for (c = 0; c < 16; c++)
                s[c] = b[j + c];
            for (c = 0; c < VW; c++) {  /* the partial sums, in a fixed order */
                s[(0 * VW) % 16 + c] += a0[c];
                s[(1 * VW) % 16 + c] += a1[c];
                s[(2 * VW) % 16 + c] += a2[c];
                s[(3 * VW) % 16 + c] += a3[c];
                s[(4 * VW) % 16 + c] += a4[c];
                s[(5 * VW) % 16 + c] += a5[c];
                s[(6 * VW) % 16 + c] += a6[c];
                s[(7 * VW) % 16 + c] += a7[c];
            }
            for (; p < in; p++, pan += 16)  /* the inputs left over (fewer than U) */
                for (c = 0; c < 16; c++)
                    s[c] = MADD(xr[p], pan[c], s[c]);
            for (c = 0; c < 16 && j + c < out; c++)
                y[(long)r * out + j + c] = s[c];
        }
    }
}
