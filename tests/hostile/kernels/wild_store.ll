; A store to an address the input gives (an unmapped one: 16 TiB).
define void @wild_store(i64 %addr) {
entry:
  %p = inttoptr i64 %addr to ptr
  store volatile i64 42, ptr %p, align 8
  ret void
}
