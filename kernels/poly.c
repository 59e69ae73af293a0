/*
 * poly: evaluates the polynomial
 *     p(t) = coef[0] + coef[1] t + ... + coef[degree] t^degree
 * at each x[i] by Horner's rule, storing p(x[i]) in y[i]. A negative degree
 * is the empty polynomial (0).
 *
 * The inner loop runs over a runtime degree, usually small (3..10). With the
 * degree bound it unrolls into a straight chain of multiply-adds and the
 * loop over i vectorizes.
 */
void poly(const double *x, const double *coef, double *y, long n, int degree)
{
    for (long i = 0; i < n; i++) {
        double t = x[i];
        double r = 0.0;
        for (int d = degree; d >= 0; d--)
            r = r * t + coef[d];
        y[i] = r;
    }
}
