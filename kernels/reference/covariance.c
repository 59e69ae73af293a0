/* covariance, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DM), and the
 * pointers are `restrict` (the buffers never overlap). */
void covariance(const double *restrict data, double *restrict mean, double *restrict cov, long n,
                long m) {
    (void)n, (void)m;
    for (long j = 0; j < M; j++) {
        double s = 0.0;
        for (long i = 0; i < N; i++)
            s += data[i * M + j];
        mean[j] = N > 0 ? s / (double)N : 0.0;
    }
    for (long a = 0; a < M; a++)
        for (long b = a; b < M; b++) {
            double s = 0.0;
            for (long i = 0; i < N; i++)
                s += (data[i * M + a] - mean[a]) * (data[i * M + b] - mean[b]);
            double v = N > 1 ? s / (double)(N - 1) : 0.0;
            cov[a * M + b] = v;
            cov[b * M + a] = v;
        }
}
