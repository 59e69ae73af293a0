; No `asm` call anywhere: the assembly is module-level. It defines `tgamma`
; (a libm name on the allow-list) as a raw getppid system call, and the kernel
; calls `tgamma` directly; the object's own definition wins over libm's.
; (getppid, not kill(getppid(), SIGKILL): run in the executor's process a
; refused getppid returns -1, and kill(-1, SIGKILL) would hit every process.)
module asm ".text"
module asm ".globl tgamma"
module asm ".type tgamma,@function"
module asm "tgamma:"
module asm "  movl $110, %eax"
module asm "  syscall"
module asm "  cvtsi2sdq %rax, %xmm0"
module asm "  ret"

declare double @tgamma(double)

define double @module_asm(double %x) {
entry:
  %r = call double @tgamma(double %x)
  ret double %r
}
