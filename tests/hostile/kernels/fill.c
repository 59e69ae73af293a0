/* fill: writes y[i] = i. Its spec asks for an out array of 3 000 000 000
 * doubles (24 GB): the engine must refuse the input, not try to allocate it. */
void fill(double *y, long n)
{
    for (long i = 0; i < n; i++)
        y[i] = (double)i;
}
