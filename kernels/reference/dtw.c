/* dtw, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DM), and the
 * pointers are `restrict` (the buffers never overlap). */
double dtw(const double *restrict x, const double *restrict y, double *restrict cost, long n,
           long m) {
    (void)n, (void)m;
#if N <= 0 || M <= 0
    return 0.0;
#else
    enum { WD = M + 1 };
    for (long j = 0; j <= M; j++)
        cost[j] = 1e300;
    for (long i = 1; i <= N; i++) {
        cost[i * WD] = 1e300;
        for (long j = 1; j <= M; j++) {
            double d = x[i - 1] - y[j - 1];
            d = d < 0 ? -d : d;
            double best = cost[(i - 1) * WD + j - 1];
            if (i == 1 && j == 1)
                best = 0.0;
            if (cost[(i - 1) * WD + j] < best)
                best = cost[(i - 1) * WD + j];
            if (cost[i * WD + j - 1] < best)
                best = cost[i * WD + j - 1];
            cost[i * WD + j] = d + best;
        }
    }
    return cost[N * WD + M];
#endif
}
