/* box_blur, hand-specialized for one case: `tailor bench` passes every integer
 * argument as a constant named after it in capitals (-DH -DW -DR), and the
 * pointers are `restrict` (the buffers never overlap). */
void box_blur(const int *restrict img, int *restrict out, long h, long w, int r) {
    (void)h, (void)w, (void)r;
#if R >= 0
    for (long i = 0; i < H; i++)
        for (long j = 0; j < W; j++) {
            long s = 0, c = 0;
            for (long u = i - R; u <= i + R; u++) {
                if (u < 0 || u >= H)
                    continue;
                for (long v = j - R; v <= j + R; v++) {
                    if (v < 0 || v >= W)
                        continue;
                    s += img[u * W + v];
                    c++;
                }
            }
            out[i * W + j] = (int)(s / c);
        }
#endif
}
