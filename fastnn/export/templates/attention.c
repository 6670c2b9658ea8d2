/* attention.c: scaled dot-product attention over B problems, q[B][L][E],
 * k[B][S][E], v[B][S][Ev] -> out[B][L][Ev], as fastnn's reference computes
 * it (fastnn/backends/numpy_ref/attention.py): the two products around a
 * softmax of the masked scores, p = softmax(scale * q k^T + bias, causal
 * keys after the query's position at -inf), out = p v. */

/*@ attention gemm_nn */
/* bias: [B][L][S], [1][L][S] (bias_stride 0: one mask for every problem) or
 * NULL. p[B][L][S] receives the weights (the op's second output); kt is
 * scratch of E*S floats, one problem's k transposed, so that both products
 * are gemm_nn's register tiles. A row with every key masked (all -inf)
 * gives 0 weights, or NaN when nan_rows is set (nn.MultiheadAttention's
 * rule, as in fastnn). The row's maximum is subtracted before expf, so no
 * exp overflows. */
static void attention(const float *q, const float *k, const float *v, const float *bias,
                      long bias_stride, float *p, float *out, float *kt, int batch, int L,
                      int S, int E, int Ev, float scale, int causal, int nan_rows)
{
    int b, i, j, e;
    for (b = 0; b < batch; b++) {
        const float *kb = k + (long)b * S * E;
        const float *bb = bias ? bias + b * bias_stride : NULL;
        float *pb = p + (long)b * L * S;
        for (j = 0; j < S; j++)
            for (e = 0; e < E; e++)
                kt[(long)e * S + j] = kb[(long)j * E + e];
        gemm_nn(q + (long)b * L * E, kt, pb, L, S, E);
        for (i = 0; i < L; i++) {
            float *row = pb + (long)i * S;
            float mx = -HUGE_VALF, sum = 0.0f;
            for (j = 0; j < S; j++) {
                float s = row[j] * scale;
                if (bb)
                    s += bb[(long)i * S + j];
                if (causal && j > i)
                    s = -HUGE_VALF;
                row[j] = s;
                mx = s > mx ? s : mx;
            }
            if (mx == -HUGE_VALF) {  /* every key masked */
                for (j = 0; j < S; j++)
                    row[j] = nan_rows ? NAN : 0.0f;
                continue;
            }
            for (j = 0; j < S; j++) {
                row[j] = expf(row[j] - mx);
                sum += row[j];
            }
            for (j = 0; j < S; j++)
                row[j] /= sum;
        }
        gemm_nn(pb, v + (long)b * S * Ev, out + (long)b * L * Ev, L, Ev, S);
    }
}
