/* reduce, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DN -DOP), and the
 * pointers are `restrict` (the buffers never overlap). */
/* The operation is pinned: no table, no call. */
double reduce(const double *restrict a, long n, int op) {
    (void)n, (void)op;
#if OP == 1
    double acc = 1.0;
    for (long i = 0; i < N; i++)
        acc = acc * a[i];
#elif OP == 2
    double acc = -__builtin_inf();
    for (long i = 0; i < N; i++)
        acc = acc > a[i] ? acc : a[i];
#elif OP == 3
    double acc = __builtin_inf();
    for (long i = 0; i < N; i++)
        acc = acc < a[i] ? acc : a[i];
#else
    double acc = 0.0;
    for (long i = 0; i < N; i++)
        acc = acc + a[i];
#endif
    return acc;
}
