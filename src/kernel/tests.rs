use super::*;
use std::io::Write;

const SUM: &str = r#"
define double @sum(ptr %a, i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %s = phi double [ 0.0, %entry ], [ %s1, %loop ]
  %p = getelementptr double, ptr %a, i64 %i
  %x = load double, ptr %p
  %e = call double @llvm.fabs.f64(double %x)
  %s1 = fadd double %s, %e
  %i1 = add i64 %i, 1
  %c = icmp slt i64 %i1, %n
  br i1 %c, label %loop, label %done
done:
  ret double %s1
}
declare double @llvm.fabs.f64(double)
"#;

fn ll(text: &str) -> Result<Kernel, KernelError> {
    Kernel::from_bytes(Path::new("k.ll"), SourceKind::Ll, text.as_bytes(), None)
}

#[test]
fn reads_the_entry_signature_with_names() {
    let k = ll(SUM).expect("valid kernel");
    assert_eq!(k.signature.entry, "sum");
    assert_eq!(k.signature.ret, ReturnType::Scalar(ScalarType::F64));
    assert_eq!(
        k.signature.params,
        vec![
            Param {
                name: Some("a".into()),
                ty: ParamType::Ptr
            },
            Param {
                name: Some("n".into()),
                ty: ParamType::Scalar(ScalarType::I64)
            },
        ]
    );
    assert_eq!(k.externals.len(), 1);
    assert_eq!(k.externals[0].name, "llvm.fabs.f64");
    assert_eq!(k.hash.len(), 64);
}

#[test]
fn malformed_ir_is_a_parse_error_with_the_line() {
    let err = ll("define i32 @f( {\n").unwrap_err();
    assert!(matches!(err, KernelError::Parse { .. }), "{err}");
    assert!(err.to_string().starts_with("k.ll: malformed IR"), "{err}");
    assert!(err.to_string().contains(":1:"), "{err}");
}

#[test]
fn ir_failing_the_verifier_is_refused() {
    // The block has no terminator.
    let err = ll("define i32 @f(i32 %x) {\nentry:\n  %y = add i32 %x, 1\n}\n").unwrap_err();
    // LLVM's parser catches some of these itself; either way it is refused
    // with a message, never loaded.
    assert!(
        matches!(err, KernelError::Verify { .. } | KernelError::Parse { .. }),
        "{err}"
    );
    let err = ll("define i32 @f(i32 %x) {\nentry:\n  ret i32 %y\nb:\n  %y = add i32 %x, 1\n  ret i32 %y\n}\n")
        .unwrap_err();
    assert!(matches!(err, KernelError::Verify { .. }), "{err}");
    assert!(err.to_string().contains("verifier"), "{err}");
}

#[test]
fn an_argument_outside_the_design_is_named() {
    let err = ll("define i32 @f(ptr %a, i8 %flag) {\n  ret i32 0\n}\n").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("argument 1 (`flag`) has type i8"), "{msg}");
    let err =
        ll("define <4 x float> @f(ptr %a) {\n  ret <4 x float> zeroinitializer\n}\n").unwrap_err();
    assert!(err.to_string().contains("returns <4 x float>"), "{err}");
}

#[test]
fn a_call_outside_the_allow_list_is_refused_with_its_caller() {
    let text = "declare i32 @system(ptr)\n@cmd = constant [3 x i8] c\"ls\\00\"\n\
                define i32 @f() {\n  %r = call i32 @system(ptr @cmd)\n  ret i32 %r\n}\n";
    let err = ll(text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "k.ll: function `f` calls `system`, which the kernel does not define and which is not an allowed LLVM intrinsic or libm function"
    );
}

#[test]
fn a_declared_function_stored_in_a_table_is_checked_too() {
    let text = "declare i32 @open(ptr, i32)\n@t = constant [1 x ptr] [ptr @open]\n\
                define i32 @f() {\n  ret i32 0\n}\n";
    let err = ll(text).unwrap_err();
    assert!(err.to_string().contains("calls `open`"), "{err}");
}

#[test]
fn inline_assembly_is_refused() {
    let text = "define i64 @f() {\n  %r = call i64 asm sideeffect \"syscall\", \"={ax}\"()\n  ret i64 %r\n}\n";
    let err = ll(text).unwrap_err();
    assert!(matches!(err, KernelError::InlineAsm { .. }), "{err}");
}

#[test]
fn the_entry_must_be_unique_or_named() {
    let two = "define i32 @f() {\n  ret i32 0\n}\ndefine i32 @g() {\n  ret i32 1\n}\n";
    let err = ll(two).unwrap_err();
    assert!(
        err.to_string().contains("exports `f`, `g`; name the entry"),
        "{err}"
    );
    let k = Kernel::from_bytes(Path::new("k.ll"), SourceKind::Ll, two.as_bytes(), Some("g"))
        .expect("named entry");
    assert_eq!(k.signature.entry, "g");
    let err = Kernel::from_bytes(Path::new("k.ll"), SourceKind::Ll, two.as_bytes(), Some("h"))
        .unwrap_err();
    assert!(err.to_string().contains("no function `h`"), "{err}");
}

#[test]
fn bitcode_and_text_of_the_same_code_hash_alike() {
    let text = ll(SUM).expect("text");
    let context = Context::create();
    let module = parse(&context, Path::new("k.ll"), SourceKind::Ll, SUM.as_bytes()).expect("parse");
    let bc = module.write_bitcode_to_memory();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sum.bc");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bc.as_slice()))
        .expect("write");
    let from_bc = Kernel::load(&path, None).expect("bitcode");
    assert_eq!(from_bc.source, SourceKind::Bc);
    assert_eq!(from_bc.hash, text.hash);
    // A different constant is different code.
    let other = ll(&SUM.replace("0.0", "1.0")).expect("other");
    assert_ne!(other.hash, text.hash);
}

#[test]
fn c_goes_through_clang_and_keeps_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("scale.c");
    std::fs::write(
        &path,
        "void scale(double *x, long n, double f) { for (long i = 0; i < n; i++) x[i] *= f; }\n",
    )
    .expect("write");
    let k = Kernel::load(&path, None).expect("C kernel");
    assert_eq!(k.source, SourceKind::C);
    assert_eq!(k.name, "scale");
    let names: Vec<_> = k.signature.params.iter().map(|p| p.name.clone()).collect();
    assert_eq!(
        names,
        vec![Some("x".into()), Some("n".into()), Some("f".into())]
    );
    // Unoptimized: the loop metadata and TBAA are still there.
    assert!(k.ir.contains("!tbaa"), "TBAA kept");
    assert!(k.ir.contains("llvm.loop"), "loop metadata kept");
}

#[test]
fn c_that_does_not_compile_shows_clang_s_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.c");
    std::fs::write(&path, "int f( { return 0; }\n").expect("write");
    let err = Kernel::load(&path, None).unwrap_err();
    assert!(matches!(err, KernelError::Clang { .. }), "{err}");
    assert!(err.to_string().contains("bad.c:1:"), "{err}");
}

#[test]
fn missing_file_and_unknown_kind() {
    let err = Kernel::load(Path::new("/nonexistent/k.ll"), None).unwrap_err();
    assert!(err.to_string().starts_with("/nonexistent/k.ll: "), "{err}");
    let err = Kernel::load(Path::new("k.py"), None).unwrap_err();
    assert!(matches!(err, KernelError::UnknownKind { .. }), "{err}");
}

#[test]
fn an_internal_entry_is_refused() {
    let text = "define internal double @k(double %x) {\n  ret double %x\n}\ndefine double @other(double %x) {\n  ret double %x\n}\n";
    let err = Kernel::from_bytes(
        Path::new("k.ll"),
        SourceKind::Ll,
        text.as_bytes(),
        Some("k"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("entry `k` is internal"), "{err}");
}

const TABLE: &str = r#"
define internal double @add(double %x, double %y) {
  %r = fadd double %x, %y
  ret double %r
}
define internal double @mul(double %x, double %y) {
  %r = fmul double %x, %y
  ret double %r
}
@ops = internal constant [2 x ptr] [ptr @add, ptr @mul]
"#;

#[test]
fn a_call_through_a_constant_table_of_own_functions_is_admitted() {
    let text = format!(
        "{TABLE}define double @k(double %x, i64 %op) {{\n  %p = getelementptr [2 x ptr], ptr @ops, i64 0, i64 %op\n  %f = load ptr, ptr %p\n  %r = call double %f(double %x, double %x)\n  ret double %r\n}}\n"
    );
    ll(&text).expect("admitted");
    // Through a local slot, as clang emits it before optimization.
    let text = format!(
        "{TABLE}define double @k(double %x, i64 %op) {{\n  %slot = alloca ptr\n  %p = getelementptr [2 x ptr], ptr @ops, i64 0, i64 %op\n  %f = load ptr, ptr %p\n  store ptr %f, ptr %slot\n  %g = load ptr, ptr %slot\n  %r = call double %g(double %x, double %x)\n  ret double %r\n}}\n"
    );
    ll(&text).expect("admitted through an alloca");
}

#[test]
fn a_call_through_a_pointer_from_an_integer_or_input_data_is_refused() {
    let text = format!(
        "{TABLE}define double @k(double %x, i64 %addr) {{\n  %f = inttoptr i64 %addr to ptr\n  %r = call double %f(double %x, double %x)\n  ret double %r\n}}\n"
    );
    let err = ll(&text).unwrap_err();
    assert!(matches!(err, KernelError::IndirectCall { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("function `k` calls through a pointer"),
        "{err}"
    );
    let text = format!(
        "{TABLE}define double @k(double %x, ptr %data) {{\n  %f = load ptr, ptr %data\n  %r = call double %f(double %x, double %x)\n  ret double %r\n}}\n"
    );
    let err = ll(&text).unwrap_err();
    assert!(matches!(err, KernelError::IndirectCall { .. }), "{err}");
    // A table that holds a function the kernel does not define.
    let text = "declare double @ext(double, double)\n@t = internal constant [1 x ptr] [ptr @ext]\n\
                define double @k(double %x) {\n  %f = load ptr, ptr @t\n  %r = call double %f(double %x, double %x)\n  ret double %r\n}\n";
    assert!(ll(text).is_err());
}

#[test]
fn module_assembly_and_external_globals_are_refused() {
    let text = "module asm \".globl tgamma\"\nmodule asm \"tgamma: ret\"\ndefine i32 @f() {\n  ret i32 0\n}\n";
    let err = ll(text).unwrap_err();
    assert!(matches!(err, KernelError::ModuleAsm { .. }), "{err}");
    let text = "@__environ = external global ptr\ndefine i64 @f() {\n  %e = load i64, ptr @__environ\n  ret i64 %e\n}\n";
    let err = ll(text).unwrap_err();
    assert!(
        err.to_string().contains("refers to the global `__environ`"),
        "{err}"
    );
}
