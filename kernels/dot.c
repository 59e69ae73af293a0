/*
 * dot: the inner product of a[0..n) and b[0..n).
 *
 * Like sum, an ordered floating reduction: it vectorizes only once the
 * additions may be reassociated, which the data must justify.
 */
double dot(const double *a, const double *b, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}
