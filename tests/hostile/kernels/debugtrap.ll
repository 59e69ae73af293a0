; llvm.debugtrap: int3, SIGTRAP.
declare void @llvm.debugtrap()

define i64 @debugtrap(i64 %n) {
entry:
  call void @llvm.debugtrap()
  ret i64 %n
}
