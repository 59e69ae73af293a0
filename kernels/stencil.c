/*
 * stencil: 1-D convolution (correlation) of x with the weights w[0..width):
 *     y[i] = sum_{j < width} w[j] * x[i + j]    for i in 0 .. n - width
 * so y receives n - width + 1 values. Nothing is written when width <= 0 or
 * width > n.
 *
 * The inner loop runs over a runtime width, typically 3, 5 or 7: too short
 * to vectorize and a poor fit for the loop machinery. With width bound it
 * unrolls completely and the outer loop vectorizes across i.
 */
void stencil(const float *x, const float *w, float *y, long n, int width)
{
    if (width <= 0 || (long)width > n)
        return;
    long m = n - (long)width + 1;
    for (long i = 0; i < m; i++) {
        float s = 0.0f;
        for (long j = 0; j < width; j++)
            s += w[j] * x[i + j];
        y[i] = s;
    }
}
