//! Array data from files (`file:` in an input spec): NumPy `.npy`
//! (versions 1.0, 2.0 and 3.0, little-endian `<f8 <f4 <i8 <i4`, C order,
//! any shape flattened), `.csv` (numbers separated by commas and/or
//! whitespace, an optional header line), and anything else as raw
//! little-endian elements of the spec's type.
//!
//! The `.npy` reader is hand-written: the format is a magic string, a
//! Python-literal header and the raw data, and a dependency would bring
//! far more than that.

use super::buffer::Buffer;
use super::gen::MAX_LEN;
use crate::kernel::ScalarType;
use std::path::Path;

/// The most a data file may hold: the per-request cap on array bytes.
pub const MAX_FILE: u64 = 4 << 30;

/// Reads a regular file of at most `cap` bytes. A FIFO, a device or a
/// directory is refused before anything is read (opening does not wait for
/// a FIFO's writer), and the size is checked before anything is allocated.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "not found".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => e.to_string(),
        })?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file (a FIFO, a device or a folder cannot be read)".into());
    }
    if meta.len() > cap {
        return Err(format!(
            "{} bytes, over the cap of {} MiB",
            meta.len(),
            cap >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(format!("grew past the cap of {} MiB while read", cap >> 20));
    }
    Ok(bytes)
}

/// `shown` (as a spec wrote it) inside `dir`: a relative path that stays in
/// the folder, through symbolic links too. A spec names its own data, not
/// the host's files.
pub(crate) fn confined(dir: &Path, shown: &Path) -> Result<std::path::PathBuf, String> {
    use std::path::Component;
    if shown
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(
            "must be a path inside the spec's folder (no absolute path, no `..`)".to_owned(),
        );
    }
    let path = dir.join(shown);
    let (Ok(real_dir), Ok(real)) = (dir.canonicalize(), path.canonicalize()) else {
        // Not there: `read_regular` says so with the path it looked for.
        return Ok(path);
    };
    if !real.starts_with(&real_dir) {
        return Err(format!(
            "leads outside the spec's folder (to {})",
            real.display()
        ));
    }
    Ok(real)
}

/// Reads `shown`, confined to the spec's folder `dir`, as an array of
/// `elem`. Problems start with `file SHOWN:`, the path as the spec wrote it.
pub(crate) fn load(dir: &Path, shown: &Path, elem: ScalarType) -> Result<Buffer, String> {
    let prefix = |p: String| format!("file {}: {p}", shown.display());
    let path = confined(dir, shown).map_err(prefix)?;
    let bytes = read_regular(&path, MAX_FILE).map_err(|e| {
        prefix(if e == "not found" && path != shown {
            format!("not found (looked for {})", path.display())
        } else {
            e
        })
    })?;
    decode(&path, &bytes, elem).map_err(prefix)
}

/// `shown` as one of a request's parts: the bytes sent under that name,
/// read by its extension as a file would be. Nothing on the host is read.
pub(crate) fn load_part(
    parts: &std::collections::BTreeMap<String, Vec<u8>>,
    shown: &Path,
    elem: ScalarType,
) -> Result<Buffer, String> {
    let name = shown.to_string_lossy();
    let Some(bytes) = parts.get(name.as_ref()) else {
        let sent: Vec<&str> = parts.keys().map(String::as_str).collect();
        return Err(format!(
            "file {name}: no part of the request is named `{name}` ({}); a request sends its data as parts of a multipart body, and the service reads no file of its own",
            if sent.is_empty() {
                "none was sent".to_owned()
            } else {
                format!("sent: {}", sent.join(", "))
            }
        ));
    };
    decode(shown, bytes, elem).map_err(|p| format!("file {name}: {p}"))
}

/// Bytes as an array, by the name's extension: `.npy`, `.csv`, else raw
/// little-endian elements.
fn decode(name: &Path, bytes: &[u8], elem: ScalarType) -> Result<Buffer, String> {
    let ext = name
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("npy") => parse_npy(bytes, elem),
        Some("csv") => parse_csv(bytes, elem),
        _ => parse_raw(bytes, elem),
    }
}

fn alloc(elem: ScalarType, len: usize) -> Result<Buffer, String> {
    if len > MAX_LEN {
        return Err(format!(
            "holds {len} elements, more than the {MAX_LEN} an array may have"
        ));
    }
    Buffer::try_zeroed(elem, len).map_err(|e| e.to_string())
}

/// Little-endian element bytes into a buffer (byte-swapped on a big-endian
/// host, so files mean the same everywhere).
fn from_le(data: &[u8], elem: ScalarType) -> Result<Buffer, String> {
    let mut buf = alloc(elem, data.len() / elem.size())?;
    buf.bytes_mut().copy_from_slice(data);
    if cfg!(target_endian = "big") {
        buf.bytes_mut()
            .chunks_exact_mut(elem.size())
            .for_each(<[u8]>::reverse);
    }
    Ok(buf)
}

pub(crate) fn parse_raw(bytes: &[u8], elem: ScalarType) -> Result<Buffer, String> {
    if bytes.len() % elem.size() != 0 {
        return Err(format!(
            "size {} bytes is not a multiple of {} (the size of {elem}); raw files hold little-endian {elem} elements",
            bytes.len(),
            elem.size()
        ));
    }
    from_le(bytes, elem)
}

// ---------------------------------------------------------------- .npy

const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// An array as a `.npy` file (version 1.0, little-endian, one dimension):
/// what the service answers when outputs are asked for as `.npy`.
pub fn to_npy(buf: &Buffer) -> Vec<u8> {
    let descr = match buf.elem() {
        ScalarType::F64 => "<f8",
        ScalarType::F32 => "<f4",
        ScalarType::I64 => "<i8",
        ScalarType::I32 => "<i4",
    };
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({},), }}",
        buf.len()
    );
    // Magic, version and length take 10 bytes; data starts 64-aligned.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + buf.byte_len());
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    let start = out.len();
    out.extend_from_slice(buf.bytes());
    if cfg!(target_endian = "big") {
        out[start..]
            .chunks_exact_mut(buf.elem().size())
            .for_each(<[u8]>::reverse);
    }
    out
}

pub(crate) fn parse_npy(bytes: &[u8], elem: ScalarType) -> Result<Buffer, String> {
    if bytes.len() < 10 || &bytes[..6] != NPY_MAGIC {
        return Err("not a .npy file (no \\x93NUMPY magic)".into());
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (header_len, start): (usize, usize) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => {
            let b = bytes.get(8..12).ok_or("truncated .npy header")?;
            let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            (usize::try_from(n).map_err(|_| "oversized .npy header")?, 12)
        }
        _ => {
            return Err(format!(
                "unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)"
            ))
        }
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or("truncated .npy header")?;
    let header =
        std::str::from_utf8(&bytes[start..end]).map_err(|_| "the .npy header is not text")?;
    let h = NpyHeader::parse(header)?;

    let file_elem = npy_dtype(&h.descr)?;
    if file_elem != elem {
        return Err(format!(
            "holds {file_elem} ({}) but the spec says `array: {elem}`",
            h.descr
        ));
    }
    if h.fortran_order {
        return Err(
            "fortran_order is True; save the array in C order (numpy.ascontiguousarray)".into(),
        );
    }
    let count = h
        .shape
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .and_then(|c| usize::try_from(c).ok())
        .ok_or("the .npy shape is too large")?;
    if count > MAX_LEN {
        return Err(format!(
            "holds {count} elements, more than the {MAX_LEN} an array may have"
        ));
    }
    let data = &bytes[end..];
    let want = count * elem.size();
    if data.len() != want {
        return Err(format!(
            "shape {:?} needs {want} bytes of data but the file has {}",
            h.shape,
            data.len()
        ));
    }
    from_le(data, elem)
}

fn npy_dtype(descr: &str) -> Result<ScalarType, String> {
    // The byte-order mark is one ASCII character; anything else (even a
    // multi-byte one) leaves the code unrecognized, never a split inside
    // a character.
    let (order, code) = match descr.char_indices().nth(1) {
        Some((at, _)) => descr.split_at(at),
        None => (descr, ""),
    };
    let elem = match code {
        "f8" => Some(ScalarType::F64),
        "f4" => Some(ScalarType::F32),
        "i8" => Some(ScalarType::I64),
        "i4" => Some(ScalarType::I32),
        _ => None,
    };
    let little = order == "<" || (order == "=" && cfg!(target_endian = "little"));
    match elem {
        Some(e) if little => Ok(e),
        Some(e) if order == ">" || order == "=" => Err(format!(
            "dtype `{descr}` is big-endian; save it as `<{code}` ({e})"
        )),
        _ => Err(format!(
            "dtype `{descr}` is not supported (f64 `<f8`, f32 `<f4`, i64 `<i8`, i32 `<i4`)"
        )),
    }
}

#[derive(Debug, PartialEq)]
struct NpyHeader {
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
}

/// A value of the header's Python dict literal, as far as `.npy` uses them.
#[derive(Debug, PartialEq)]
enum Py {
    Str(String),
    Bool(bool),
    Tuple(Vec<u64>),
    /// A list or anything else: structured dtypes, which are refused.
    Other,
}

impl NpyHeader {
    fn parse(text: &str) -> Result<NpyHeader, String> {
        let bad = |what: &str| {
            let t = text.trim();
            let shown: String = t.chars().take(80).collect();
            let more = if shown.len() < t.len() { "…" } else { "" };
            format!("malformed .npy header ({what}): {shown}{more}")
        };
        let mut p = PyParser {
            s: text.as_bytes(),
            i: 0,
        };
        p.ws();
        if !p.eat(b'{') {
            return Err(bad("expected `{`"));
        }
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        loop {
            p.ws();
            if p.eat(b'}') {
                break;
            }
            let key = p.string().ok_or_else(|| bad("expected a quoted key"))?;
            p.ws();
            if !p.eat(b':') {
                return Err(bad("expected `:`"));
            }
            p.ws();
            let value = p.value().ok_or_else(|| bad("unreadable value"))?;
            match key.as_str() {
                "descr" => descr = Some(value),
                "fortran_order" => fortran = Some(value),
                "shape" => shape = Some(value),
                _ => {}
            }
            p.ws();
            if p.eat(b',') {
                continue;
            }
            p.ws();
            if p.eat(b'}') {
                break;
            }
            return Err(bad("expected `,` or `}`"));
        }
        let descr = match descr {
            Some(Py::Str(s)) => s,
            Some(_) => {
                return Err("structured .npy dtypes are not supported (f8, f4, i8, i4)".into())
            }
            None => return Err(bad("no 'descr'")),
        };
        let fortran_order = match fortran {
            Some(Py::Bool(b)) => b,
            _ => return Err(bad("no boolean 'fortran_order'")),
        };
        let shape = match shape {
            Some(Py::Tuple(t)) => t,
            _ => return Err(bad("no tuple 'shape'")),
        };
        Ok(NpyHeader {
            descr,
            fortran_order,
            shape,
        })
    }
}

struct PyParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl PyParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }

    fn string(&mut self) -> Option<String> {
        let q = self.peek().filter(|&c| c == b'\'' || c == b'"')?;
        self.i += 1;
        let start = self.i;
        while self.peek()? != q {
            self.i += 1;
        }
        let s = String::from_utf8(self.s[start..self.i].to_vec()).ok()?;
        self.i += 1;
        Some(s)
    }

    fn word(&mut self) -> &[u8] {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    fn value(&mut self) -> Option<Py> {
        match self.peek()? {
            b'\'' | b'"' => self.string().map(Py::Str),
            b'(' => {
                self.i += 1;
                let mut dims = Vec::new();
                loop {
                    self.ws();
                    if self.eat(b')') {
                        return Some(Py::Tuple(dims));
                    }
                    let w = self.word();
                    // Python 2 wrote longs with an `L` suffix.
                    let w = w.strip_suffix(b"L").unwrap_or(w);
                    dims.push(std::str::from_utf8(w).ok()?.parse().ok()?);
                    self.ws();
                    if !self.eat(b',') {
                        self.ws();
                        if self.eat(b')') {
                            return Some(Py::Tuple(dims));
                        }
                        return None;
                    }
                }
            }
            b'[' | b'{' => {
                self.skip_balanced()?;
                Some(Py::Other)
            }
            _ => match self.word() {
                b"True" => Some(Py::Bool(true)),
                b"False" => Some(Py::Bool(false)),
                b"" => None,
                _ => Some(Py::Other),
            },
        }
    }

    /// Skips a bracketed value (a structured dtype's list), quotes included.
    fn skip_balanced(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'\'' | b'"' => {
                    self.string()?;
                    continue;
                }
                b'[' | b'{' | b'(' => depth += 1,
                b']' | b'}' | b')' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        self.i += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
    }
}

// ---------------------------------------------------------------- .csv

/// Numbers separated by commas, semicolons and/or whitespace, any number
/// per line. A first line that is not all numbers is a header and skipped
/// (a file that is nothing but that line is an error, not an empty array);
/// an empty field between separators (`1,,3`) and a non-number anywhere
/// else are errors naming their line.
pub(crate) fn parse_csv(bytes: &[u8], elem: ScalarType) -> Result<Buffer, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        format!("line {line}: not UTF-8 text")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ints: Vec<i64> = Vec::new();
    let mut floats: Vec<f64> = Vec::new();
    let mut header: Option<(usize, String)> = None;
    let mut seen_content = false;
    for (n, line) in text.lines().enumerate() {
        let at = |p: String| format!("line {}: {p}", n + 1);
        let fields: Vec<&str> = line.split([',', ';']).map(str::trim).collect();
        // Trailing separators (`1,2,`) are how some tools end rows.
        let used = fields
            .iter()
            .rposition(|f| !f.is_empty())
            .map_or(0, |i| i + 1);
        if used == 0 {
            continue;
        }
        if let Some(k) = fields[..used].iter().position(|f| f.is_empty()) {
            return Err(at(format!("field {} is empty", k + 1)));
        }
        let tokens: Vec<&str> = fields[..used]
            .iter()
            .flat_map(|f| f.split_whitespace())
            .map(unquote)
            .collect();
        if !seen_content {
            seen_content = true;
            if tokens.iter().any(|t| t.parse::<f64>().is_err()) {
                let shown: String = line.chars().take(40).collect();
                header = Some((n + 1, shown));
                continue;
            }
        }
        for t in tokens {
            if t.len() > 64 {
                let shown: String = t.chars().take(40).collect();
                return Err(at(format!(
                    "`{shown}…` ({} characters) is not a number",
                    t.len()
                )));
            }
            if elem.is_float() {
                floats.push(csv_float(t, elem).map_err(at)?);
            } else {
                ints.push(csv_int(t, elem).map_err(at)?);
            }
            if ints.len() + floats.len() > MAX_LEN {
                return Err(format!(
                    "more than the {MAX_LEN} elements an array may have"
                ));
            }
        }
    }
    if let (Some((line, shown)), true) = (&header, ints.is_empty() && floats.is_empty()) {
        return Err(format!(
            "line {line}: `{shown}` is not numbers, and no line of numbers follows it as a header"
        ));
    }
    let mut buf = alloc(elem, ints.len() + floats.len())?;
    match buf.view_mut() {
        super::ArrayViewMut::I32(s) => s.iter_mut().zip(&ints).for_each(|(d, &v)| *d = v as i32),
        super::ArrayViewMut::I64(s) => s.copy_from_slice(&ints),
        super::ArrayViewMut::F32(s) => s.iter_mut().zip(&floats).for_each(|(d, &v)| *d = v as f32),
        super::ArrayViewMut::F64(s) => s.copy_from_slice(&floats),
    }
    Ok(buf)
}

/// Spreadsheets quote cells; `"1.5"` is the number 1.5.
fn unquote(t: &str) -> &str {
    t.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t)
}

fn csv_int(t: &str, elem: ScalarType) -> Result<i64, String> {
    // i64 first: going through f64 would round values beyond 2^53.
    let v = match t.parse::<i64>() {
        Ok(v) => v,
        Err(_) => match t.parse::<f64>() {
            Ok(f)
                if f.fract() == 0.0
                    && (-super::yaml::TWO_POW_63..super::yaml::TWO_POW_63).contains(&f) =>
            {
                f as i64
            }
            Ok(_) => return Err(format!("`{t}` is not an integer, as {elem} needs")),
            Err(_) => return Err(format!("`{t}` is not a number")),
        },
    };
    super::yaml::check_int(v, elem)
}

fn csv_float(t: &str, elem: ScalarType) -> Result<f64, String> {
    let v: f64 = t.parse().map_err(|_| format!("`{t}` is not a number"))?;
    if v.is_infinite() && !t.to_ascii_lowercase().contains("inf") {
        return Err(format!("`{t}` is out of range for f64 (±{:e})", f64::MAX));
    }
    if elem == ScalarType::F32 {
        // Parsed straight to f32 for correct rounding (f64 then f32 can
        // round twice).
        let s: f32 = t.parse().map_err(|_| format!("`{t}` is not a number"))?;
        if s.is_infinite() && v.is_finite() {
            return Err(format!("`{t}` is out of range for f32"));
        }
        return Ok(f64::from(s));
    }
    Ok(v)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::input::ArrayView;

    /// A `.npy` file as NumPy writes it: magic, version, header padded with
    /// spaces to a 64-byte boundary and ended by a newline, then the data.
    pub(crate) fn npy(major: u8, descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        npy_with_header(major, &dict, data)
    }

    pub(crate) fn npy_with_header(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
        let prefix = if major == 1 { 10 } else { 12 };
        let mut header = dict.as_bytes().to_vec();
        while (prefix + header.len() + 1) % 64 != 0 {
            header.push(b' ');
        }
        header.push(b'\n');
        let mut out = NPY_MAGIC.to_vec();
        out.extend([major, 0]);
        if major == 1 {
            out.extend((header.len() as u16).to_le_bytes());
        } else {
            out.extend((header.len() as u32).to_le_bytes());
        }
        out.extend(header);
        out.extend(data);
        out
    }

    fn f64_bytes(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn npy_v1_v2_v3_round_trip() {
        let vals = [1.5, -2.25, 3.0, 1e300, 0.0, -0.5];
        for major in [1, 2, 3] {
            let file = npy(major, "<f8", false, "(2, 3)", &f64_bytes(&vals));
            let b = parse_npy(&file, ScalarType::F64).unwrap();
            match b.view() {
                ArrayView::F64(s) => assert_eq!(s, &vals),
                other => panic!("{other:?}"),
            }
        }
        let ints: Vec<u8> = [7i32, -8, 9].iter().flat_map(|x| x.to_le_bytes()).collect();
        let b = parse_npy(&npy(1, "<i4", false, "(3,)", &ints), ScalarType::I32).unwrap();
        assert_eq!(
            b.view().iter_f64().collect::<Vec<_>>(),
            vec![7.0, -8.0, 9.0]
        );
        let longs: Vec<u8> = [i64::MAX, -1]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let b = parse_npy(&npy(2, "<i8", false, "(2,)", &longs), ScalarType::I64).unwrap();
        match b.view() {
            ArrayView::I64(s) => assert_eq!(s, &[i64::MAX, -1]),
            other => panic!("{other:?}"),
        }
        let floats: Vec<u8> = [0.25f32].iter().flat_map(|x| x.to_le_bytes()).collect();
        // A 0-d array is one element.
        let b = parse_npy(&npy(1, "<f4", false, "()", &floats), ScalarType::F32).unwrap();
        assert_eq!(b.len(), 1);
        let b = parse_npy(&npy(1, "<f8", false, "(0,)", &[]), ScalarType::F64).unwrap();
        assert_eq!(parse_npy(&to_npy(&b), ScalarType::F64).unwrap(), b);
        let ints = parse_raw(&[1, 0, 0, 0, 255, 255, 255, 255], ScalarType::I32).unwrap();
        let written = to_npy(&ints);
        assert_eq!(
            (written.len() - ints.byte_len()) % 64,
            0,
            "data is 64-aligned"
        );
        assert_eq!(parse_npy(&written, ScalarType::I32).unwrap(), ints);
        assert!(b.is_empty());
    }

    #[test]
    fn npy_problems_are_named() {
        let data = f64_bytes(&[1.0, 2.0]);
        let e = parse_npy(&npy(1, "<f8", false, "(2,)", &data), ScalarType::F32).unwrap_err();
        assert!(
            e.contains("holds f64 (<f8)") && e.contains("`array: f32`"),
            "{e}"
        );
        let e = parse_npy(&npy(1, "<f8", true, "(2,)", &data), ScalarType::F64).unwrap_err();
        assert!(e.contains("fortran_order"), "{e}");
        let e = parse_npy(&npy(1, ">f8", false, "(2,)", &data), ScalarType::F64).unwrap_err();
        assert!(e.contains("big-endian"), "{e}");
        let e = parse_npy(&npy(1, "<u2", false, "(2,)", &data), ScalarType::F64).unwrap_err();
        assert!(e.contains("`<u2` is not supported"), "{e}");
        let e = parse_npy(&npy(1, "<f8", false, "(3,)", &data), ScalarType::F64).unwrap_err();
        assert!(e.contains("needs 24 bytes") && e.contains("has 16"), "{e}");
        let e = parse_npy(b"hello world, not npy", ScalarType::F64).unwrap_err();
        assert!(e.contains("not a .npy file"), "{e}");
        let mut v9 = npy(1, "<f8", false, "(2,)", &data);
        v9[6] = 9;
        let e = parse_npy(&v9, ScalarType::F64).unwrap_err();
        assert!(e.contains("version 9.0"), "{e}");
        let full = npy(1, "<f8", false, "(2,)", &data);
        let e = parse_npy(&full[..40], ScalarType::F64).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let structured = npy_with_header(
            1,
            "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }",
            &data,
        );
        let e = parse_npy(&structured, ScalarType::F64).unwrap_err();
        assert!(e.contains("structured"), "{e}");
    }

    #[test]
    fn npy_header_parser_tolerates_python_spellings() {
        let h =
            NpyHeader::parse("{\"shape\": (3L, 4L), \"fortran_order\": False, \"descr\": \"<i8\"}")
                .unwrap();
        assert_eq!(h.shape, vec![3, 4]);
        assert_eq!(h.descr, "<i8");
        assert!(NpyHeader::parse("{'descr': '<f8', 'shape': (2,)}").is_err());
        assert!(NpyHeader::parse("not a dict").is_err());
        assert!(NpyHeader::parse("{'descr': '<f8', 'fortran_order': False, 'shape': (2,").is_err());
    }

    #[test]
    fn csv_with_header_commas_and_whitespace() {
        let text = "x, y\n1, 2\n3 4\n\n  5,6,\n\"7\"\n";
        let b = parse_csv(text.as_bytes(), ScalarType::I32).unwrap();
        assert_eq!(
            b.view().iter_f64().collect::<Vec<_>>(),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
        );
        let b = parse_csv(b"0.5\r\n-1.25e2\r\n", ScalarType::F64).unwrap();
        assert_eq!(b.view().iter_f64().collect::<Vec<_>>(), vec![0.5, -125.0]);
        let b = parse_csv("\u{feff}value\n0.1\n".as_bytes(), ScalarType::F32).unwrap();
        match b.view() {
            ArrayView::F32(s) => assert_eq!(s, &[0.1f32]),
            other => panic!("{other:?}"),
        }
        let b = parse_csv(b"9007199254740993\n", ScalarType::I64).unwrap();
        match b.view() {
            ArrayView::I64(s) => assert_eq!(s, &[9_007_199_254_740_993]),
            other => panic!("{other:?}"),
        }
        assert!(parse_csv(b"", ScalarType::F64).unwrap().is_empty());
    }

    #[test]
    fn csv_semicolons_empty_fields_and_lone_headers() {
        let b = parse_csv(b"1;2;3\n", ScalarType::F64).unwrap();
        assert_eq!(b.view().iter_f64().collect::<Vec<_>>(), vec![1.0, 2.0, 3.0]);
        let e = parse_csv(b"1,,3\n", ScalarType::F64).unwrap_err();
        assert_eq!(e, "line 1: field 2 is empty");
        let e = parse_csv(b"x;y\n", ScalarType::F64).unwrap_err();
        assert!(e.contains("no line of numbers follows it"), "{e}");
        let e = parse_csv(b"1e309\n", ScalarType::F64).unwrap_err();
        assert!(e.contains("out of range for f64"), "{e}");
        let long = format!("1\n{}\n", "9".repeat(1000));
        let e = parse_csv(long.as_bytes(), ScalarType::F64).unwrap_err();
        assert!(e.len() < 120 && e.contains("1000 characters"), "{e}");
    }

    /// Found by the `npy` fuzz target: a descr starting with a two-byte
    /// character was split inside it (a panic in the engine's process).
    #[test]
    fn a_descr_with_a_multibyte_first_character_is_refused() {
        let dict = "{'descr': '\u{119}4', 'fortran_order': False, 'shape': (2,), }";
        let e = parse_npy(&npy_with_header(1, dict, &[0; 8]), ScalarType::F64).unwrap_err();
        assert!(!e.is_empty());
        let fuzz = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fuzz/regressions/npy-multibyte-descr"),
        )
        .expect("regression input");
        assert!(parse_npy(&fuzz, ScalarType::F64).is_err());
    }

    #[test]
    fn a_deep_npy_header_is_not_echoed_whole() {
        let dict = format!("{{'descr': '<f8', 'shape': {}}}", "(".repeat(50_000));
        let e = parse_npy(&npy_with_header(1, &dict, &[]), ScalarType::F64).unwrap_err();
        assert!(e.len() < 300, "{} bytes", e.len());
    }

    #[test]
    fn csv_bad_cells_name_their_line() {
        let e = parse_csv(b"a,b\n1,2\n3,oops\n", ScalarType::F64).unwrap_err();
        assert_eq!(e, "line 3: `oops` is not a number");
        let e = parse_csv(b"1\n2.5\n", ScalarType::I32).unwrap_err();
        assert!(
            e.starts_with("line 2:") && e.contains("not an integer"),
            "{e}"
        );
        let e = parse_csv(b"1\n4294967296\n", ScalarType::I32).unwrap_err();
        assert!(
            e.starts_with("line 2:") && e.contains("out of range for i32"),
            "{e}"
        );
        let e = parse_csv(b"1\n1e39\n", ScalarType::F32).unwrap_err();
        assert!(e.contains("out of range for f32"), "{e}");
        let e = parse_csv(b"1\n\xff\n", ScalarType::F64).unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
    }

    #[test]
    fn raw_files() {
        let b = parse_raw(&f64_bytes(&[1.0, -2.0]), ScalarType::F64).unwrap();
        assert_eq!(b.view().iter_f64().collect::<Vec<_>>(), vec![1.0, -2.0]);
        let e = parse_raw(&[0u8; 13], ScalarType::F64).unwrap_err();
        assert!(e.contains("13 bytes is not a multiple of 8"), "{e}");
        let b = parse_raw(&[1, 0, 0, 0, 2, 0, 0, 0], ScalarType::I32).unwrap();
        assert_eq!(b.view().iter_f64().collect::<Vec<_>>(), vec![1.0, 2.0]);
    }

    #[test]
    fn load_dispatches_on_extension_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a.CSV"), "1,2,3").unwrap();
        let b = load(d, Path::new("a.CSV"), ScalarType::F64).unwrap();
        assert_eq!(b.len(), 3);
        std::fs::create_dir(d.join("data")).unwrap();
        std::fs::write(
            d.join("data/a.npy"),
            npy(1, "<f4", false, "(1,)", &0.5f32.to_le_bytes()),
        )
        .unwrap();
        let e = load(d, Path::new("data/a.npy"), ScalarType::F64).unwrap_err();
        assert!(e.starts_with("file data/a.npy: holds f32"), "{e}");
        std::fs::write(d.join("a.bin"), [0u8; 7]).unwrap();
        let e = load(d, Path::new("a.bin"), ScalarType::I32).unwrap_err();
        assert!(e.starts_with("file a.bin: size 7 bytes"), "{e}");
        let e = load(d, Path::new("../a.bin"), ScalarType::I32).unwrap_err();
        assert!(e.contains("inside the spec's folder"), "{e}");
        let e = load(d, Path::new("nope.npy"), ScalarType::F64).unwrap_err();
        assert!(
            e.starts_with("file nope.npy: not found (looked for "),
            "{e}"
        );
    }
}

#[cfg(test)]
mod props {
    use super::tests::npy;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn csv_round_trips_floats(v in proptest::collection::vec(-1e300f64..1e300, 0..200), per_line in 1usize..6) {
            let text: String = v
                .chunks(per_line)
                .map(|c| c.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", "))
                .collect::<Vec<_>>()
                .join("\n");
            let parsed = parse_csv(format!("x,y\n{text}").as_bytes(), ScalarType::F64);
            if v.is_empty() {
                // A header with nothing under it is an error, not an empty array.
                prop_assert!(parsed.is_err());
            } else {
                let b = parsed.unwrap();
                prop_assert_eq!(b.view().iter_f64().collect::<Vec<_>>(), v);
            }
        }

        #[test]
        fn npy_round_trips_ints(v in proptest::collection::vec(any::<i32>(), 0..200), major in 1u8..=3) {
            let data: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            let file = npy(major, "<i4", false, &format!("({},)", v.len()), &data);
            let b = parse_npy(&file, ScalarType::I32).unwrap();
            prop_assert_eq!(b.bytes(), &data[..]);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut with_magic = NPY_MAGIC.to_vec();
            with_magic.extend(&bytes);
            for elem in ScalarType::ALL {
                let _ = parse_npy(&bytes, elem);
                let _ = parse_npy(&with_magic, elem);
                let _ = parse_csv(&bytes, elem);
                let _ = parse_raw(&bytes, elem);
            }
        }
    }
}
