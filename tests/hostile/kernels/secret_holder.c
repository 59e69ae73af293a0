// A kernel whose constants another kernel must never read: a table that
// starts with random words (no arithmetic can stand for them) and is big
// enough (4 MiB) that its variant is mapped in the executor's big free
// area rather than in a hole between libraries.
static const long SECRET[1 << 19] = {
  0x3c9f1d2e8a7b6c51L, 0x1b2d3c4e5f607182L, 0x7e6d5c4b3a291807L,
  0x0f1e2d3c4b5a6978L, 0x2468ace013579bdfL, 0x5a5b5c5d5e5f6061L,
  0x6f6e6d6c6b6a6968L, 0x13fe42cd77ab09e1L,
};
long secret_holder(long i) { return SECRET[i & ((1 << 19) - 1)]; }
