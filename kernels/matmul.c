/*
 * matmul: C = A * B for row-major dense matrices,
 * A is m x k, B is k x n, C is m x n.
 *
 * Written the way small dense products usually are: three loops over
 * runtime sizes, accumulating each C element in a local. With m, n, k bound
 * to the request's shape (4x4, 8x8, ...) the loops have constant trip counts
 * and can be unrolled completely.
 */
void matmul(const double *a, const double *b, double *c, long m, long n, long k)
{
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < n; j++) {
            double s = 0.0;
            for (long p = 0; p < k; p++)
                s += a[i * k + p] * b[p * n + j];
            c[i * n + j] = s;
        }
    }
}
