/* Dense matrix-vector product: y = A·x, A is m×n row-major. */
void gemv(const double *a, const double *x, double *y, long m, long n) {
    for (long i = 0; i < m; i++) {
        double s = 0.0;
        for (long j = 0; j < n; j++)
            s += a[i * n + j] * x[j];
        y[i] = s;
    }
}
