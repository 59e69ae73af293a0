/* trisolv, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN), and the
 * pointers are `restrict` (the buffers never overlap). */
void trisolv(const double *restrict l, const double *restrict b, double *restrict x, long n) {
    (void)n;
    for (long i = 0; i < N; i++) {
        double s = b[i];
        for (long j = 0; j < i; j++)
            s -= l[i * N + j] * x[j];
        x[i] = s;
    }
}
