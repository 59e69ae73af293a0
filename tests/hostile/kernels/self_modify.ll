; Writes an int3 over its own first instruction: code is mapped read+execute,
; never writable, so the store faults.
define i64 @self_modify(i64 %n) {
entry:
  store volatile i8 -52, ptr @self_modify, align 1
  ret i64 %n
}
