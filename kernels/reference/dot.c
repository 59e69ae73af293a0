/* dot, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN=...), and the
 * pointers are `restrict` (the buffers never overlap). */
double dot(const double *restrict a, const double *restrict b, long n) {
    (void)n;
    double s = 0.0;
    for (long i = 0; i < N; i++)
        s += a[i] * b[i];
    return s;
}
