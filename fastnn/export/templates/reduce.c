/* reduce.c: reductions along one block of axes, and cumsum. The exporter
 * views the input as [outer][n][inner] with the reduced axes as the n block
 * (permuting them together first when they are not adjacent), so one loop
 * nest serves every dim, keepdim and several dims. Sums, products and
 * variances accumulate in double. max/min and argmax/argmin propagate NaN
 * (the first NaN wins) and keep the first of equal values, as NumPy and
 * PyTorch do; indices are written as float (exact below 2^24, checked at
 * export). Reference: fastnn/ops/reduction.py, Tensor.logsumexp/argmax. */

/*@ reduce */
enum {
    R_SUM, R_MEAN, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_VAR, R_STD, R_LOGSUMEXP,
    R_NORM1, R_NORM2, R_NORMINF, R_NORMNEGINF, R_NORM0, R_NORMP
};

/* a: the divisor n - correction (var, std) or p (R_NORMP) */
static void reduce(int op, const float *x, float *y, long outer, long n, long inner, float a)
{
    long o, i, k;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *v = x + o * n * inner + i;
            double acc = 0.0;
            float m = v[0];
            long best = 0;
            switch (op) {
            case R_SUM: case R_MEAN:
                for (k = 0; k < n; k++)
                    acc += v[k * inner];
                if (op == R_MEAN)
                    acc /= (double)n;
                break;
            case R_PROD:
                acc = 1.0;
                for (k = 0; k < n; k++)
                    acc *= v[k * inner];
                break;
            case R_MAX: case R_ARGMAX: case R_NORMINF:
            case R_MIN: case R_ARGMIN: case R_NORMNEGINF:
                if (op == R_NORMINF || op == R_NORMNEGINF)
                    m = fabsf(m);
                for (k = 1; k < n; k++) {
                    float u = v[k * inner];
                    int up;
                    if (op == R_NORMINF || op == R_NORMNEGINF)
                        u = fabsf(u);
                    if (op == R_MAX || op == R_ARGMAX || op == R_NORMINF)
                        up = u > m || (u != u && m == m);
                    else
                        up = u < m || (u != u && m == m);
                    if (up) {
                        m = u;
                        best = k;
                    }
                }
                acc = (op == R_ARGMAX || op == R_ARGMIN) ? (double)best : (double)m;
                break;
            case R_VAR: case R_STD: {
                double mean = 0.0;
                for (k = 0; k < n; k++)
                    mean += v[k * inner];
                mean /= (double)n;
                for (k = 0; k < n; k++) {
                    double d = v[k * inner] - mean;
                    acc += d * d;
                }
                acc /= (double)a;
                if (op == R_STD)
                    acc = sqrt(acc);
                break;
            }
            case R_LOGSUMEXP:
                /* shifted by the max; an infinite max shifts by 0 (all -inf gives -inf) */
                for (k = 1; k < n; k++)
                    if (v[k * inner] > m)
                        m = v[k * inner];
                if (!isfinite(m))
                    m = 0.0f;
                for (k = 0; k < n; k++)
                    acc += exp((double)v[k * inner] - m);
                acc = log(acc) + m;
                break;
            case R_NORM1:
                for (k = 0; k < n; k++)
                    acc += fabs((double)v[k * inner]);
                break;
            case R_NORM2:
                for (k = 0; k < n; k++)
                    acc += (double)v[k * inner] * v[k * inner];
                acc = sqrt(acc);
                break;
            case R_NORM0:
                for (k = 0; k < n; k++)
                    acc += v[k * inner] != 0.0f;
                break;
            default: /* R_NORMP */
                for (k = 0; k < n; k++)
                    acc += pow(fabs((double)v[k * inner]), (double)a);
                acc = pow(acc, 1.0 / a);
                break;
            }
            y[o * inner + i] = (float)acc;
        }
    }
}

/*@ cumsum */
/* y[o][k][i] = x[o][0][i] + ... + x[o][k][i], accumulated in double */
static void cumsum(const float *x, float *y, long outer, long n, long inner)
{
    long o, i, k;
    for (o = 0; o < outer; o++)
        for (i = 0; i < inner; i++) {
            double acc = 0.0;
            for (k = 0; k < n; k++) {
                acc += x[(o * n + k) * inner + i];
                y[(o * n + k) * inner + i] = (float)acc;
            }
        }
}
