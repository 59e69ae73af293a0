/* div_overflow: LONG_MIN / -1, the other integer division x86 traps on. */
long div_overflow(long a, long b)
{
    return a / b;
}
