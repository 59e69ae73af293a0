// Request A of the cross-request leak test: fills its output with a marker
// a later request must never see.
void leak_writer(long *out, long n) {
  for (long i = 0; i < n; i++)
    out[i] = 0x5EC2E7005EC2E700L + (i & 7);
}
