//! `tailor-exec`: the lean executor the engine starts to run variants (see
//! `tailor::sandbox::exec`). It must not link LLVM: its small resident set
//! is what makes forking it per execution cheap.

fn main() {
    std::process::exit(tailor::sandbox::exec::main());
}
