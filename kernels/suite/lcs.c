/* Length of the longest common subsequence of a[0..n) and b[0..m), one DP
 * row of m+1 cells in `row`. */
long lcs(const int *a, const int *b, long n, long m, long *row) {
    if (m < 0 || n < 0)
        return -1;
    for (long j = 0; j <= m; j++)
        row[j] = 0;
    for (long i = 1; i <= n; i++) {
        long diag = 0;
        for (long j = 1; j <= m; j++) {
            long up = row[j];
            long v = a[i - 1] == b[j - 1] ? diag + 1 : (up > row[j - 1] ? up : row[j - 1]);
            row[j] = v;
            diag = up;
        }
    }
    return row[m];
}
