; An infinite loop with a side effect (a volatile store), so no optimizer may
; delete it: the executor must kill the child at the deadline (Timeout).
define void @infinite_loop(ptr %flag) {
entry:
  br label %loop

loop:
  %i = phi i32 [ 0, %entry ], [ %next, %loop ]
  store volatile i32 %i, ptr %flag, align 4
  %next = add i32 %i, 1
  br label %loop
}
