/* rnn.c: one layer and direction of RNN, LSTM and GRU over a time-major
 * sequence x[T][N][in], PyTorch's gate layout and equations. h and c hold the
 * running state (the exporter copies h0, c0 in first); y[T][N][H] gets every
 * step's h. gx and gh are scratch of gates*H floats: the input and hidden
 * products of one step of one sequence. */

/*@ matvec */
/* out[r] = W[r] . v + b[r] for the rows of W[rows][cols] (b may be NULL) */
static void matvec(const float *w, const float *b, const float *v, float *out, int rows, int cols)
{
    int r, k;
    for (r = 0; r < rows; r++) {
        const float *wr = w + (long)r * cols;
        float acc = b ? b[r] : 0.0f;
        for (k = 0; k < cols; k++)
            acc += wr[k] * v[k];
        out[r] = acc;
    }
}

/*@ sigmoidf */
static float sigmoidf(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

/*@ lstm_layer matvec sigmoidf */
/* gates stacked (i, f, g, o): c' = f*c + i*g, h' = o*tanh(c') */
static void lstm_layer(const float *x, const float *w_ih, const float *w_hh,
                       const float *b_ih, const float *b_hh, float *y, float *h, float *c,
                       float *gx, float *gh, int steps, int n, int in, int hid, int reverse)
{
    int s, i, j;
    for (s = 0; s < steps; s++) {
        int t = reverse ? steps - 1 - s : s;
        for (i = 0; i < n; i++) {
            float *hi = h + (long)i * hid, *ci = c + (long)i * hid;
            matvec(w_ih, b_ih, x + ((long)t * n + i) * in, gx, 4 * hid, in);
            matvec(w_hh, b_hh, hi, gh, 4 * hid, hid);
            for (j = 0; j < hid; j++) {
                float in_gate = sigmoidf(gx[j] + gh[j]);
                float forget = sigmoidf(gx[hid + j] + gh[hid + j]);
                float cell = tanhf(gx[2 * hid + j] + gh[2 * hid + j]);
                float out_gate = sigmoidf(gx[3 * hid + j] + gh[3 * hid + j]);
                ci[j] = forget * ci[j] + in_gate * cell;
                hi[j] = out_gate * tanhf(ci[j]);
            }
            for (j = 0; j < hid; j++)
                y[((long)t * n + i) * hid + j] = hi[j];
        }
    }
}

/*@ gru_layer matvec sigmoidf */
/* gates stacked (r, z, n): n = tanh(x_n + r * h_n), h' = (1 - z) * n + z * h;
 * the reset gate multiplies the hidden product after its bias, as in PyTorch */
static void gru_layer(const float *x, const float *w_ih, const float *w_hh,
                      const float *b_ih, const float *b_hh, float *y, float *h,
                      float *gx, float *gh, int steps, int n, int in, int hid, int reverse)
{
    int s, i, j;
    for (s = 0; s < steps; s++) {
        int t = reverse ? steps - 1 - s : s;
        for (i = 0; i < n; i++) {
            float *hi = h + (long)i * hid;
            matvec(w_ih, b_ih, x + ((long)t * n + i) * in, gx, 3 * hid, in);
            matvec(w_hh, b_hh, hi, gh, 3 * hid, hid);
            for (j = 0; j < hid; j++) {
                float reset = sigmoidf(gx[j] + gh[j]);
                float update = sigmoidf(gx[hid + j] + gh[hid + j]);
                float cand = tanhf(gx[2 * hid + j] + reset * gh[2 * hid + j]);
                hi[j] = (1.0f - update) * cand + update * hi[j];
                y[((long)t * n + i) * hid + j] = hi[j];
            }
        }
    }
}

/*@ rnn_layer matvec */
/* h' = tanh(W_ih x + b_ih + W_hh h + b_hh), or relu when use_relu */
static void rnn_layer(const float *x, const float *w_ih, const float *w_hh,
                      const float *b_ih, const float *b_hh, float *y, float *h,
                      float *gx, float *gh, int steps, int n, int in, int hid, int reverse,
                      int use_relu)
{
    int s, i, j;
    for (s = 0; s < steps; s++) {
        int t = reverse ? steps - 1 - s : s;
        for (i = 0; i < n; i++) {
            float *hi = h + (long)i * hid;
            matvec(w_ih, b_ih, x + ((long)t * n + i) * in, gx, hid, in);
            matvec(w_hh, b_hh, hi, gh, hid, hid);
            for (j = 0; j < hid; j++) {
                float v = gx[j] + gh[j];
                hi[j] = use_relu ? (v > 0.0f ? v : 0.0f) : tanhf(v);
                y[((long)t * n + i) * hid + j] = hi[j];
            }
        }
    }
}
