; Prologue data: eight bytes LLVM places at the function's entry as they
; are (here `mov eax, 39; syscall; ret`: getpid, then return), machine
; code of the kernel's choosing ahead of the compiled body.
define i64 @prologue(i64 %n) prologue [8 x i8] c"\B8\27\00\00\00\0F\05\C3" {
entry:
  ret i64 %n
}
