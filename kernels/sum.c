/*
 * sum: the plain floating-point sum of a[0..n).
 *
 * A strict left-to-right fold: C forbids the compiler from reordering the
 * additions, so the generic build cannot vectorize this loop. A profile that
 * knows the data (finite, non-negative: no cancellation, no inf - inf) may
 * license reassociation and get a vector reduction instead.
 */
double sum(const double *a, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++)
        s += a[i];
    return s;
}
