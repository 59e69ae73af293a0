// Request B of the cross-request leak test: another kernel that scans far
// past the end of its own 8-element array and counts the words that look
// like request A's marker (the marker is built from `lo` so it is not an
// immediate in this kernel's own code).
long leak_reader(const long *a, long n, long far, long lo) {
  long found = 0;
  for (long i = n; i < far; i++)
    if ((a[i] & ~7L) == lo)
      found++;
  return found;
}
