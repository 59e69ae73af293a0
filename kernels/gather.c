/*
 * gather: sums src[idx[i]] for i in 0 .. n-1.
 *
 * An indirect (gathered) load per element. Index arrays are often arithmetic
 * progressions (every 4th element: a column, a field of a struct array); when
 * the input shows a constant step, the access is strided and a prefetch a
 * few iterations ahead hides the memory latency.
 */
double gather(const double *src, const long *idx, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++)
        s += src[idx[i]];
    return s;
}
