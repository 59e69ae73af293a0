; The spec names an internal function as the entry.
define internal i64 @hidden(i64 %n) {
entry:
  ret i64 %n
}

define i64 @visible(i64 %n) {
entry:
  %r = call i64 @hidden(i64 %n)
  ret i64 %r
}
