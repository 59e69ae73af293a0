/* call_malloc: heap allocation is not for kernels either. */
void *malloc(unsigned long);
long call_malloc(long n)
{
    char *p = malloc(n);
    p[0] = 1;
    return (long)p;
}
