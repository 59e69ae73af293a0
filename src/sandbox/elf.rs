//! A loader for the relocatable x86-64 ELF objects tailor's codegen emits,
//! for the lean executor: no LLVM in the process that runs untrusted code,
//! so forking it per execution stays cheap (DESIGN §7).
//!
//! It places every allocated section in one private mapping (code first,
//! on its own pages), applies the relocations LLVM emits for PIC code
//! (`64`, `PC32`, `PLT32`, `PC64`, `GOTPCREL[X]`), reaches functions outside
//! the object through a GOT and jump stubs inside the mapping, then makes
//! code read+execute and the rest read+write (never both writable and
//! executable). External symbols go through a resolver the caller supplies
//! (the allow-list is applied there).

use std::collections::HashMap;

const SHT_SYMTAB: u32 = 2;
const SHT_RELA: u32 = 4;
const SHT_NOBITS: u32 = 8;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
const SHN_UNDEF: u16 = 0;
const SHN_ABS: u16 = 0xfff1;
const SHN_COMMON: u16 = 0xfff2;

const R_X86_64_NONE: u32 = 0;
const R_X86_64_64: u32 = 1;
const R_X86_64_PC32: u32 = 2;
const R_X86_64_PLT32: u32 = 4;
const R_X86_64_GOTPCREL: u32 = 9;
const R_X86_64_PC64: u32 = 24;
const R_X86_64_GOTPCRELX: u32 = 41;
const R_X86_64_REX_GOTPCRELX: u32 = 42;

const PAGE: usize = 4096;
/// The most memory one loaded variant may take (its code, data and
/// zero-initialized data).
const MAX_IMAGE: usize = 1 << 30;

#[derive(Debug, Clone, Copy)]
struct Section {
    kind: u32,
    flags: u64,
    offset: usize,
    size: usize,
    link: u32,
    info: u32,
    align: usize,
    entsize: usize,
}

#[derive(Debug, Clone)]
struct Symbol {
    name: String,
    shndx: u16,
    value: u64,
    size: u64,
}

/// Offsets and sizes read from the object are the attacker's: every sum
/// and product of them is checked.
fn add(a: usize, b: usize) -> Result<usize, String> {
    a.checked_add(b)
        .ok_or_else(|| "an offset in the object overflows".to_string())
}
fn mul(a: usize, b: usize) -> Result<usize, String> {
    a.checked_mul(b)
        .ok_or_else(|| "an offset in the object overflows".to_string())
}

fn rd<const N: usize>(b: &[u8], at: usize) -> Result<[u8; N], String> {
    at.checked_add(N)
        .and_then(|end| b.get(at..end))
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| format!("truncated object at byte {at}"))
}
fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    rd::<2>(b, at).map(u16::from_le_bytes)
}
fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    rd::<4>(b, at).map(u32::from_le_bytes)
}
fn u64_at(b: &[u8], at: usize) -> Result<u64, String> {
    rd::<8>(b, at).map(u64::from_le_bytes)
}

fn cstr(b: &[u8], at: usize) -> Result<String, String> {
    let tail = b.get(at..).ok_or("string table offset out of range")?;
    let end = tail
        .iter()
        .position(|&c| c == 0)
        .ok_or("unterminated string")?;
    Ok(String::from_utf8_lossy(&tail[..end]).into_owned())
}

fn align_up(x: usize, a: usize) -> Result<usize, String> {
    let a = a.max(1);
    mul(x.div_ceil(a), a)
}

/// A loaded object: its mapping and the entry's address.
pub struct LoadedElf {
    base: *mut u8,
    len: usize,
    entry: usize,
}

impl LoadedElf {
    /// Loads `object` and returns the address of `entry`. `resolve` gives
    /// the address of an external symbol, or `None` to refuse it.
    pub fn load(
        object: &[u8],
        entry: &str,
        resolve: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<LoadedElf, String> {
        if object.get(0..4) != Some(b"\x7fELF") {
            return Err("not an ELF object".into());
        }
        if object.get(4) != Some(&2) || object.get(5) != Some(&1) {
            return Err("not a 64-bit little-endian object".into());
        }
        if u16_at(object, 16)? != 1 {
            return Err("not a relocatable object".into());
        }
        if u16_at(object, 18)? != 62 {
            return Err("not an x86-64 object".into());
        }
        let shoff = u64_at(object, 40)? as usize;
        let shentsize = u16_at(object, 58)? as usize;
        let shnum = u16_at(object, 60)? as usize;
        if shentsize < 64 || shnum > 4096 {
            return Err("bad section header table".into());
        }
        let mut sections = Vec::with_capacity(shnum);
        for i in 0..shnum {
            let h = add(shoff, mul(i, shentsize)?)?;
            let f = |k: usize| add(h, k);
            sections.push(Section {
                kind: u32_at(object, f(4)?)?,
                flags: u64_at(object, f(8)?)?,
                offset: u64_at(object, f(24)?)? as usize,
                size: u64_at(object, f(32)?)? as usize,
                link: u32_at(object, f(40)?)?,
                info: u32_at(object, f(44)?)?,
                align: u64_at(object, f(48)?)? as usize,
                entsize: u64_at(object, f(56)?)? as usize,
            });
        }
        for s in &sections {
            if s.kind != SHT_NOBITS
                && s.offset
                    .checked_add(s.size)
                    .is_none_or(|end| end > object.len())
            {
                return Err("a section lies outside the object".into());
            }
            if s.align > PAGE {
                return Err("section alignment above a page".into());
            }
        }

        // Symbols.
        let symtab = sections
            .iter()
            .find(|s| s.kind == SHT_SYMTAB)
            .copied()
            .ok_or("no symbol table")?;
        let strtab = *sections
            .get(symtab.link as usize)
            .ok_or("bad string table index")?;
        let strings = object
            .get(strtab.offset..add(strtab.offset, strtab.size)?)
            .ok_or("bad string table")?;
        let mut symbols = Vec::new();
        let entsize = symtab.entsize.max(24);
        for i in 0..symtab.size / entsize {
            let at = add(symtab.offset, mul(i, entsize)?)?;
            symbols.push(Symbol {
                name: cstr(strings, u32_at(object, at)? as usize)?,
                shndx: u16_at(object, add(at, 6)?)?,
                value: u64_at(object, add(at, 8)?)?,
                size: u64_at(object, add(at, 16)?)?,
            });
        }

        // Layout: executable sections, then a page boundary, then the rest,
        // the GOT and the stubs (stubs are code: they go with the text).
        let externals: Vec<String> = {
            let mut v: Vec<String> = symbols
                .iter()
                .skip(1)
                .filter(|s| s.shndx == SHN_UNDEF && !s.name.is_empty())
                .map(|s| s.name.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let mut place: HashMap<usize, usize> = HashMap::new();
        let mut cursor = 0usize;
        for (i, sec) in sections.iter().enumerate() {
            if sec.flags & SHF_ALLOC != 0 && sec.flags & SHF_EXECINSTR != 0 {
                cursor = align_up(cursor, sec.align)?;
                place.insert(i, cursor);
                cursor = add(cursor, sec.size)?;
            }
        }
        // Stubs sit right after the code, before the page boundary.
        let stubs_at = align_up(cursor, 16)?;
        let data_start = align_up(add(stubs_at, mul(externals.len(), 16)?)?, PAGE)?;
        let mut cursor = data_start;
        for (i, sec) in sections.iter().enumerate() {
            if sec.flags & SHF_ALLOC != 0 && sec.flags & SHF_EXECINSTR == 0 {
                cursor = align_up(cursor, sec.align)?;
                place.insert(i, cursor);
                cursor = add(cursor, sec.size)?;
            }
        }
        // COMMON symbols get space of their own.
        let mut common: HashMap<usize, usize> = HashMap::new();
        for (i, sym) in symbols.iter().enumerate() {
            if sym.shndx == SHN_COMMON {
                // For a COMMON symbol, the value is its alignment.
                cursor = align_up(cursor, (sym.value as usize).clamp(1, PAGE))?;
                common.insert(i, cursor);
                cursor = cursor
                    .checked_add(usize::try_from(sym.size).map_err(|_| "a huge common symbol")?)
                    .ok_or("a huge common symbol")?;
            }
        }
        let got_at = align_up(cursor, 8)?;
        let total = align_up(add(got_at, mul(8, add(symbols.len(), 1)?)?)?, PAGE)?.max(PAGE);
        if total > MAX_IMAGE {
            return Err(format!(
                "the variant would take {} MiB of memory, more than {} MiB",
                total >> 20,
                MAX_IMAGE >> 20
            ));
        }

        // SAFETY: an anonymous private mapping of `total` bytes; nothing else
        // refers to it until this function returns it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                total,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err("cannot map memory for the variant".into());
        }
        // Owns the mapping from here on, so an error below unmaps it.
        let mut loaded = LoadedElf {
            base: base as *mut u8,
            len: total,
            entry: 0,
        };
        // SAFETY: the mapping is `total` bytes and writable; every write
        // below is bounds-checked against it by `mem`.
        let mem: &mut [u8] = unsafe { std::slice::from_raw_parts_mut(base as *mut u8, total) };
        for (&i, &at) in &place {
            let s = sections[i];
            if s.kind != SHT_NOBITS {
                mem[at..at + s.size].copy_from_slice(&object[s.offset..s.offset + s.size]);
            }
        }
        let base_addr = base as usize;

        // External symbols: a stub each (`jmp *[rip+0]; .quad addr`).
        let mut ext: HashMap<&str, (usize, usize)> = HashMap::new();
        for (k, name) in externals.iter().enumerate() {
            let target = resolve(name)
                .ok_or_else(|| format!("the variant needs `{name}`, which is not allowed"))?;
            let at = stubs_at + k * 16;
            mem[at..at + 6].copy_from_slice(&[0xff, 0x25, 0, 0, 0, 0]);
            mem[at + 6..at + 14].copy_from_slice(&(target as u64).to_le_bytes());
            ext.insert(name.as_str(), (base_addr + at, target));
        }
        // (address to branch to, address of the thing itself)
        let sym_addr = |i: usize| -> Result<(usize, usize), String> {
            let s = symbols.get(i).ok_or("relocation names no symbol")?;
            let a = match s.shndx {
                SHN_UNDEF => {
                    return ext
                        .get(s.name.as_str())
                        .copied()
                        .ok_or_else(|| "undefined symbol".to_string())
                }
                SHN_ABS => s.value as usize,
                SHN_COMMON => base_addr.wrapping_add(*common.get(&i).ok_or("common symbol")?),
                idx => {
                    let at = *place.get(&(idx as usize)).ok_or_else(|| {
                        format!("`{}` is in a section that is not loaded", s.name)
                    })?;
                    base_addr.wrapping_add(at).wrapping_add(s.value as usize)
                }
            };
            Ok((a, a))
        };

        for rel in sections.iter().filter(|s| s.kind == SHT_RELA) {
            let Some(&target_at) = place.get(&(rel.info as usize)) else {
                continue; // relocations of debug or other unloaded sections
            };
            let target_size = sections[rel.info as usize].size;
            let entsize = rel.entsize.max(24);
            for k in 0..rel.size / entsize {
                let at = add(rel.offset, mul(k, entsize)?)?;
                let offset = u64_at(object, at)? as usize;
                let info = u64_at(object, add(at, 8)?)?;
                let addend = u64_at(object, add(at, 16)?)? as i64;
                let (sym, kind) = ((info >> 32) as usize, info as u32);
                let width = match kind {
                    R_X86_64_NONE => 0,
                    R_X86_64_64 | R_X86_64_PC64 => 8,
                    _ => 4,
                };
                if offset
                    .checked_add(width)
                    .is_none_or(|end| end > target_size)
                {
                    return Err("relocation outside its section".into());
                }
                let p = base_addr.wrapping_add(target_at).wrapping_add(offset);
                let (s, real) = sym_addr(sym)?;
                let write32 = |mem: &mut [u8], v: i64| -> Result<(), String> {
                    let v32 = i32::try_from(v)
                        .map_err(|_| "relocation out of 32-bit range".to_string())?;
                    let o = target_at + offset;
                    mem.get_mut(o..o + 4)
                        .ok_or("relocation out of range")?
                        .copy_from_slice(&v32.to_le_bytes());
                    Ok(())
                };
                match kind {
                    R_X86_64_NONE => {}
                    R_X86_64_64 => {
                        let v = (real as i64).wrapping_add(addend) as u64;
                        let o = target_at + offset;
                        mem.get_mut(o..o + 8)
                            .ok_or("relocation out of range")?
                            .copy_from_slice(&v.to_le_bytes());
                    }
                    R_X86_64_PC64 => {
                        let v = (s as i64).wrapping_add(addend).wrapping_sub(p as i64) as u64;
                        let o = target_at + offset;
                        mem.get_mut(o..o + 8)
                            .ok_or("relocation out of range")?
                            .copy_from_slice(&v.to_le_bytes());
                    }
                    R_X86_64_PC32 | R_X86_64_PLT32 => {
                        write32(mem, (s as i64).wrapping_add(addend).wrapping_sub(p as i64))?;
                    }
                    R_X86_64_GOTPCREL | R_X86_64_GOTPCRELX | R_X86_64_REX_GOTPCRELX => {
                        let slot = got_at + 8 * sym;
                        let value = real as u64;
                        mem.get_mut(slot..slot + 8)
                            .ok_or("GOT out of range")?
                            .copy_from_slice(&value.to_le_bytes());
                        let at = base_addr.wrapping_add(slot) as i64;
                        write32(mem, at.wrapping_add(addend).wrapping_sub(p as i64))?;
                    }
                    other => return Err(format!("unsupported relocation type {other}")),
                }
            }
        }

        let entry_addr = symbols
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == entry && s.shndx != SHN_UNDEF)
            .map(|(i, _)| sym_addr(i))
            .ok_or_else(|| format!("the object does not define `{entry}`"))??
            .0;
        // SAFETY: the two ranges lie inside the mapping (page aligned).
        unsafe {
            if data_start > 0
                && libc::mprotect(base, data_start, libc::PROT_READ | libc::PROT_EXEC) != 0
            {
                return Err("cannot make the code executable".into());
            }
        }
        loaded.entry = entry_addr;
        Ok(loaded)
    }

    /// The entry's address.
    pub fn entry(&self) -> usize {
        self.entry
    }
}

impl Drop for LoadedElf {
    fn drop(&mut self) {
        if self.base.is_null() {
            return;
        }
        // SAFETY: the mapping was made by `load` with this length and no
        // code from it runs any more (we are dropping its only owner).
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}
