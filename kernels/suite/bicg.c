/* The two products of BiCG: s = Aᵀ·r and q = A·p, A m×n row-major, in one
 * sweep over A. */
void bicg(const double *a, const double *p, const double *r, double *q, double *s,
          long m, long n) {
    for (long j = 0; j < n; j++)
        s[j] = 0.0;
    for (long i = 0; i < m; i++) {
        double t = 0.0;
        for (long j = 0; j < n; j++) {
            s[j] += r[i] * a[i * n + j];
            t += a[i * n + j] * p[j];
        }
        q[i] = t;
    }
}
