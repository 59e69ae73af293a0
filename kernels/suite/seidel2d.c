/* Gauss-Seidel smoothing on an n×n grid, in place: 9-point averages that
 * read values already updated this sweep (a true loop-carried dependence). */
void seidel2d(double *a, long n, long steps) {
    for (long t = 0; t < steps; t++)
        for (long i = 1; i < n - 1; i++)
            for (long j = 1; j < n - 1; j++)
                a[i * n + j] = (a[(i - 1) * n + j - 1] + a[(i - 1) * n + j] + a[(i - 1) * n + j + 1] +
                                a[i * n + j - 1] + a[i * n + j] + a[i * n + j + 1] +
                                a[(i + 1) * n + j - 1] + a[(i + 1) * n + j] + a[(i + 1) * n + j + 1]) /
                               9.0;
}
