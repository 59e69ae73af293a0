/* General matrix multiply, in place: C = alpha·A·B + beta·C with A m×k,
 * B k×n, C m×n, all row-major (i-k-j order, the cache-friendly one). */
void gemm(const double *a, const double *b, double *c, long m, long n, long k,
          double alpha, double beta) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++)
            c[i * n + j] *= beta;
        for (long p = 0; p < k; p++) {
            double s = alpha * a[i * k + p];
            for (long j = 0; j < n; j++)
                c[i * n + j] += s * b[p * n + j];
        }
    }
}
