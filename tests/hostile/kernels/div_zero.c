/* div_zero: an integer division whose divisor the input makes zero. */
long div_zero(long a, long b)
{
    return a / b;
}
