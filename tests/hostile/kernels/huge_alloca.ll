; A 4 GiB stack frame: the prologue moves the stack pointer 4 GiB down, far
; past the stack mapping; the first store faults.
define i64 @huge_alloca(i64 %i) {
entry:
  %big = alloca [4294967296 x i8], align 16
  %p = getelementptr inbounds i8, ptr %big, i64 %i
  store volatile i8 1, ptr %p, align 1
  %v = load volatile i8, ptr %p, align 1
  %r = zext i8 %v to i64
  ret i64 %r
}
