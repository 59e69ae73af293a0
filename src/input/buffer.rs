//! Argument storage: [`Buffer`] holds one array argument 64-byte aligned and
//! zero-padded to a whole number of 64-byte lines (the engine invariant of
//! DESIGN §4 `layout`, which lets a variant assume `align 64` and read a full
//! vector past the last element), and [`ArrayView`] reads it typed.
//!
//! The storage is a `Vec` of 64-byte, 64-aligned lines, so alignment comes
//! from the allocator and every typed view is a safe `bytemuck` cast: no
//! `unsafe` here.

use crate::kernel::ScalarType;
use bytemuck::{Pod, Zeroable};
use std::fmt;

const LINE: usize = 64;

#[repr(C, align(64))]
#[derive(Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
struct Line([u8; LINE]);

/// An array argument's storage: 64-byte aligned, zero-padded to a multiple of
/// 64 bytes. Always at least one line long, so even an empty array points at
/// real memory a kernel may harmlessly touch.
#[derive(Clone, PartialEq)]
pub struct Buffer {
    lines: Vec<Line>,
    elem: ScalarType,
    len: usize,
}

/// Why a buffer could not be made: its size overflows or the allocator said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocError {
    pub bytes: Option<usize>,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bytes {
            Some(b) => write!(f, "cannot allocate {} for the array", human_bytes(b)),
            None => f.write_str("the array is too large to address"),
        }
    }
}

pub(crate) fn human_bytes(b: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} bytes");
    }
    let mut v = b as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

fn lines_for(elem: ScalarType, len: usize) -> Option<usize> {
    let bytes = len.checked_mul(elem.size())?;
    Some(bytes.div_ceil(LINE).max(1))
}

impl Buffer {
    /// A zero-filled buffer of `len` elements. Like `vec!`, aborts if the
    /// memory cannot be had; [`Buffer::try_zeroed`] reports it instead.
    pub fn zeroed(elem: ScalarType, len: usize) -> Buffer {
        let n = lines_for(elem, len).unwrap_or(usize::MAX);
        Buffer {
            lines: vec![Line::zeroed(); n],
            elem,
            len,
        }
    }

    /// As [`Buffer::zeroed`], but an impossible size is an error rather
    /// than an abort: the length may come from a user's spec or file.
    pub fn try_zeroed(elem: ScalarType, len: usize) -> Result<Buffer, AllocError> {
        let n = lines_for(elem, len).ok_or(AllocError { bytes: None })?;
        let mut lines = Vec::new();
        lines.try_reserve_exact(n).map_err(|_| AllocError {
            bytes: n.checked_mul(LINE),
        })?;
        lines.resize(n, Line::zeroed());
        Ok(Buffer { lines, elem, len })
    }

    pub fn from_view(view: ArrayView<'_>) -> Buffer {
        let mut b = Buffer::zeroed(view.elem(), view.len());
        b.copy_from(view);
        b
    }

    /// Copies `view` in; the lengths and element types must agree (the
    /// caller made this buffer for it).
    pub(crate) fn copy_from(&mut self, view: ArrayView<'_>) {
        match (self.view_mut(), view) {
            (ArrayViewMut::I32(d), ArrayView::I32(s)) => d.copy_from_slice(s),
            (ArrayViewMut::I64(d), ArrayView::I64(s)) => d.copy_from_slice(s),
            (ArrayViewMut::F32(d), ArrayView::F32(s)) => d.copy_from_slice(s),
            (ArrayViewMut::F64(d), ArrayView::F64(s)) => d.copy_from_slice(s),
            _ => debug_assert!(false, "copy_from with a different element type"),
        }
    }

    pub fn elem(&self) -> ScalarType {
        self.elem
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes the elements occupy: `len × element size`.
    pub fn byte_len(&self) -> usize {
        self.len * self.elem.size()
    }

    /// The bytes allocated: a multiple of 64, at least 64.
    pub fn padded_byte_len(&self) -> usize {
        self.lines.len() * LINE
    }

    /// Every byte including the padding: what a sandboxed execution gets.
    pub fn padded_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.lines)
    }

    pub fn padded_bytes_mut(&mut self) -> &mut [u8] {
        bytemuck::cast_slice_mut(&mut self.lines)
    }

    pub fn view(&self) -> ArrayView<'_> {
        let n = self.len;
        match self.elem {
            ScalarType::I32 => ArrayView::I32(&bytemuck::cast_slice(&self.lines)[..n]),
            ScalarType::I64 => ArrayView::I64(&bytemuck::cast_slice(&self.lines)[..n]),
            ScalarType::F32 => ArrayView::F32(&bytemuck::cast_slice(&self.lines)[..n]),
            ScalarType::F64 => ArrayView::F64(&bytemuck::cast_slice(&self.lines)[..n]),
        }
    }

    pub fn view_mut(&mut self) -> ArrayViewMut<'_> {
        let n = self.len;
        match self.elem {
            ScalarType::I32 => {
                ArrayViewMut::I32(&mut bytemuck::cast_slice_mut(&mut self.lines)[..n])
            }
            ScalarType::I64 => {
                ArrayViewMut::I64(&mut bytemuck::cast_slice_mut(&mut self.lines)[..n])
            }
            ScalarType::F32 => {
                ArrayViewMut::F32(&mut bytemuck::cast_slice_mut(&mut self.lines)[..n])
            }
            ScalarType::F64 => {
                ArrayViewMut::F64(&mut bytemuck::cast_slice_mut(&mut self.lines)[..n])
            }
        }
    }

    /// Exactly `byte_len` bytes: the padding is not exposed, so it stays zero.
    pub fn bytes(&self) -> &[u8] {
        let n = self.byte_len();
        &bytemuck::cast_slice(&self.lines)[..n]
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let n = self.byte_len();
        &mut bytemuck::cast_slice_mut(&mut self.lines)[..n]
    }

    pub fn as_ptr(&self) -> *const u8 {
        self.lines.as_ptr().cast()
    }

    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.lines.as_mut_ptr().cast()
    }
}

impl fmt::Debug for Buffer {
    /// A summary: the element type, the length and the first few values, as
    /// a derived `Debug` would print megabytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEAD: usize = 8;
        let v = self.view();
        let head: Vec<String> = (0..v.len().min(HEAD))
            .map(|i| match v {
                ArrayView::I32(s) => s[i].to_string(),
                ArrayView::I64(s) => s[i].to_string(),
                ArrayView::F32(s) => format!("{:?}", s[i]),
                ArrayView::F64(s) => format!("{:?}", s[i]),
            })
            .collect();
        let more = if v.len() > HEAD { ", .." } else { "" };
        write!(
            f,
            "Buffer {{ elem: {}, len: {}, head: [{}{}] }}",
            self.elem,
            self.len,
            head.join(", "),
            more
        )
    }
}

/// A typed, read-only look at an array argument.
#[derive(Clone, Copy, Debug)]
pub enum ArrayView<'a> {
    I32(&'a [i32]),
    I64(&'a [i64]),
    F32(&'a [f32]),
    F64(&'a [f64]),
}

impl ArrayView<'_> {
    pub fn len(&self) -> usize {
        match self {
            Self::I32(s) => s.len(),
            Self::I64(s) => s.len(),
            Self::F32(s) => s.len(),
            Self::F64(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn elem(&self) -> ScalarType {
        match self {
            Self::I32(_) => ScalarType::I32,
            Self::I64(_) => ScalarType::I64,
            Self::F32(_) => ScalarType::F32,
            Self::F64(_) => ScalarType::F64,
        }
    }

    /// Element `i` as f64 (i64 values beyond 2^53 round). Panics if `i` is
    /// out of bounds, like slice indexing; see [`ArrayView::try_get_f64`].
    pub fn get_f64(&self, i: usize) -> f64 {
        match self {
            Self::I32(s) => f64::from(s[i]),
            Self::I64(s) => s[i] as f64,
            Self::F32(s) => f64::from(s[i]),
            Self::F64(s) => s[i],
        }
    }

    pub fn try_get_f64(&self, i: usize) -> Option<f64> {
        (i < self.len()).then(|| self.get_f64(i))
    }

    /// Every element as f64, in order.
    pub fn iter_f64(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len()).map(move |i| self.get_f64(i))
    }
}

/// A typed, writable look at an array argument (its padding stays hidden).
#[derive(Debug)]
pub enum ArrayViewMut<'a> {
    I32(&'a mut [i32]),
    I64(&'a mut [i64]),
    F32(&'a mut [f32]),
    F64(&'a mut [f64]),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_are_64_aligned_and_padding_is_whole_lines() {
        for elem in ScalarType::ALL {
            for len in [0usize, 1, 7, 8, 9, 15, 16, 17, 100, 1000] {
                let b = Buffer::zeroed(elem, len);
                assert_eq!(b.as_ptr() as usize % 64, 0, "{elem} {len}");
                assert_eq!(b.len(), len);
                assert_eq!(b.byte_len(), len * elem.size());
                assert_eq!(b.bytes().len(), b.byte_len());
                assert_eq!(b.padded_byte_len() % 64, 0);
                assert!(b.padded_byte_len() >= b.byte_len().max(64));
                assert!(b.padded_byte_len() < b.byte_len().max(1) + 64);
                assert_eq!(b.view().len(), len);
            }
        }
        // 100 f64 = 800 bytes → 13 lines.
        assert_eq!(Buffer::zeroed(ScalarType::F64, 100).padded_byte_len(), 832);
        assert_eq!(Buffer::zeroed(ScalarType::I32, 16).padded_byte_len(), 64);
        assert_eq!(Buffer::zeroed(ScalarType::I32, 17).padded_byte_len(), 128);
        let mut b = Buffer::zeroed(ScalarType::I32, 3);
        assert_eq!(b.as_mut_ptr() as usize % 64, 0);
    }

    #[test]
    fn from_view_round_trips_and_padding_stays_zero() {
        let data = [1.5f32, -2.0, 3.25];
        let b = Buffer::from_view(ArrayView::F32(&data));
        assert_eq!(b.elem(), ScalarType::F32);
        match b.view() {
            ArrayView::F32(s) => assert_eq!(s, &data),
            other => panic!("wrong view {other:?}"),
        }
        assert_eq!(b.view().get_f64(1), -2.0);
        assert_eq!(b.view().try_get_f64(3), None);
        assert_eq!(b.bytes(), bytemuck::cast_slice::<f32, u8>(&data));
        let all: &[u8] = bytemuck::cast_slice(&b.lines);
        assert!(all[12..].iter().all(|&x| x == 0));
        assert_eq!(b, b.clone());
        assert_ne!(b, Buffer::zeroed(ScalarType::F32, 3));
    }

    #[test]
    fn bytes_mut_writes_through_to_the_view() {
        let mut b = Buffer::zeroed(ScalarType::I64, 2);
        b.bytes_mut()[8..16].copy_from_slice(&(-5i64).to_le_bytes());
        assert_eq!(b.view().get_f64(1), -5.0);
        if let ArrayViewMut::I64(s) = b.view_mut() {
            s[0] = 9;
        }
        assert_eq!(b.view().iter_f64().collect::<Vec<_>>(), vec![9.0, -5.0]);
    }

    #[test]
    fn impossible_sizes_are_errors_not_aborts() {
        assert!(Buffer::try_zeroed(ScalarType::F64, usize::MAX).is_err());
        assert!(Buffer::try_zeroed(ScalarType::F64, usize::MAX / 16).is_err());
        assert!(Buffer::try_zeroed(ScalarType::F64, 10).is_ok());
    }

    #[test]
    fn debug_is_a_summary() {
        let b = Buffer::from_view(ArrayView::I32(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        let s = format!("{b:?}");
        assert_eq!(
            s,
            "Buffer { elem: i32, len: 10, head: [1, 2, 3, 4, 5, 6, 7, 8, ..] }"
        );
    }
}
