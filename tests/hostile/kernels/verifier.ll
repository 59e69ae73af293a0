; Parses, but a value is used before it is defined: LLVM's verifier refuses
; it ("Instruction does not dominate all uses").
define i64 @verifier(i64 %n) {
entry:
  %a = add i64 %b, 1
  %b = add i64 %n, 1
  ret i64 %a
}
