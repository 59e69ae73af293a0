; An ifunc: a dynamic linker would run the resolver at load time; here the
; call's callee is not a function the kernel defines.
@pick = ifunc i64 (i64), ptr @resolver

define internal ptr @resolver() {
entry:
  ret ptr @impl
}

define internal i64 @impl(i64 %x) {
entry:
  %y = mul i64 %x, 3
  ret i64 %y
}

define i64 @ifunc(i64 %x) {
entry:
  %r = call i64 @pick(i64 %x)
  ret i64 %r
}
