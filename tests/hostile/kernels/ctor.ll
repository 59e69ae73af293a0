; A global constructor that would crash (and a destructor that would spin):
; loading must never run user code, so neither ever runs and the kernel
; returns n + 1.
@llvm.global_ctors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 65535, ptr @boom, ptr null }]
@llvm.global_dtors = appending global [1 x { i32, ptr, ptr }] [{ i32, ptr, ptr } { i32 65535, ptr @spin, ptr null }]

define internal void @boom() {
entry:
  store volatile i64 1, ptr null, align 8
  ret void
}

define internal void @spin() {
entry:
  br label %loop
loop:
  store volatile i64 1, ptr null, align 8
  br label %loop
}

define i64 @ctor(i64 %n) {
entry:
  %r = add i64 %n, 1
  ret i64 %r
}
