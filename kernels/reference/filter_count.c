/* filter_count, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DTHRESHOLD -DMODE), and the
 * pointers are `restrict` (the buffers never overlap). */
long filter_count(const int *restrict a, long n, int threshold, int mode) {
    (void)n, (void)threshold, (void)mode;
    long count = 0;
    for (long i = 0; i < N; i++) {
        int v = a[i];
#if MODE == 0
        count += v > THRESHOLD;
#elif MODE == 1
        count += v < THRESHOLD;
#elif MODE == 2
        count += v == THRESHOLD;
#elif MODE == 3
        long mag = v < 0 ? -(long)v : (long)v;
        count += mag > (long)THRESHOLD;
#else
        (void)v;
#endif
    }
    return count;
}
