/* Dynamic time warping distance between series x[0..n) and y[0..m), with
 * the full (n+1)×(m+1) cost table in `cost` (row-major). */
double dtw(const double *x, const double *y, double *cost, long n, long m) {
    if (n <= 0 || m <= 0)
        return 0.0;
    long w = m + 1;
    for (long j = 0; j <= m; j++)
        cost[j] = 1e300;
    for (long i = 1; i <= n; i++) {
        cost[i * w] = 1e300;
        for (long j = 1; j <= m; j++) {
            double d = x[i - 1] - y[j - 1];
            d = d < 0 ? -d : d;
            double best = cost[(i - 1) * w + j - 1];
            if (i == 1 && j == 1)
                best = 0.0;
            if (cost[(i - 1) * w + j] < best)
                best = cost[(i - 1) * w + j];
            if (cost[i * w + j - 1] < best)
                best = cost[i * w + j - 1];
            cost[i * w + j] = d + best;
        }
    }
    return cost[n * w + m];
}
