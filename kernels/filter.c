/*
 * filter_count: counts the elements of a[0..n) that satisfy a predicate
 * chosen by mode:
 *     0: a[i] >  threshold
 *     1: a[i] <  threshold
 *     2: a[i] == threshold
 *     3: |a[i]| > threshold
 * Any other mode matches nothing.
 *
 * The mode switch sits inside the loop, as it does in code that grew one
 * predicate at a time. Bind mode and three of the four cases are dead; what
 * remains is a branch-free counting loop that vectorizes.
 */
long filter_count(const int *a, long n, int threshold, int mode)
{
    long count = 0;
    for (long i = 0; i < n; i++) {
        int v = a[i];
        int hit;
        switch (mode) {
        case 0:
            hit = v > threshold;
            break;
        case 1:
            hit = v < threshold;
            break;
        case 2:
            hit = v == threshold;
            break;
        case 3: {
            /* in 64 bits: -INT_MIN does not fit an int */
            long mag = v < 0 ? -(long)v : (long)v;
            hit = mag > (long)threshold;
            break;
        }
        default:
            hit = 0;
            break;
        }
        count += hit;
    }
    return count;
}
