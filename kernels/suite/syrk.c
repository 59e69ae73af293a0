/* Symmetric rank-k update of the lower triangle: C = alpha·A·Aᵀ + beta·C,
 * A n×k, C n×n, row-major. The upper triangle is left as it was. */
void syrk(const double *a, double *c, long n, long k, double alpha, double beta) {
    for (long i = 0; i < n; i++) {
        for (long j = 0; j <= i; j++) {
            double s = 0.0;
            for (long p = 0; p < k; p++)
                s += a[i * k + p] * a[j * k + p];
            c[i * n + j] = alpha * s + beta * c[i * n + j];
        }
    }
}
