/* Jacobi relaxation in one dimension, `steps` sweeps ping-ponging between a
 * and b (both read and written; the ends stay fixed). */
void jacobi1d(double *a, double *b, long n, long steps) {
    for (long t = 0; t < steps; t++) {
        for (long i = 1; i < n - 1; i++)
            b[i] = (a[i - 1] + a[i] + a[i + 1]) / 3.0;
        for (long i = 1; i < n - 1; i++)
            a[i] = (b[i - 1] + b[i] + b[i + 1]) / 3.0;
    }
}
