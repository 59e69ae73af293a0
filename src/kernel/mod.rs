//! Loading user code: `.ll` text, `.bc` bitcode, or `.c` through clang-19.
//!
//! A [`Kernel`] is the user's module as canonical IR text, its content hash,
//! the entry function's [`Signature`] and the functions it calls without
//! defining them. Loading parses and verifies the IR but never executes it.

mod admission;
mod signature;

pub use admission::{is_allowed_external, is_loadable_symbol};
pub use signature::{Param, ParamType, ReturnType, ScalarType, Signature};

use crate::llvm::{self, Callee};
use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::{Linkage, Module};
use inkwell::types::BasicTypeEnum;
use inkwell::values::{AnyValue, FunctionValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How the user's code arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Ll,
    Bc,
    C,
}

impl SourceKind {
    /// The format a file's extension names (`.ll`, `.bc`, `.c`).
    pub fn of(path: &Path) -> Result<SourceKind, KernelError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "ll" => Ok(SourceKind::Ll),
            "bc" => Ok(SourceKind::Bc),
            "c" => Ok(SourceKind::C),
            _ => Err(KernelError::UnknownKind {
                path: path.to_owned(),
                ext,
            }),
        }
    }
}

/// A function the kernel calls but does not define, and where it is called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct External {
    pub name: String,
    /// The defined function that calls it first.
    pub caller: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kernel {
    pub path: PathBuf,
    /// The file stem: `kernels/reduce.c` is `reduce`.
    pub name: String,
    pub source: SourceKind,
    /// The module as LLVM prints it, without the lines that name the file it
    /// came from, so the same code hashes the same wherever it lives.
    pub ir: String,
    /// Hex SHA-256 of `ir`.
    pub hash: String,
    pub signature: Signature,
    /// Functions the module defines, in module order.
    pub functions: Vec<String>,
    /// Functions called but not defined; all on the allow-list.
    pub externals: Vec<External>,
}

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("{path}: {problem}")]
    Io { path: PathBuf, problem: String },
    #[error(
        "{path}: kernels are .ll (IR text), .bc (bitcode) or .c (C through clang-19), not `{ext}`"
    )]
    UnknownKind { path: PathBuf, ext: String },
    #[error("{path}: clang-19 failed:\n{stderr}")]
    Clang { path: PathBuf, stderr: String },
    #[error("{path}: cannot run `{clang}` ({problem}); install clang-19 or set TAILOR_CLANG")]
    NoClang {
        path: PathBuf,
        clang: String,
        problem: String,
    },
    #[error("{path}: malformed IR: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: IR fails LLVM's verifier: {message}")]
    Verify { path: PathBuf, message: String },
    #[error("{path}: {problem}")]
    Entry { path: PathBuf, problem: String },
    #[error("{path}: entry `{entry}`: argument {index} (`{arg}`) has type {ty}; entry arguments must be pointers, i32, i64, float or double")]
    Argument {
        path: PathBuf,
        entry: String,
        index: usize,
        arg: String,
        ty: String,
    },
    #[error(
        "{path}: entry `{entry}` returns {ty}; a kernel returns void, i32, i64, float or double"
    )]
    Return {
        path: PathBuf,
        entry: String,
        ty: String,
    },
    #[error("{path}: function `{caller}` calls `{name}`, which the kernel does not define and which is not an allowed LLVM intrinsic or libm function")]
    Forbidden {
        path: PathBuf,
        name: String,
        caller: String,
    },
    #[error("{path}: function `{caller}` contains inline assembly, which kernels may not use")]
    InlineAsm { path: PathBuf, caller: String },
    #[error("{path}: the module contains module-level inline assembly, which kernels may not use")]
    ModuleAsm { path: PathBuf },
    #[error("{path}: function `{function}` has prefix or prologue data (bytes placed at its entry as machine code), which kernels may not use")]
    EntryData { path: PathBuf, function: String },
    #[error("{path}: the global `{name}` ({mib} MiB) takes the kernel's globals past {} MiB, the most a kernel may have", MAX_GLOBAL_BYTES >> 20)]
    GlobalsTooLarge {
        path: PathBuf,
        name: String,
        mib: u64,
    },
    #[error("{path}: the kernel refers to the global `{name}`, which it does not define; kernels may use only their own globals")]
    ExternalGlobal { path: PathBuf, name: String },
    #[error("{path}: function `{caller}` calls through a pointer that is not taken from a constant table of the kernel's own functions (`{call}`); such calls are refused")]
    IndirectCall {
        path: PathBuf,
        caller: String,
        call: String,
    },
}

impl Kernel {
    /// Loads, parses and verifies the user's code and checks its entry and
    /// calls. `entry` names the entry function; without it the module must
    /// define exactly one externally visible function.
    pub fn load(path: &Path, entry: Option<&str>) -> Result<Kernel, KernelError> {
        let source = SourceKind::of(path)?;
        let bytes = match source {
            SourceKind::C => compile_c(path)?,
            _ => std::fs::read(path).map_err(|e| KernelError::Io {
                path: path.to_owned(),
                problem: e.to_string(),
            })?,
        };
        Self::from_bytes(path, source, &bytes, entry)
    }

    /// Like [`Kernel::load`] for code already in memory (`.ll` text or `.bc`
    /// bitcode); `path` is used in messages and for the kernel's name.
    pub fn from_bytes(
        path: &Path,
        source: SourceKind,
        bytes: &[u8],
        entry: Option<&str>,
    ) -> Result<Kernel, KernelError> {
        let context = Context::create();
        let module = parse(&context, path, source, bytes)?;
        module.verify().map_err(|m| KernelError::Verify {
            path: path.to_owned(),
            message: m.to_string().trim().to_owned(),
        })?;
        let entry_fn = find_entry(&module, path, entry)?;
        let signature = signature_of(entry_fn, path)?;
        let functions: Vec<String> = module
            .get_functions()
            .filter(|f| f.count_basic_blocks() > 0)
            .map(|f| name_of(f))
            .collect();
        let externals = externals_of(&module, path)?;
        // Function tables are indexed only inside their bounds.
        llvm::guard_table_loads(&module).map_err(|m| KernelError::Verify {
            path: path.to_owned(),
            message: m,
        })?;
        let ir = canonical_ir(&module);
        let hash = hex(&Sha256::digest(ir.as_bytes()));
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("kernel")
            .to_owned();
        Ok(Kernel {
            path: path.to_owned(),
            name,
            source,
            ir,
            hash,
            signature,
            functions,
            externals,
        })
    }

    /// The first 12 hex digits of the hash, for people.
    pub fn short_hash(&self) -> &str {
        &self.hash[..12.min(self.hash.len())]
    }
}

/// The clang binary: `TAILOR_CLANG`, else `clang-19` on the PATH, else the
/// Debian location.
pub fn clang() -> String {
    if let Ok(c) = std::env::var("TAILOR_CLANG") {
        return c;
    }
    let debian = "/usr/lib/llvm-19/bin/clang";
    if Path::new(debian).exists() {
        return debian.to_owned();
    }
    "clang-19".to_owned()
}

/// C to unoptimized IR that keeps TBAA, loop metadata and value names, so the
/// pipeline (not clang) decides every optimization.
pub fn compile_c(path: &Path) -> Result<Vec<u8>, KernelError> {
    let source = std::fs::read(path).map_err(|e| KernelError::Io {
        path: path.to_owned(),
        problem: if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".to_owned()
        } else {
            e.to_string()
        },
    })?;
    compile_c_source(path, &source)
}

/// What clang may read, found once: its own installation (binary,
/// libraries, resource headers), the shared libraries, and the system
/// headers. Nothing else of the host.
struct ClangConfinement {
    rules: Result<crate::sandbox::landlock::Ruleset, String>,
    /// `-nostdinc` and the include folders given back explicitly.
    includes: Vec<String>,
}

fn clang_confinement(clang: &str) -> &'static ClangConfinement {
    static ONCE: std::sync::OnceLock<ClangConfinement> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        // Fixed arguments, no user input: asked unconfined.
        let resource = Command::new(clang)
            .arg("-print-resource-dir")
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        let which = Path::new(clang);
        let binary = if which.is_absolute() {
            Some(which.to_owned())
        } else {
            std::env::var_os("PATH").and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join(which))
                    .find(|c| c.is_file())
            })
        };
        // `<prefix>/bin/clang`: the whole installation under `<prefix>`.
        let prefix = binary
            .and_then(|b| b.canonicalize().ok())
            .and_then(|b| b.parent()?.parent().map(Path::to_owned));
        let mut read: Vec<PathBuf> = [
            "/usr/lib/x86_64-linux-gnu",
            "/lib64",
            "/usr/lib64",
            "/etc/ld.so.cache",
            "/usr/include",
            "/usr/lib/gcc",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        read.extend(prefix.clone());
        read.extend(resource.clone());
        let paths: Vec<&Path> = read.iter().map(PathBuf::as_path).collect();
        let rules = match prefix {
            Some(_) => crate::sandbox::landlock::Ruleset::read_only(&paths),
            None => Err(format!("cannot find where {clang} is installed")),
        };
        let mut includes = vec!["-nostdinc".to_owned()];
        let system = ["/usr/include/x86_64-linux-gnu", "/usr/include"];
        let dirs = resource
            .map(|r| r.join("include"))
            .into_iter()
            .chain(system.iter().map(PathBuf::from));
        for dir in dirs.filter(|d| d.is_dir()) {
            includes.push("-isystem".to_owned());
            includes.push(dir.display().to_string());
        }
        ClangConfinement { rules, includes }
    })
}

/// The most bytes a kernel's globals (constants and zero-initialized data)
/// may take together.
pub const MAX_GLOBAL_BYTES: u64 = 64 << 20;

/// The most IR text clang may write for one kernel.
const MAX_CLANG_OUTPUT: u64 = 256 << 20;

/// Reads a pipe to its end on its own thread (a full pipe would stall the
/// writer), keeping at most [`MAX_CLANG_OUTPUT`] + 1 bytes: the rest is
/// read and dropped, so the writer finishes.
fn drain_capped<R: std::io::Read + Send + 'static>(
    pipe: Option<R>,
) -> std::thread::JoinHandle<Vec<u8>> {
    use std::io::Read;
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = (&mut p).take(MAX_CLANG_OUTPUT + 1).read_to_end(&mut buf);
            let _ = std::io::copy(&mut p, &mut std::io::sink());
        }
        buf
    })
}

/// [`compile_c`] for C already in memory: clang reads it from a pipe, so no
/// user path ever reaches clang's command line (where it could be read as
/// an option). `path` names it in messages.
///
/// clang runs confined: under Landlock it can read its own installation,
/// the shared libraries and the system headers and nothing else, write no
/// file (and no crash reproducer), open no TCP connection and signal no
/// process outside; with `-nostdinc` and the include folders named, from
/// `/` as working directory, an empty environment, and limits on memory
/// (8 GiB of address space), CPU time and output. Where Landlock is missing
/// C is refused unless `TAILOR_UNCONFINED_CLANG=1` says otherwise.
pub fn compile_c_source(path: &Path, source: &[u8]) -> Result<Vec<u8>, KernelError> {
    use std::os::unix::process::CommandExt;
    let clang = clang();
    let confinement = clang_confinement(&clang);
    let rules = match &confinement.rules {
        Ok(r) => Some(r),
        Err(_) if std::env::var_os("TAILOR_UNCONFINED_CLANG").is_some_and(|v| v == "1") => None,
        Err(why) => {
            return Err(KernelError::Clang {
                path: path.to_owned(),
                stderr: format!(
                    "C is compiled only with clang confined to its own files, and {why} \
                     (compile the kernel to .ll elsewhere, or set TAILOR_UNCONFINED_CLANG=1)"
                ),
            })
        }
    };
    let mut command = Command::new(&clang);
    command
        .args([
            "-O2",
            "-Xclang",
            "-disable-llvm-passes",
            "-fno-discard-value-names",
            "-fno-crash-diagnostics",
            "-emit-llvm",
            "-S",
            "-o",
            "-",
        ])
        .args(&confinement.includes)
        .args(["-x", "c", "-"])
        .current_dir("/")
        .env_clear()
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let cpu = CLANG_DEADLINE.as_secs() + 5;
    // SAFETY: between fork and exec only async-signal-safe calls run
    // (setrlimit, prctl, landlock_restrict_self), on values made before
    // the fork.
    unsafe {
        command.pre_exec(move || {
            let limit = |resource, value: u64| {
                let l = libc::rlimit {
                    rlim_cur: value,
                    rlim_max: value,
                };
                libc::setrlimit(resource, &l)
            };
            limit(libc::RLIMIT_AS, 8 << 30);
            limit(libc::RLIMIT_CPU, cpu);
            limit(libc::RLIMIT_FSIZE, 0);
            limit(libc::RLIMIT_CORE, 0);
            if let Some(rules) = rules {
                rules
                    .restrict_self()
                    .map_err(std::io::Error::from_raw_os_error)?;
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| KernelError::NoClang {
        path: path.to_owned(),
        clang: clang.clone(),
        problem: e.to_string(),
    })?;
    // The source goes in from its own thread: clang may stop reading (an
    // early error) or fill its output pipe before it has read everything.
    let feed = child.stdin.take().map(|mut stdin| {
        let source = source.to_vec();
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&source);
        })
    });
    // Read both pipes while clang runs (a full pipe would stall it), and
    // give it a deadline: a C file can make a compiler wait forever
    // (`#include` of a FIFO).
    let stdout = drain_capped(child.stdout.take());
    let stderr = drain_capped(child.stderr.take());
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < CLANG_DEADLINE => {
                std::thread::sleep(std::time::Duration::from_millis(2))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(KernelError::Clang {
                    path: path.to_owned(),
                    stderr: format!(
                        "clang did not finish within {} s and was stopped",
                        CLANG_DEADLINE.as_secs()
                    ),
                });
            }
        }
    };
    if let Some(feed) = feed {
        let _ = feed.join();
    }
    let out = stdout.join().unwrap_or_default();
    let mut err = stderr.join().unwrap_or_default();
    // Messages are for people: a few KiB of them say what is wrong.
    err.truncate(16 << 10);
    if out.len() as u64 > MAX_CLANG_OUTPUT {
        return Err(KernelError::Clang {
            path: path.to_owned(),
            stderr: format!("clang's IR for it is over {} MiB", MAX_CLANG_OUTPUT >> 20),
        });
    }
    if !status.success() {
        // clang names its input `<stdin>`; the user knows it by its name.
        let name = path.display().to_string();
        let stderr = String::from_utf8_lossy(&err)
            .trim()
            .replace("<stdin>", &name);
        return Err(KernelError::Clang {
            path: path.to_owned(),
            stderr: if stderr.is_empty() {
                format!("clang exited with {status} and said nothing")
            } else {
                stderr
            },
        });
    }
    Ok(out)
}

/// How long clang may take on one kernel.
const CLANG_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

fn parse<'ctx>(
    context: &'ctx Context,
    path: &Path,
    source: SourceKind,
    bytes: &[u8],
) -> Result<Module<'ctx>, KernelError> {
    let name = path.display().to_string();
    let parse_error = |m: String| KernelError::Parse {
        path: path.to_owned(),
        message: m.trim().to_owned(),
    };
    match source {
        SourceKind::Bc => {
            let buffer = MemoryBuffer::create_from_memory_range_copy(bytes, &name);
            Module::parse_bitcode_from_buffer(&buffer, context)
                .map_err(|m| parse_error(m.to_string()))
        }
        SourceKind::Ll | SourceKind::C => {
            // The copy is NUL-terminated by LLVM, as its IR parser requires.
            let buffer = MemoryBuffer::create_from_memory_range_copy(bytes, &name);
            context
                .create_module_from_ir(buffer)
                .map_err(|m| parse_error(m.to_string()))
        }
    }
}

fn name_of(f: FunctionValue<'_>) -> String {
    f.get_name().to_string_lossy().into_owned()
}

fn is_exported(f: FunctionValue<'_>) -> bool {
    f.count_basic_blocks() > 0 && !matches!(f.get_linkage(), Linkage::Internal | Linkage::Private)
}

fn find_entry<'ctx>(
    module: &Module<'ctx>,
    path: &Path,
    entry: Option<&str>,
) -> Result<FunctionValue<'ctx>, KernelError> {
    let problem = |p: String| KernelError::Entry {
        path: path.to_owned(),
        problem: p,
    };
    let exported: Vec<FunctionValue<'ctx>> =
        module.get_functions().filter(|f| is_exported(*f)).collect();
    let names = || {
        exported
            .iter()
            .map(|f| format!("`{}`", name_of(*f)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match entry {
        Some(name) => match module.get_function(name) {
            Some(f) if is_exported(f) => Ok(f),
            Some(f) if f.count_basic_blocks() > 0 => Err(problem(format!(
                "entry `{name}` is internal to the module; the entry must be exported"
            ))),
            Some(_) => Err(problem(format!(
                "entry `{name}` is declared but not defined here"
            ))),
            None => Err(problem(format!(
                "no function `{name}` (the module defines {})",
                if exported.is_empty() {
                    "none".to_owned()
                } else {
                    names()
                }
            ))),
        },
        None => match exported.as_slice() {
            [f] => Ok(*f),
            [] => Err(problem(
                "the module defines no exported function".to_owned(),
            )),
            _ => Err(problem(format!(
                "the module exports {}; name the entry with `entry:`",
                names()
            ))),
        },
    }
}

fn scalar_type(ty: BasicTypeEnum<'_>) -> Option<ParamType> {
    match ty {
        BasicTypeEnum::PointerType(_) => Some(ParamType::Ptr),
        BasicTypeEnum::IntType(t) => match t.get_bit_width() {
            32 => Some(ParamType::Scalar(ScalarType::I32)),
            64 => Some(ParamType::Scalar(ScalarType::I64)),
            _ => None,
        },
        BasicTypeEnum::FloatType(t) => {
            let printed = t.print_to_string().to_string();
            match printed.as_str() {
                "float" => Some(ParamType::Scalar(ScalarType::F32)),
                "double" => Some(ParamType::Scalar(ScalarType::F64)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn signature_of(f: FunctionValue<'_>, path: &Path) -> Result<Signature, KernelError> {
    let entry = name_of(f);
    let fn_type = f.get_type();
    let mut params = Vec::new();
    for (index, param) in f.get_param_iter().enumerate() {
        let name = param.get_name().to_string_lossy().into_owned();
        let ty = param.get_type();
        let Some(pt) = scalar_type(ty) else {
            return Err(KernelError::Argument {
                path: path.to_owned(),
                entry,
                index,
                arg: if name.is_empty() {
                    format!("#{index}")
                } else {
                    name
                },
                ty: ty.print_to_string().to_string(),
            });
        };
        params.push(Param {
            name: (!name.is_empty()).then_some(name),
            ty: pt,
        });
    }
    if fn_type.is_var_arg() {
        return Err(KernelError::Entry {
            path: path.to_owned(),
            problem: format!("entry `{entry}` is variadic; a kernel takes a fixed argument list"),
        });
    }
    let ret = match fn_type.get_return_type() {
        None => ReturnType::Void,
        Some(t) => match scalar_type(t) {
            Some(ParamType::Scalar(s)) => ReturnType::Scalar(s),
            _ => {
                return Err(KernelError::Return {
                    path: path.to_owned(),
                    entry,
                    ty: t.print_to_string().to_string(),
                })
            }
        },
    };
    Ok(Signature { entry, params, ret })
}

/// Every function called (or referenced) without a definition, checked
/// against the allow-list; inline assembly is refused outright.
fn externals_of(module: &Module<'_>, path: &Path) -> Result<Vec<External>, KernelError> {
    // Module-level assembly can define any symbol, an allow-listed name
    // included, as raw machine code.
    if !llvm::module_asm(module).trim().is_empty() {
        return Err(KernelError::ModuleAsm {
            path: path.to_owned(),
        });
    }
    // Prefix and prologue data are raw bytes LLVM lays down at a
    // function's entry: machine code of the kernel's choosing.
    if let Some(f) = module.get_functions().find(|f| llvm::has_entry_data(*f)) {
        return Err(KernelError::EntryData {
            path: path.to_owned(),
            function: name_of(f),
        });
    }
    // A declared global would resolve to the host process's data.
    if let Some(g) = module.get_globals().find(|g| g.get_initializer().is_none()) {
        return Err(KernelError::ExternalGlobal {
            path: path.to_owned(),
            name: g.get_name().to_string_lossy().into_owned(),
        });
    }
    // Globals become object code and memory in every process that loads
    // the variant: a few hundred bytes of IR may declare gigabytes.
    let layout =
        inkwell::targets::TargetData::create(&module.get_data_layout().as_str().to_string_lossy());
    let mut total = 0u64;
    for g in module.get_globals() {
        let bytes = layout.get_abi_size(&g.get_value_type());
        total = total.saturating_add(bytes);
        if total > MAX_GLOBAL_BYTES {
            return Err(KernelError::GlobalsTooLarge {
                path: path.to_owned(),
                name: g.get_name().to_string_lossy().into_owned(),
                mib: bytes.div_ceil(1 << 20),
            });
        }
    }
    let mut externals: Vec<External> = Vec::new();
    for f in module
        .get_functions()
        .filter(|f| f.count_basic_blocks() > 0)
    {
        let caller = name_of(f);
        for block in f.get_basic_block_iter() {
            for inst in block.get_instructions() {
                match llvm::callee(inst) {
                    Some(Callee::InlineAsm) => {
                        return Err(KernelError::InlineAsm {
                            path: path.to_owned(),
                            caller,
                        })
                    }
                    Some(Callee::Direct(name)) => {
                        let defined = module
                            .get_function(&name)
                            .is_some_and(|g| g.count_basic_blocks() > 0);
                        if !defined && !externals.iter().any(|e| e.name == name) {
                            externals.push(External {
                                name,
                                caller: caller.clone(),
                            });
                        }
                    }
                    Some(Callee::Indirect) if !admissible_callee(module, inst) => {
                        return Err(KernelError::IndirectCall {
                            path: path.to_owned(),
                            caller,
                            call: inst.print_to_string().to_string().trim().to_owned(),
                        });
                    }
                    Some(Callee::Indirect) => {}
                    None => {}
                }
            }
        }
    }
    // A declaration referenced other than by a direct call (stored in a
    // table, passed as a callback) is an external all the same.
    for f in module
        .get_functions()
        .filter(|f| f.count_basic_blocks() == 0)
    {
        let name = name_of(f);
        if !externals.iter().any(|e| e.name == name) {
            externals.push(External {
                name,
                caller: "(referenced)".to_owned(),
            });
        }
    }
    if let Some(bad) = externals.iter().find(|e| !is_allowed_external(&e.name)) {
        return Err(KernelError::Forbidden {
            path: path.to_owned(),
            name: bad.name.clone(),
            caller: bad.caller.clone(),
        });
    }
    Ok(externals)
}

/// Whether every function an indirect call can reach is one the kernel
/// defines: the callee must be loaded from a constant table of the
/// kernel's own functions, directly or through locals, phis and selects of
/// such loads. A pointer made from an integer, passed in, or loaded from
/// anything else (input data) is refused.
fn admissible_callee<'ctx>(
    module: &Module<'ctx>,
    call: inkwell::values::InstructionValue<'ctx>,
) -> bool {
    use inkwell::values::{AsValueRef, BasicValueEnum, InstructionOpcode, Operand};
    let n = call.get_num_operands();
    let Some(Operand::Value(callee)) = call.get_operand(n.saturating_sub(1)) else {
        return false;
    };
    fn inst_of(v: BasicValueEnum<'_>) -> Option<inkwell::values::InstructionValue<'_>> {
        match v {
            BasicValueEnum::PointerValue(p) => p.as_instruction(),
            _ => None,
        }
    }
    fn own_table<'ctx>(module: &Module<'ctx>, addr: BasicValueEnum<'ctx>) -> bool {
        let BasicValueEnum::PointerValue(addr) = addr else {
            return false;
        };
        llvm::table_at(module, addr).is_some_and(|fs| fs.iter().all(|f| f.count_basic_blocks() > 0))
    }
    fn ok<'ctx>(module: &Module<'ctx>, v: BasicValueEnum<'ctx>, depth: u32) -> bool {
        if depth > 8 {
            return false;
        }
        if let BasicValueEnum::PointerValue(p) = v {
            // A direct reference to one of the kernel's own functions.
            if let Some(f) = module
                .get_functions()
                .find(|f| f.as_global_value().as_pointer_value() == p)
            {
                return f.count_basic_blocks() > 0;
            }
        }
        let Some(inst) = inst_of(v) else {
            return false;
        };
        let operand = |i: u32| match inst.get_operand(i) {
            Some(Operand::Value(v)) => Some(v),
            _ => None,
        };
        match inst.get_opcode() {
            InstructionOpcode::Load => {
                let Some(addr) = operand(0) else { return false };
                if own_table(module, addr) {
                    return true;
                }
                // A local slot: every value stored to it must be admissible,
                // and it must not escape.
                let Some(slot) =
                    inst_of(addr).filter(|a| a.get_opcode() == InstructionOpcode::Alloca)
                else {
                    return false;
                };
                let mut u = slot.get_first_use();
                let mut stores = 0;
                while let Some(x) = u {
                    let user = match x.get_user() {
                        inkwell::values::AnyValueEnum::InstructionValue(i) => Some(i),
                        other => BasicValueEnum::try_from(other)
                            .ok()
                            .and_then(|b| inkwell::values::BasicValue::as_instruction_value(&b)),
                    };
                    let Some(user) = user else {
                        return false;
                    };
                    match user.get_opcode() {
                        InstructionOpcode::Load => {}
                        InstructionOpcode::Store => {
                            // The slot must be the address, not the stored value.
                            let stored = match user.get_operand(0) {
                                Some(Operand::Value(v)) => v,
                                _ => return false,
                            };
                            if stored.as_value_ref() == slot.as_value_ref()
                                || !ok(module, stored, depth + 1)
                            {
                                return false;
                            }
                            stores += 1;
                        }
                        InstructionOpcode::Call => {
                            // lifetime markers only
                            if !matches!(crate::llvm::callee(user), Some(crate::llvm::Callee::Direct(ref n)) if n.starts_with("llvm.lifetime"))
                            {
                                return false;
                            }
                        }
                        _ => return false,
                    }
                    u = x.get_next_use();
                }
                stores > 0
            }
            InstructionOpcode::Phi => (0..inst.get_num_operands())
                .all(|i| operand(i).is_some_and(|v| ok(module, v, depth + 1))),
            InstructionOpcode::Select => [1, 2]
                .iter()
                .all(|&i| operand(i).is_some_and(|v| ok(module, v, depth + 1))),
            _ => false,
        }
    }
    ok(module, callee, 0)
}

/// The module printed by LLVM without `; ModuleID` and `source_filename`,
/// which name the file rather than the code.
fn canonical_ir(module: &Module<'_>) -> String {
    let text = module.print_to_string().to_string();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line.starts_with("; ModuleID") || line.starts_with("source_filename") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
