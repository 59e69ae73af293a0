/* knapsack, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DCAP), and the
 * pointers are `restrict` (the buffers never overlap). */
long knapsack(const int *restrict w, const int *restrict v, long n, long cap,
              long *restrict best) {
    (void)n, (void)cap;
    for (long c = 0; c <= CAP; c++)
        best[c] = 0;
    for (long i = 0; i < N; i++) {
        long wi = w[i];
        if (wi < 0)
            continue;
        for (long c = CAP; c >= wi; c--) {
            long t = best[c - wi] + v[i];
            if (t > best[c])
                best[c] = t;
        }
    }
    return best[CAP];
}
