/* sum, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN=...), and the
 * pointers are `restrict` (the buffers never overlap). */
double sum(const double *restrict a, long n) {
    (void)n;
    double s = 0.0;
    for (long i = 0; i < N; i++)
        s += a[i];
    return s;
}
