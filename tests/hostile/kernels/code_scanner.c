// Scans the memory above its own (4 MiB, so mapped beside the other big
// variants) constant, a word at a time, for another kernel's secret (given
// as two halves so it is not an immediate here). Counts what it finds; an
// unmapped page ends it with a fault.
static const long MINE[1 << 19] = {7, 11};
long code_scanner(long span, long hi, long lo, long i, long dir) {
  long want = (hi << 32) | (lo & 0xffffffffL);
  unsigned long base = (unsigned long)MINE;
  long found = MINE[i & ((1 << 19) - 1)] - 7;
  for (long d = 8; d < span; d += 8) {
    const volatile long *up = (const volatile long *)(base + dir * d);
    if (*up == want)
      found++;
  }
  return found;
}
