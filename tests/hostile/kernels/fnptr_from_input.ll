; Loads a function pointer from input data and calls it.
define i64 @fnptr_from_input(ptr %table, i64 %i) {
entry:
  %slot = getelementptr inbounds ptr, ptr %table, i64 %i
  %f = load ptr, ptr %slot, align 8
  %r = call i64 %f(i64 %i)
  ret i64 %r
}
