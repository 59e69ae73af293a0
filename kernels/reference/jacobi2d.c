/* jacobi2d, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DSTEPS), and the
 * pointers are `restrict` (the buffers never overlap). */
void jacobi2d(double *restrict a, double *restrict b, long n, long steps) {
    (void)n, (void)steps;
    for (long t = 0; t < STEPS; t++) {
        for (long i = 1; i < N - 1; i++)
            for (long j = 1; j < N - 1; j++)
                b[i * N + j] = 0.2 * (a[i * N + j] + a[i * N + j - 1] + a[i * N + j + 1] +
                                      a[(i - 1) * N + j] + a[(i + 1) * N + j]);
        for (long i = 1; i < N - 1; i++)
            for (long j = 1; j < N - 1; j++)
                a[i * N + j] = 0.2 * (b[i * N + j] + b[i * N + j - 1] + b[i * N + j + 1] +
                                      b[(i - 1) * N + j] + b[(i + 1) * N + j]);
    }
}
