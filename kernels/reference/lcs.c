/* lcs, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DM), and the
 * pointers are `restrict` (the buffers never overlap). */
long lcs(const int *restrict a, const int *restrict b, long n, long m, long *restrict row) {
    (void)n, (void)m;
    for (long j = 0; j <= M; j++)
        row[j] = 0;
    for (long i = 1; i <= N; i++) {
        long diag = 0;
        for (long j = 1; j <= M; j++) {
            long up = row[j];
            long v = a[i - 1] == b[j - 1] ? diag + 1 : (up > row[j - 1] ? up : row[j - 1]);
            row[j] = v;
            diag = up;
        }
    }
    return row[M];
}
