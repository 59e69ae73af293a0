; Indexes a constant table of its own functions with an index from the
; input: far past the table's end, the load would take a "function
; pointer" from whatever bytes lie there (an attacker lays them in an
; immediate operand of the kernel's code).
@table = internal constant [2 x ptr] [ptr @one, ptr @two]

define internal i64 @one(i64 %x) {
entry:
  ret i64 1
}

define internal i64 @two(i64 %x) {
entry:
  ret i64 2
}

define i64 @table_oob(i64 %which) {
entry:
  %slot = getelementptr inbounds [2 x ptr], ptr @table, i64 0, i64 %which
  %f = load ptr, ptr %slot, align 8
  %r = call i64 %f(i64 %which)
  ret i64 %r
}
