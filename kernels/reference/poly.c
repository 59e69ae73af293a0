/* poly, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DDEGREE), and the
 * pointers are `restrict` (the buffers never overlap). */
void poly(const double *restrict x, const double *restrict coef, double *restrict y, long n,
          int degree) {
    (void)n, (void)degree;
    for (long i = 0; i < N; i++) {
        double t = x[i];
        double r = 0.0;
        for (int d = DEGREE; d >= 0; d--)
            r = r * t + coef[d];
        y[i] = r;
    }
}
