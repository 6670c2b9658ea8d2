/* logic.c: comparisons, logical ops, where, clamp, rounding, casts, floor
 * division and remainder, one loop over the output with NumPy broadcasting
 * (each of up to three operands read through strides over the output's
 * shape, 0 on a broadcast axis; a unary op passes its operand three times);
 * and gather along a dim with indices computed in the model. Bool and
 * integer values are carried as float: true is 1.0f, false 0.0f. Reference:
 * fastnn/ops/arithmetic.py (Where, Clamp, ZeroGrad, Cast, FloorDivide,
 * Remainder), fastnn/ops/shape.py (Gather) and the Tensor comparisons. */

/*@ ternary */
enum {
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR, T_NOT, T_WHERE, T_CLAMP,
    T_SIGN, T_FLOOR, T_CEIL, T_ROUND, T_TRUNC, T_BOOL, T_FLOORDIV, T_REMAINDER
};

/* NumPy's divmod for floats: the remainder takes the divisor's sign and the
 * quotient is rounded so that q * v + r == u as nearly as floats allow */
static float floor_divmod(float u, float v, int want_rem)
{
    float r = fmodf(u, v), q;
    if (v == 0.0f)
        return want_rem ? r : u / v;
    q = (u - r) / v;
    if (r != 0.0f) {
        if ((v < 0.0f) != (r < 0.0f)) {
            r += v;
            q -= 1.0f;
        }
    } else {
        r = copysignf(0.0f, v);
    }
    if (want_rem)
        return r;
    if (q != 0.0f) {
        float f = floorf(q);
        return q - f > 0.5f ? f + 1.0f : f;
    }
    return copysignf(0.0f, u / v);
}

#ifndef MAX_DIMS
#define MAX_DIMS 8
#endif

static void ternary(int op, const float *a, const int *as, const float *b, const int *bs,
                    const float *c, const int *cs, float *y, const int *shape, int ndim)
{
    int idx[MAX_DIMS] = {0};
    long total = 1, i, ia = 0, ib = 0, ic = 0;
    int d;
    for (d = 0; d < ndim; d++)
        total *= shape[d];
    for (i = 0; i < total; i++) {
        float u = a[ia], v = b[ib], w = c[ic], r;
        switch (op) {
        case T_EQ: r = u == v; break;
        case T_NE: r = u != v; break;
        case T_LT: r = u < v; break;
        case T_LE: r = u <= v; break;
        case T_GT: r = u > v; break;
        case T_GE: r = u >= v; break;
        case T_AND: r = u != 0.0f && v != 0.0f; break;
        case T_OR: r = u != 0.0f || v != 0.0f; break;
        case T_NOT: r = u == 0.0f; break;
        case T_WHERE: r = u != 0.0f ? v : w; break;
        case T_CLAMP:
            /* max(u, lo) then min(., hi), NaN from any side propagating (np.clip) */
            r = u > v || u != u ? u : v;
            r = r < w || r != r ? r : w;
            break;
        case T_SIGN: r = u > 0.0f ? 1.0f : (u < 0.0f ? -1.0f : u); break;
        case T_FLOOR: r = floorf(u); break;
        case T_CEIL: r = ceilf(u); break;
        case T_ROUND: r = rintf(u); break; /* halves to even, as np.round */
        case T_TRUNC: r = truncf(u); break;
        case T_BOOL: r = u != 0.0f; break;
        case T_FLOORDIV: r = floor_divmod(u, v, 0); break;
        default: r = floor_divmod(u, v, 1); break; /* T_REMAINDER */
        }
        y[i] = r;
        for (d = ndim - 1; d >= 0; d--) {
            ia += as[d];
            ib += bs[d];
            ic += cs[d];
            if (++idx[d] < shape[d])
                break;
            ia -= (long)as[d] * shape[d];
            ib -= (long)bs[d] * shape[d];
            ic -= (long)cs[d] * shape[d];
            idx[d] = 0;
        }
    }
}

/*@ gather_dim */
#ifndef MAX_DIMS
#define MAX_DIMS 8
#endif

/* y[i] = x[i with its `axis` coordinate replaced by index[i]] over the
 * index's shape (PyTorch's gather); xs: x's strides, n: x's size along the
 * axis. A negative index counts from the end (as fastnn's take_along_axis);
 * one still outside [0, n) gives NaN instead of a read outside x. */
static void gather_dim(const float *x, const int *xs, const float *index, float *y,
                       const int *shape, int ndim, int axis, long n)
{
    int idx[MAX_DIMS] = {0};
    long total = 1, i, base = 0;
    int d;
    for (d = 0; d < ndim; d++)
        total *= shape[d];
    for (i = 0; i < total; i++) {
        float f = index[i];
        long k = f < 0.0f ? (long)f + n : (long)f;
        y[i] = f == f && k >= 0 && k < n ? x[base + k * xs[axis]] : NAN;
        /* base: x's offset of this position, the axis coordinate left out */
        for (d = ndim - 1; d >= 0; d--) {
            if (d != axis)
                base += xs[d];
            if (++idx[d] < shape[d])
                break;
            if (d != axis)
                base -= (long)xs[d] * shape[d];
            idx[d] = 0;
        }
    }
}
