; Cut off in the middle of a function.
define i64 @malformed(i64 %n) {
entry:
  %r = add i64 %n,
