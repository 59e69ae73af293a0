/* histogram, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DNBINS -DLO -DHI), and the
 * pointers are `restrict` (the buffers never overlap). */
void histogram(const int *restrict a, long n, long *restrict bins, int nbins, int lo, int hi) {
    (void)n, (void)nbins, (void)lo, (void)hi;
#if NBINS <= 0 || HI < LO
    return;
#else
    const long range = (long)HI - (long)LO + 1;
    for (long i = 0; i < N; i++) {
        int v = a[i];
        if (v < LO)
            v = LO;
        if (v > HI)
            v = HI;
        long off = (long)v - (long)LO;
        bins[off * (long)NBINS / range] += 1;
    }
#endif
}
