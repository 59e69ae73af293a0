/* edit_distance, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DM), and the
 * pointers are `restrict` (the buffers never overlap). */
long edit_distance(const int *restrict a, const int *restrict b, long n, long m,
                   long *restrict row) {
    (void)n, (void)m;
    for (long j = 0; j <= M; j++)
        row[j] = j;
    for (long i = 1; i <= N; i++) {
        long diag = row[0];
        row[0] = i;
        for (long j = 1; j <= M; j++) {
            long up = row[j];
            long best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[M];
}
