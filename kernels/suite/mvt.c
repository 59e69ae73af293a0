/* Matrix-vector products with A and its transpose: x1 += A·y1,
 * x2 += Aᵀ·y2, A n×n row-major. */
void mvt(const double *a, const double *y1, const double *y2, double *x1, double *x2,
         long n) {
    for (long i = 0; i < n; i++) {
        double s = x1[i];
        for (long j = 0; j < n; j++)
            s += a[i * n + j] * y1[j];
        x1[i] = s;
    }
    for (long i = 0; i < n; i++) {
        double s = x2[i];
        for (long j = 0; j < n; j++)
            s += a[j * n + i] * y2[j];
        x2[i] = s;
    }
}
