/* softmax.c: softmax and log-softmax along one axis of x[outer][dim][inner],
 * with the maximum subtracted first so exp never overflows. */

/*@ softmax */
static void softmax(const float *x, float *y, int outer, int dim, int inner, int take_log)
{
    int o, d, k;
    for (o = 0; o < outer; o++)
        for (k = 0; k < inner; k++) {
            const float *xs = x + (long)o * dim * inner + k;
            float *ys = y + (long)o * dim * inner + k;
            float mx = xs[0], sum = 0.0f;
            for (d = 1; d < dim; d++)
                mx = xs[(long)d * inner] > mx ? xs[(long)d * inner] : mx;
            for (d = 0; d < dim; d++)
                sum += expf(xs[(long)d * inner] - mx);
            for (d = 0; d < dim; d++) {
                float v = xs[(long)d * inner] - mx;
                ys[(long)d * inner] = take_log ? v - logf(sum) : expf(v) / sum;
            }
        }
}
