; The source of llvm_abort.bc (llvm-as-19 llvm_abort.ll): it passes the
; verifier and admission (lrint is allowed), then makes LLVM 19 abort in
; instruction selection on x86 ("Cannot select: i32 = lrint f16").
define i64 @llvm_abort(i64 %n) {
entry:
  %x = sitofp i64 %n to half
  %s = call i32 @llvm.lrint.i32.f16(half %x)
  %r = sext i32 %s to i64
  ret i64 %r
}

declare i32 @llvm.lrint.i32.f16(half)
