/*
 * histogram: counts a[0..n) into nbins equal-width bins covering the
 * integer range [lo, hi]; values outside are clamped to lo or hi. The bins
 * are added to (the caller zeroes them). Nothing happens when nbins <= 0 or
 * hi < lo.
 *
 * Bin b holds the values v with (v - lo) * nbins / (hi - lo + 1) == b. The
 * division by a runtime range is the expensive part of the loop; with lo, hi
 * and nbins bound it becomes a constant divide (a multiply and a shift), or
 * vanishes when the range equals the bin count (bytes into 256 bins).
 */
void histogram(const int *a, long n, long *bins, int nbins, int lo, int hi)
{
    if (nbins <= 0 || hi < lo)
        return;
    /* 64-bit arithmetic: hi - lo + 1 may exceed INT_MAX, and
     * off * nbins < 2^32 * 2^31 fits a long. */
    long range = (long)hi - (long)lo + 1;
    for (long i = 0; i < n; i++) {
        int v = a[i];
        if (v < lo)
            v = lo;
        if (v > hi)
            v = hi;
        long off = (long)v - (long)lo;
        long b = off * (long)nbins / range;
        bins[b] += 1;
    }
}
