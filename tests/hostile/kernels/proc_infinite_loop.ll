; An infinite loop with `isolation: process`: no forked child to kill, so the
; engine's own deadline kills the executor.
define void @proc_infinite_loop(ptr %flag) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %next, %loop ]
  store volatile i32 %i, ptr %flag, align 4
  %next = add i32 %i, 1
  br label %loop
}
