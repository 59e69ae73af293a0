; Module-level assembly run with `isolation: process`: `tgamma` is a raw
; getpid system call, which the executor's own filter allows. The result is
; the executor's pid: the kernel makes system calls in the executor (where
; write(1, ...) reaches the engine's protocol pipe and kill(2) is allowed).
module asm ".text"
module asm ".globl tgamma"
module asm ".type tgamma,@function"
module asm "tgamma:"
module asm "  movl $39, %eax"
module asm "  syscall"
module asm "  cvtsi2sdq %rax, %xmm0"
module asm "  ret"

declare double @tgamma(double)

define double @proc_module_asm(double %x) {
entry:
  %r = call double @tgamma(double %x)
  ret double %r
}
