/* Levenshtein distance between a[0..n) and b[0..m), one DP row of m+1
 * cells in `row` (its last contents: the final row). */
long edit_distance(const int *a, const int *b, long n, long m, long *row) {
    if (m < 0 || n < 0)
        return -1;
    for (long j = 0; j <= m; j++)
        row[j] = j;
    for (long i = 1; i <= n; i++) {
        long diag = row[0];
        row[0] = i;
        for (long j = 1; j <= m; j++) {
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
    return row[m];
}
