; Unbounded recursion: every frame keeps a 256-byte buffer alive across the
; call (volatile), and the call is not in tail position, so neither tail-call
; elimination nor accumulator recursion elimination can turn it into a loop.
; The base case is unreachable for n >= 0 (n only grows).
define i64 @recursion(i64 %n) {
entry:
  %buf = alloca [32 x i64], align 16
  store volatile i64 %n, ptr %buf, align 16
  %stop = icmp eq i64 %n, -1
  br i1 %stop, label %done, label %deeper

deeper:
  %next = add i64 %n, 1
  %r = call i64 @recursion(i64 %next)
  %v = load volatile i64, ptr %buf, align 16
  %s = xor i64 %r, %v
  ret i64 %s

done:
  ret i64 0
}
