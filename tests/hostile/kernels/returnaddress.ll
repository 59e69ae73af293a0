; llvm.returnaddress leaks where the executor's code is (and is the first
; step of a return-oriented attack): not on the allow-list.
declare ptr @llvm.returnaddress(i32)

define i64 @returnaddress(i64 %n) {
entry:
  %ra = call ptr @llvm.returnaddress(i32 0)
  %v = ptrtoint ptr %ra to i64
  %r = add i64 %v, %n
  ret i64 %r
}
