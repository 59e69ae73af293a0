/* Integer box blur of radius r on an h×w image: each pixel becomes the
 * mean (rounded down) of the (2r+1)² window clipped to the image. */
void box_blur(const int *img, int *out, long h, long w, int r) {
    if (r < 0)
        return;
    for (long i = 0; i < h; i++)
        for (long j = 0; j < w; j++) {
            long s = 0, c = 0;
            for (long u = i - r; u <= i + r; u++) {
                if (u < 0 || u >= h)
                    continue;
                for (long v = j - r; v <= j + r; v++) {
                    if (v < 0 || v >= w)
                        continue;
                    s += img[u * w + v];
                    c++;
                }
            }
            out[i * w + j] = (int)(s / c);
        }
}
