/* floyd, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN), and the
 * pointers are `restrict` (the buffers never overlap). */
void floyd(double *restrict d, long n) {
    (void)n;
    for (long k = 0; k < N; k++)
        for (long i = 0; i < N; i++) {
            double dik = d[i * N + k];
            for (long j = 0; j < N; j++) {
                double t = dik + d[k * N + j];
                if (t < d[i * N + j])
                    d[i * N + j] = t;
            }
        }
}
