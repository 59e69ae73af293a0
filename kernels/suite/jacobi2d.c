/* Jacobi relaxation on an n×n grid: 5-point averages, `steps` sweeps
 * ping-ponging between a and b; the border stays fixed. */
void jacobi2d(double *a, double *b, long n, long steps) {
    for (long t = 0; t < steps; t++) {
        for (long i = 1; i < n - 1; i++)
            for (long j = 1; j < n - 1; j++)
                b[i * n + j] = 0.2 * (a[i * n + j] + a[i * n + j - 1] + a[i * n + j + 1] +
                                      a[(i - 1) * n + j] + a[(i + 1) * n + j]);
        for (long i = 1; i < n - 1; i++)
            for (long j = 1; j < n - 1; j++)
                a[i * n + j] = 0.2 * (b[i * n + j] + b[i * n + j - 1] + b[i * n + j + 1] +
                                      b[(i - 1) * n + j] + b[(i + 1) * n + j]);
    }
}
