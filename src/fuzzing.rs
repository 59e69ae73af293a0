//! Entry points for the fuzz targets (`fuzz/`, behind the `fuzzing`
//! feature): each takes arbitrary bytes to one of the readers that meet
//! untrusted input, and must return (an error is fine), never panic, hang
//! or allocate without bound.

use crate::kernel::ScalarType;
use std::path::Path;

const TYPES: [ScalarType; 4] = [
    ScalarType::F64,
    ScalarType::F32,
    ScalarType::I64,
    ScalarType::I32,
];

/// The `.npy` reader, as every element type.
pub fn npy(bytes: &[u8]) {
    for t in TYPES {
        let _ = crate::input::files::parse_npy(bytes, t);
    }
}

/// The `.csv` reader, as every element type.
pub fn csv(bytes: &[u8]) {
    for t in TYPES {
        let _ = crate::input::files::parse_csv(bytes, t);
    }
}

/// A profile's text, parsed and validated (no pass-pipeline check: that
/// runs in a worker).
pub fn profile(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = crate::profile::Profile::parse(Path::new("fuzz.yaml"), text, None);
    }
}

/// An input spec, parsed, then materialized against a signature of two
/// arrays and two scalars when its numbers stay small (a spec may ask for
/// gigabytes by design; that is the caps' business, tested elsewhere).
pub fn input_spec(bytes: &[u8]) {
    use crate::kernel::{Param, ParamType, ReturnType, Signature};
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(spec) = crate::input::InputSpec::parse(Path::new("/nonexistent/fuzz.yaml"), text) else {
        return;
    };
    let long_number = text
        .split(|c: char| !c.is_ascii_digit())
        .any(|run| run.len() > 4);
    let b = text.as_bytes();
    let exponent = b.windows(3).any(|w| {
        w[0].is_ascii_digit()
            && (w[1] == b'e' || w[1] == b'E')
            && (w[2].is_ascii_digit() || w[2] == b'+' || w[2] == b'-')
    });
    if long_number || exponent {
        return;
    }
    let param = |name: &str, ty| Param {
        name: Some(name.to_owned()),
        ty,
    };
    let sig = Signature {
        entry: "k".into(),
        params: vec![
            param("a", ParamType::Ptr),
            param("b", ParamType::Ptr),
            param("n", ParamType::Scalar(ScalarType::I64)),
            param("x", ParamType::Scalar(ScalarType::F64)),
        ],
        ret: ReturnType::Void,
    };
    let _ = spec.materialize(&sig);
}

/// The wire protocol's framing and every message type, as the engine,
/// a worker and an executor read them.
pub fn wire(bytes: &[u8]) {
    use crate::sandbox::proto::{ExecReply, ExecRequest};
    use crate::sandbox::wire::recv;
    use crate::sandbox::worker::{WorkerReply, WorkerRequest};
    const LIMIT: u64 = 1 << 20;
    let _ = recv::<_, ExecRequest>(&mut &bytes[..], LIMIT);
    let _ = recv::<_, ExecReply>(&mut &bytes[..], LIMIT);
    let _ = recv::<_, WorkerRequest>(&mut &bytes[..], LIMIT);
    let _ = recv::<_, WorkerReply>(&mut &bytes[..], LIMIT);
}

/// The ELF loader on an object (no code runs: loading maps and relocates).
pub fn elf(bytes: &[u8]) {
    let _ = crate::sandbox::elf::LoadedElf::load(
        bytes,
        crate::transform::codegen::CALL_SYMBOL,
        &crate::sandbox::resolve_loadable,
    );
}

/// The disk tier's decoder on a file of these bytes.
pub fn cache_file(bytes: &[u8]) {
    let Ok(dir) = tempfile_dir() else { return };
    let key = crate::cache::VariantKey("f".repeat(64));
    let path = dir.join(format!("{}.variant", key.0));
    if std::fs::write(&path, bytes).is_ok() {
        let _ = crate::cache::disk::read_meta(&dir, &key, None);
        let _ = crate::cache::disk::read_variant(&dir, &key, None);
    }
    // As a fleet value, checked under a fleet key (the MAC fails first for
    // almost every input) and without one.
    let fleet = crate::cache::FleetKey::new("the fuzzer's fleet key").ok();
    let _ = crate::cache::disk::decode(bytes, &key, fleet.as_ref());
    let _ = crate::cache::disk::decode(bytes, &key, None);
    let _ = std::fs::remove_file(&path);
}

/// One folder per process for `cache_file`.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("tailor-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The IR loader (parse, verify, admission, guards) on `.ll` text or `.bc`
/// bitcode, in a forked child: LLVM aborts on some inputs by design (that
/// is why the engine parses IR only in workers). A Rust panic in our own
/// code (exit status 101) is the failure this target looks for; the
/// child's signals are LLVM's.
pub fn ir(bytes: &[u8]) {
    use crate::kernel::{Kernel, SourceKind};
    let kind = if bytes.starts_with(b"BC") {
        SourceKind::Bc
    } else {
        SourceKind::Ll
    };
    // In-process, libFuzzer sees the loader's coverage (a forked child's
    // counters never reach it): for long runs under `-fork=N
    // -ignore_crashes=1`, where an LLVM abort is a saved artifact to read,
    // not the end of the run.
    if std::env::var_os("TAILOR_FUZZ_IR_IN_PROCESS").is_some() {
        let _ = Kernel::from_bytes(Path::new("fuzz.ll"), kind, bytes, None);
        return;
    }
    // SAFETY: the child runs the loader and exits; the parent only waits.
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            let r = std::panic::catch_unwind(|| {
                let _ = Kernel::from_bytes(Path::new("fuzz.ll"), kind, bytes, None);
            });
            libc::_exit(if r.is_ok() { 0 } else { 101 });
        }
        if pid < 0 {
            return;
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 101 {
            panic!("the IR loader panicked");
        }
    }
}
