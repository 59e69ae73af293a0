/* Sample covariance of m variables over n observations: data is n×m
 * row-major; mean gets the m column means, cov the m×m matrix (both
 * triangles). n < 2 yields zeros. */
void covariance(const double *data, double *mean, double *cov, long n, long m) {
    for (long j = 0; j < m; j++) {
        double s = 0.0;
        for (long i = 0; i < n; i++)
            s += data[i * m + j];
        mean[j] = n > 0 ? s / (double)n : 0.0;
    }
    for (long a = 0; a < m; a++) {
        for (long b = a; b < m; b++) {
            double s = 0.0;
            for (long i = 0; i < n; i++)
                s += (data[i * m + a] - mean[a]) * (data[i * m + b] - mean[b]);
            double v = n > 1 ? s / (double)(n - 1) : 0.0;
            cov[a * m + b] = v;
            cov[b * m + a] = v;
        }
    }
}
