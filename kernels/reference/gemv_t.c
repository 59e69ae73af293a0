/* gemv_t, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DM -DN), and the
 * pointers are `restrict` (the buffers never overlap). */
void gemv_t(const double *restrict a, const double *restrict x, double *restrict y, long m,
            long n) {
    (void)m, (void)n;
    for (long j = 0; j < N; j++)
        y[j] = 0.0;
    for (long i = 0; i < M; i++)
        for (long j = 0; j < N; j++)
            y[j] += a[i * N + j] * x[i];
}
