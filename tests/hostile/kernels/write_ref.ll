; Never calls `write`: only takes its address (and hands it out in its
; output). A declaration referenced at all must be on the allow-list.
declare i64 @write(i32, ptr, i64)

define void @write_ref(ptr %out) {
entry:
  store ptr @write, ptr %out, align 8
  ret void
}
