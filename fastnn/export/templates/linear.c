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
 * so each 16-output tile streams one contiguous panel. Two sets of four
 * 4-float accumulators take the even and the odd inputs: eight independent
 * add chains keep the adder busy (four would wait on its latency); their two
 * partial sums are added at the end. */
static void linear_panel(const float *restrict x, const float *restrict wp,
                         const float *restrict b, float *restrict y, int rows, int in, int out)
{
    int r, j, p, v;
    for (r = 0; r < rows; r++) {
        const float *restrict xr = x + (long)r * in;
        for (j = 0; j < out; j += 16) {
            const float *restrict pan = wp + (long)j * in;
            float e0[4], e1[4], e2[4], e3[4], o0[4], o1[4], o2[4], o3[4], s[16];
            for (v = 0; v < 4; v++)
                e0[v] = e1[v] = e2[v] = e3[v] = o0[v] = o1[v] = o2[v] = o3[v] = 0.0f;
            for (p = 0; p + 2 <= in; p += 2, pan += 32) {
                const float xe = xr[p], xo = xr[p + 1];
                for (v = 0; v < 4; v++) {
                    e0[v] += xe * pan[v];
                    e1[v] += xe * pan[v + 4];
                    e2[v] += xe * pan[v + 8];
                    e3[v] += xe * pan[v + 12];
                    o0[v] += xo * pan[v + 16];
                    o1[v] += xo * pan[v + 20];
                    o2[v] += xo * pan[v + 24];
                    o3[v] += xo * pan[v + 28];
                }
            }
            if (p < in)  /* an odd input count: the last input */
                for (v = 0; v < 4; v++) {
                    e0[v] += xr[p] * pan[v];
                    e1[v] += xr[p] * pan[v + 4];
                    e2[v] += xr[p] * pan[v + 8];
                    e3[v] += xr[p] * pan[v + 12];
                }
            for (v = 0; v < 4; v++) {
                s[v] = e0[v] + o0[v];
                s[v + 4] = e1[v] + o1[v];
                s[v + 8] = e2[v] + o2[v];
                s[v + 12] = e3[v] + o3[v];
            }
            for (v = 0; v < 16 && j + v < out; v++)
                y[(long)r * out + j + v] = s[v] + b[j + v];
        }
    }
}
