use super::elf::LoadedElf;
use super::*;
use crate::engine;
use crate::transform::codegen::CALL_SYMBOL;
use std::path::Path;

/// Builds a shipped input's variant and generic object code.
fn objects(input: &str) -> (engine::Prepared, Vec<(Variant, ReturnType)>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let store = engine::load_store(&root.join("profiles"));
    let host = crate::transform::codegen::host().expect("host");
    // Shipped kernels, parsed here: these tests check the loader itself.
    let spec = crate::input::InputSpec::load(&root.join(input)).expect("spec");
    let kernel = std::sync::Arc::new(
        crate::kernel::Kernel::load(&spec.kernel, spec.entry.as_deref()).expect("kernel"),
    );
    let data = std::sync::Arc::new(spec.materialize(&kernel.signature).expect("input"));
    let p = engine::Prepared {
        vector: crate::analyze::analyze(&data),
        spec,
        kernel,
        input: data,
        analysis_micros: 0,
    };
    let d = engine::decide(&store, &p);
    let plans = [
        crate::profile::plan(&store.generic(), &p.vector, &p.kernel_info()).expect("plan"),
        d.plan.expect("plan"),
    ];
    let mut out = Vec::new();
    for plan in plans {
        let b = crate::transform::build(
            &p.kernel.ir,
            &p.kernel.signature.entry,
            &plan,
            &host,
            &mut |_| {},
        )
        .expect("build");
        let v = Variant::from_build(b, &p.kernel, &plan, crate::cache::Verification::Reference);
        out.push((v, p.kernel.signature.ret));
    }
    (p, out)
}

#[test]
fn the_elf_loader_runs_variants_like_orc_does() {
    for input in [
        "sample-inputs/sum-small.yaml",
        "sample-inputs/reduce-max.yaml",
        "sample-inputs/poly-small.yaml",
        "sample-inputs/histogram-pixels.yaml",
        "sample-inputs/matmul-small.yaml",
    ] {
        let (p, variants) = objects(input);
        for (v, ret) in variants {
            let mut a = (*p.input).clone();
            let want = InProcess::default().execute(&v, &mut a, ret);
            let loaded = LoadedElf::load(&v.object, CALL_SYMBOL, &resolve_loadable).expect("load");
            let mut b = (*p.input).clone();
            let args = slots(&mut b);
            let mut bits = 0u64;
            // SAFETY: the object is tailor's codegen of a shipped kernel; the
            // argument slots point into `b`'s live buffers.
            unsafe {
                let f: unsafe extern "C" fn(*const u64, *mut u64) =
                    std::mem::transmute(loaded.entry());
                f(args.as_ptr(), &mut bits);
            }
            assert_eq!(result(ret, bits), want.ret, "{input} {}", v.plan.profile);
            for (x, y) in a.args.iter().zip(&b.args) {
                assert_eq!(x.value, y.value, "{input}: argument {}", x.name);
            }
        }
    }
}

#[test]
fn the_elf_loader_refuses_what_is_not_an_object_or_not_allowed() {
    assert!(LoadedElf::load(b"nope", CALL_SYMBOL, &resolve_loadable).is_err());
    let (_, variants) = objects("sample-inputs/sum-small.yaml");
    let obj = &variants[0].0.object;
    assert!(LoadedElf::load(&obj[..obj.len() / 2], CALL_SYMBOL, &resolve_loadable).is_err());
    let err = LoadedElf::load(obj, "no_such_symbol", &resolve_loadable)
        .err()
        .expect("refused");
    assert!(err.contains("no_such_symbol"), "{err}");
    assert!(resolve_loadable("sin").is_some());
    assert!(resolve_loadable("system").is_none());
    assert!(resolve_loadable("open").is_none());
}

/// Inputs the fuzz targets found (`fuzz/regressions/elf-*`): each is
/// refused with an error, never a panic (an overflowing section table
/// offset once panicked with debug assertions, and wrapped without).
#[test]
fn the_elf_loader_refuses_what_the_fuzzer_found() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !name.starts_with("elf-") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            LoadedElf::load(&bytes, CALL_SYMBOL, &resolve_loadable).is_err(),
            "{name} loaded"
        );
        seen += 1;
    }
    assert!(seen > 0);
}
