; A target intrinsic (a timing source for side channels): not on the
; allow-list, whose intrinsics are target independent.
declare i64 @llvm.x86.rdtsc()

define i64 @rdtsc(i64 %n) {
entry:
  %t = call i64 @llvm.x86.rdtsc()
  %r = add i64 %t, %n
  ret i64 %r
}
