/* unary.c: elementwise activations and math, one loop with a switch
 * (the exporter passes the op's number and its parameters a, b). */

/*@ unary */
enum {
    U_RELU, U_SIGMOID, U_TANH, U_LEAKY_RELU, U_ELU, U_GELU, U_GELU_TANH, U_SOFTPLUS,
    U_HARDTANH, U_EXP, U_LOG, U_SQRT, U_ABS, U_NEG, U_SIN, U_COS, U_SILU
};

static void unary(int op, const float *x, float *y, long n, float a, float b)
{
    long i;
    for (i = 0; i < n; i++) {
        float v = x[i];
        switch (op) {
        case U_RELU: v = v > 0.0f ? v : 0.0f; break;
        case U_SIGMOID: v = 1.0f / (1.0f + expf(-v)); break;
        case U_TANH: v = tanhf(v); break;
        case U_LEAKY_RELU: v = v > 0.0f ? v : a * v; break;            /* a: slope */
        case U_ELU: v = v > 0.0f ? v : a * (expf(v) - 1.0f); break;    /* a: alpha */
        case U_GELU: v = 0.5f * v * (1.0f + erff(v * 0.70710678f)); break;
        case U_GELU_TANH:
            v = 0.5f * v * (1.0f + tanhf(0.79788456f * (v + 0.044715f * v * v * v)));
            break;
        case U_SOFTPLUS:                                               /* a: beta, b: threshold */
            v = v * a > b ? v : log1pf(expf(v * a)) / a;
            break;
        case U_HARDTANH: v = v < a ? a : (v > b ? b : v); break;       /* a: min, b: max */
        case U_EXP: v = expf(v); break;
        case U_LOG: v = logf(v); break;
        case U_SQRT: v = sqrtf(v); break;
        case U_ABS: v = fabsf(v); break;
        case U_NEG: v = -v; break;
        case U_SIN: v = sinf(v); break;
        case U_COS: v = cosf(v); break;
        case U_SILU: v = v / (1.0f + expf(-v)); break;
        default: break;
        }
        y[i] = v;
    }
}
