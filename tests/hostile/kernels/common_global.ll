; A `common` global of 64 KiB (what C's tentative definitions become with
; -fcommon): the kernel fills it and sums it back. Ordinary code: the right
; answer is n * 1000.
@scratch = common global [8192 x i64] zeroinitializer, align 64

define i64 @common_global(i64 %n) {
entry:
  br label %fill

fill:
  %i = phi i64 [ 0, %entry ], [ %i.next, %fill ]
  %p = getelementptr inbounds [8192 x i64], ptr @scratch, i64 0, i64 %i
  store volatile i64 %n, ptr %p, align 8
  %i.next = add i64 %i, 1
  %more = icmp slt i64 %i.next, 1000
  br i1 %more, label %fill, label %sum

sum:
  %j = phi i64 [ 0, %fill ], [ %j.next, %sum ]
  %s = phi i64 [ 0, %fill ], [ %s.next, %sum ]
  %q = getelementptr inbounds [8192 x i64], ptr @scratch, i64 0, i64 %j
  %v = load volatile i64, ptr %q, align 8
  %s.next = add i64 %s, %v
  %j.next = add i64 %j, 1
  %again = icmp slt i64 %j.next, 1000
  br i1 %again, label %sum, label %done

done:
  ret i64 %s.next
}
