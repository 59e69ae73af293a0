/* mvt, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN), and the
 * pointers are `restrict` (the buffers never overlap). */
void mvt(const double *restrict a, const double *restrict y1, const double *restrict y2,
         double *restrict x1, double *restrict x2, long n) {
    (void)n;
    for (long i = 0; i < N; i++) {
        double s = x1[i];
        for (long j = 0; j < N; j++)
            s += a[i * N + j] * y1[j];
        x1[i] = s;
    }
    for (long i = 0; i < N; i++) {
        double s = x2[i];
        for (long j = 0; j < N; j++)
            s += a[j * N + i] * y2[j];
        x2[i] = s;
    }
}
