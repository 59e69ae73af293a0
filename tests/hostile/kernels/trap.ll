; llvm.trap is on the allow-list ("a trap ends the execution with a signal"):
; x86 lowers it to ud2, SIGILL.
declare void @llvm.trap()

define i64 @trap(i64 %n) {
entry:
  %go = icmp sge i64 %n, 0
  br i1 %go, label %boom, label %fine

boom:
  call void @llvm.trap()
  unreachable

fine:
  ret i64 %n
}
