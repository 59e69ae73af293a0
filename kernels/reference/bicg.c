/* bicg, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DM -DN), and the
 * pointers are `restrict` (the buffers never overlap). */
void bicg(const double *restrict a, const double *restrict p, const double *restrict r,
          double *restrict q, double *restrict s, long m, long n) {
    (void)m, (void)n;
    for (long j = 0; j < N; j++)
        s[j] = 0.0;
    for (long i = 0; i < M; i++) {
        double t = 0.0;
        for (long j = 0; j < N; j++) {
            s[j] += r[i] * a[i * N + j];
            t += a[i * N + j] * p[j];
        }
        q[i] = t;
    }
}
