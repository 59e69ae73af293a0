/* conv2d, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DH -DW -DKW), and the
 * pointers are `restrict` (the buffers never overlap). */
void conv2d(const float *restrict img, const float *restrict k, float *restrict out, long h,
            long w, int kw) {
    (void)h, (void)w, (void)kw;
#if KW > 0 && KW <= H && KW <= W
    enum { OH = H - KW + 1, OW = W - KW + 1 };
    for (long i = 0; i < OH; i++)
        for (long j = 0; j < OW; j++) {
            float s = 0.0f;
            for (int u = 0; u < KW; u++)
                for (int v = 0; v < KW; v++)
                    s += k[u * KW + v] * img[(i + u) * W + (j + v)];
            out[i * OW + j] = s;
        }
#endif
}
