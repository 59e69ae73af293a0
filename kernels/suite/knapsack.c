/* 0/1 knapsack: the best total value of items (weight w[i], value v[i])
 * within capacity cap, one DP row of cap+1 cells in `best`. */
long knapsack(const int *w, const int *v, long n, long cap, long *best) {
    if (cap < 0)
        return 0;
    for (long c = 0; c <= cap; c++)
        best[c] = 0;
    for (long i = 0; i < n; i++) {
        long wi = w[i];
        if (wi < 0)
            continue;
        for (long c = cap; c >= wi; c--) {
            long t = best[c - wi] + v[i];
            if (t > best[c])
                best[c] = t;
        }
    }
    return best[cap];
}
