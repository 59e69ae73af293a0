; A 16 GiB zero-initialized global (.bss): nothing to compile or ship, but
; whoever loads the object must map 16 GiB for it.
@bomb = internal global [17179869184 x i8] zeroinitializer, align 4096

define i64 @bss_bomb(i64 %i) {
entry:
  %p = getelementptr inbounds [17179869184 x i8], ptr @bomb, i64 0, i64 %i
  store volatile i8 7, ptr %p, align 1
  %v = load volatile i8, ptr %p, align 1
  %r = zext i8 %v to i64
  ret i64 %r
}
