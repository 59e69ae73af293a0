/* null_store: a volatile store through a null pointer (volatile, so the
 * optimizer keeps it rather than treating it as unreachable). */
void null_store(const long *a)
{
    *(volatile long *)0 = a[0];
}
