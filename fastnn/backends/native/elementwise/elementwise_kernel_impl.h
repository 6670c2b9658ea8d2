/* Body of elementwise_kernel.c for one precision and ISA level: included
 * through common/isa_each.h once per type, with T (float or double), FN(name)
 * (this build's name for a function) and EXP defined. See
 * elementwise_kernel.c for the algorithms. */
static FASTNN_TARGET void
FN(relu_fwd)(const T *restrict x, T *restrict y, long n)
{
    for (long i = 0; i < n; i++) {
        T v = x[i];
        y[i] = v <= 0 ? (T)0 : v;
    }
}

static FASTNN_TARGET void
FN(relu_bwd)(const T *restrict dy, const T *restrict y, T *restrict dx,
             long n)
{
    for (long i = 0; i < n; i++)
        dx[i] = y[i] <= 0 ? (T)0 : dy[i];  /* NaN passes dy, as in PyTorch */
}

/* x, y: rows x (C*inner); b: C */
static FASTNN_TARGET void
FN(bias_relu_fwd)(const T *restrict x, const T *restrict b, T *restrict y,
                  long rows, long C, long inner)
{
    for (long o = 0; o < rows; o++) {
        const T *xr = x + o * C * inner;
        T *yr = y + o * C * inner;
        if (inner == 1) {
            for (long c = 0; c < C; c++) {
                T v = xr[c] + b[c];
                yr[c] = v <= 0 ? (T)0 : v;
            }
        } else {
            for (long c = 0; c < C; c++) {
                T bb = b[c];
                const T *xc = xr + c * inner;
                T *yc = yr + c * inner;
                for (long k = 0; k < inner; k++) {
                    T v = xc[k] + bb;
                    yc[k] = v <= 0 ? (T)0 : v;
                }
            }
        }
    }
}

/* dx = relu'(y) dy; part[c] += sum of dx over this block's rows and positions */
static FASTNN_TARGET void
FN(bias_relu_bwd)(const T *restrict dy, const T *restrict y, T *restrict dx,
                  double *restrict part, long rows, long C, long inner)
{
    if (inner == 1) {
        for (long o = 0; o < rows; o++) {
            const T *dyr = dy + o * C, *yr = y + o * C;
            T *dxr = dx + o * C;
            for (long c = 0; c < C; c++) {
                T g = yr[c] <= 0 ? (T)0 : dyr[c];
                dxr[c] = g;
                part[c] += (double)g;
            }
        }
        return;
    }
    for (long o = 0; o < rows; o++) {
        for (long c = 0; c < C; c++) {
            long j = (o * C + c) * inner;
            const T *dyr = dy + j, *yr = y + j;
            T *dxr = dx + j;
            T acc = 0;
            #pragma omp simd reduction(+:acc)
            for (long k = 0; k < inner; k++) {
                T g = yr[k] <= 0 ? (T)0 : dyr[k];
                dxr[k] = g;
                acc += g;
            }
            part[c] += (double)acc;
        }
    }
}

/* e[c] = exp(x[c] - m) for one row; returns their sum. Short rows never fill a
 * vector and the polynomial's scalar tail is a long dependency chain, so they
 * call libm once per element instead (measured: C = 10 rows ~3x faster). */
FASTNN_INLINE T FN(exp_shifted)(const T *restrict x, T *restrict e, T m, long C)
{
    T tot = 0;
    if (C < FASTNN_SHORT_ROW) {
        for (long c = 0; c < C; c++) {
            T v = EXP_LIBM(x[c] - m);
            e[c] = v;
            tot += v;
        }
        return tot;
    }
    #pragma omp simd reduction(+:tot)
    for (long c = 0; c < C; c++) {
        T v = EXP(x[c] - m);
        e[c] = v;
        tot += v;
    }
    return tot;
}

/* One row of cross-entropy: returns the loss, writes the scaled gradient to g.
 * t < 0: ignored row. a = (1-eps) w[t]; s = eps/C w (read when smooth). */
static FASTNN_TARGET double
FN(ce_row)(const T *restrict x, int64_t t, double a, const T *restrict s,
           int smooth, double ssum, double scale, T *restrict g, long C)
{
    if (t < 0) {
        memset(g, 0, (size_t)C * sizeof(T));
        return 0.0;
    }
    T m = x[0];
    #pragma omp simd reduction(max:m)
    for (long c = 1; c < C; c++)
        m = x[c] > m ? x[c] : m;
    T tot = FN(exp_shifted)(x, g, m, C);
    double lse = (double)m + log((double)tot);
    double l = a * (lse - (double)x[t]);
    if (smooth) {
        T sx = 0;
        #pragma omp simd reduction(+:sx)
        for (long c = 0; c < C; c++)
            sx += s[c] * x[c];
        l += ssum * lse - (double)sx;
    }
    T f = (T)((a + ssum) * scale / (double)tot);
    if (smooth) {
        T sc = (T)scale;
        for (long c = 0; c < C; c++)
            g[c] = g[c] * f - s[c] * sc;
    } else {
        for (long c = 0; c < C; c++)
            g[c] = g[c] * f;
    }
    g[t] -= (T)(a * scale);
    return l;
}

/* softmax (logarithm = 0) or log_softmax (1) of each of `rows` contiguous rows of
 * length C: max, exp(x - max) with its sum, then one scaling pass. */
static FASTNN_TARGET void
FN(softmax_rows)(const T *restrict x, T *restrict y, long rows, long C,
                 int logarithm)
{
    for (long o = 0; o < rows; o++) {
        const T *xr = x + o * C;
        T *yr = y + o * C;
        T m = xr[0];
        #pragma omp simd reduction(max:m)
        for (long c = 1; c < C; c++)
            m = xr[c] > m ? xr[c] : m;
        T tot = FN(exp_shifted)(xr, yr, m, C);
        if (logarithm) {
            T lse = m + (T)log((double)tot);
            for (long c = 0; c < C; c++)
                yr[c] = xr[c] - lse;
        } else {
            T f = (T)(1.0 / (double)tot);
            for (long c = 0; c < C; c++)
                yr[c] *= f;
        }
    }
}
