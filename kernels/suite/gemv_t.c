/* Transposed matrix-vector product: y = Aᵀ·x, A is m×n row-major, so the
 * natural loop order walks A by rows and scatters into y. */
void gemv_t(const double *a, const double *x, double *y, long m, long n) {
    for (long j = 0; j < n; j++)
        y[j] = 0.0;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++)
            y[j] += a[i * n + j] * x[i];
}
