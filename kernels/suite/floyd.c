/* Floyd-Warshall all-pairs shortest paths, in place on the n×n distance
 * matrix d (row-major). */
void floyd(double *d, long n) {
    for (long k = 0; k < n; k++)
        for (long i = 0; i < n; i++) {
            double dik = d[i * n + k];
            for (long j = 0; j < n; j++) {
                double t = dik + d[k * n + j];
                if (t < d[i * n + j])
                    d[i * n + j] = t;
            }
        }
}
