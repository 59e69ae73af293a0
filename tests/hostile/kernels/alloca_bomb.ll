; An allocation bomb, as far as a kernel can make one: it cannot call malloc
; or mmap, so it allocates 1 MiB of stack per iteration (a dynamic alloca in a
; loop, never released) and touches every page of it, until the stack
; cannot grow (RLIMIT_STACK, or the next mapping).
define i64 @alloca_bomb(i64 %pages) {
entry:
  br label %grow

grow:
  %total = phi i64 [ 0, %entry ], [ %total.next, %touched ]
  %chunk = alloca i8, i64 1048576, align 4096
  br label %touch

touch:
  %off = phi i64 [ 1048575, %grow ], [ %off.next, %touch ]
  %p = getelementptr inbounds i8, ptr %chunk, i64 %off
  store volatile i8 1, ptr %p, align 1
  %off.next = sub i64 %off, 4096
  %more = icmp sge i64 %off.next, 0
  br i1 %more, label %touch, label %touched

touched:
  %total.next = add i64 %total, 1
  %stop = icmp eq i64 %total.next, %pages
  br i1 %stop, label %done, label %grow

done:
  ret i64 %total.next
}
