/* 2-D convolution, "valid" region: out is (h-kw+1)×(w-kw+1), the filter k
 * is kw×kw, all row-major f32. A filter wider than the image writes
 * nothing. */
void conv2d(const float *img, const float *k, float *out, long h, long w, int kw) {
    if (kw <= 0 || kw > h || kw > w)
        return;
    long oh = h - kw + 1, ow = w - kw + 1;
    for (long i = 0; i < oh; i++)
        for (long j = 0; j < ow; j++) {
            float s = 0.0f;
            for (int u = 0; u < kw; u++)
                for (int v = 0; v < kw; v++)
                    s += k[u * kw + v] * img[(i + u) * w + (j + v)];
            out[i * ow + j] = s;
        }
}
