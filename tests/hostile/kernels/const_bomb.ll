; 1 GiB of constant data in a few bytes of IR: compiled, it is 1 GiB of
; object code in the worker, the cache and every executor.
@bomb = internal constant [1073741824 x i8] zeroinitializer, align 64

define i64 @const_bomb(i64 %i) {
entry:
  %p = getelementptr inbounds [1073741824 x i8], ptr @bomb, i64 0, i64 %i
  %v = load i8, ptr %p, align 1
  %r = zext i8 %v to i64
  ret i64 %r
}
