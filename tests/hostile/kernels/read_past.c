/* read_past: reads a[i] for an index the input gives, without a bound check.
 * Inputs are zero-padded to 64 bytes, so a few elements past the end read
 * zeros; an index a terabyte away reads unmapped memory. */
double read_past(const double *a, long i)
{
    return a[i];
}
