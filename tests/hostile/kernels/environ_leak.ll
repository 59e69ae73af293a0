; No call at all: the kernel reads an external global variable, libc's
; `__environ`, and counts the executor's environment variables (it could as
; well copy them into its output).
@__environ = external global ptr

define i64 @environ_leak(i64 %max) {
entry:
  %env = load ptr, ptr @__environ, align 8
  br label %walk

walk:
  %i = phi i64 [ 0, %entry ], [ %i.next, %next ]
  %slot = getelementptr inbounds ptr, ptr %env, i64 %i
  %s = load ptr, ptr %slot, align 8
  %end = icmp eq ptr %s, null
  br i1 %end, label %done, label %next

next:
  %i.next = add i64 %i, 1
  %more = icmp slt i64 %i.next, %max
  br i1 %more, label %walk, label %done

done:
  %n = phi i64 [ %i, %walk ], [ %i.next, %next ]
  ret i64 %n
}
