; A null store run with `isolation: process` (in the executor itself): the
; executor dies with the kernel and must be replaced.
define void @proc_null_store(i64 %v) #0 {
entry:
  store volatile i64 %v, ptr null, align 8
  ret void
}

attributes #0 = { null_pointer_is_valid }
