; Calls the address its input gives: a pointer made from an integer.
define i64 @jump_to_int(i64 %addr) {
entry:
  %f = inttoptr i64 %addr to ptr
  %r = call i64 %f(i64 1)
  ret i64 %r
}
