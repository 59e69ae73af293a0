/* Forward substitution with a unit lower-triangular L (n×n, row-major; the
 * L of an LU factorization, whose diagonal of ones is not stored or read):
 * solves L·x = b. */
void trisolv(const double *l, const double *b, double *x, long n) {
    for (long i = 0; i < n; i++) {
        double s = b[i];
        for (long j = 0; j < i; j++)
            s -= l[i * n + j] * x[j];
        x[i] = s;
    }
}
