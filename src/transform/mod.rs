//! The Dynamic Code Transformation Engine: a kernel's IR and a [`Plan`]
//! become optimized IR, a step log and relocatable object code.
//!
//! The runner parses the IR into a fresh LLVM context, retargets it (triple,
//! data layout, `target-cpu`/`target-features` on every function), runs a
//! fixed `prepare` step (SSA form and rotated loops, which every transform
//! expects), each planned step, and the profile's `finish` pipeline,
//! verifying the module after each. One file per transform; [`run_step`] is
//! the registry.

pub mod codegen;
mod dce;
mod inline_cache;
pub mod ir;
mod layout;
pub mod log;
mod passes;
mod specialize;
mod unroll;
mod vectorize;

use crate::profile::{Plan, Step};
use crate::target::Target;
use inkwell::attributes::AttributeLoc;
use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::TargetMachine;
use inkwell::values::FunctionValue;
use log::StepRecord;
use std::time::Instant;

/// What every Plan starts from: SSA form, folded, loops rotated.
pub const PREPARE: &str = "function(sroa,early-cse,instcombine,simplifycfg,loop(loop-rotate))";

#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum TransformError {
    #[error("malformed IR: {0}")]
    Parse(String),
    #[error("the module has no function `{0}`")]
    NoEntry(String),
    #[error("step `{node}` ({transform}): {message}")]
    Step {
        node: String,
        transform: String,
        message: String,
    },
    #[error("after step `{node}` the IR fails LLVM's verifier: {message}")]
    Verify { node: String, message: String },
    #[error("codegen: {0}")]
    Codegen(String),
}

/// The output of the pipeline for one Plan.
#[derive(Debug, Clone)]
pub struct Built {
    pub target: Target,
    pub optimized_ir: String,
    /// Per parameter, whether the code may write through it.
    pub writes: Vec<bool>,
    pub steps: Vec<StepRecord>,
    pub object: Vec<u8>,
    pub transform_micros: u64,
    pub codegen_micros: u64,
}

/// What a transform works on.
pub struct Cx<'ctx> {
    pub context: &'ctx Context,
    diagnostics: &'ctx crate::llvm::Diagnostics,
    pub module: Module<'ctx>,
    entry: String,
    machine: TargetMachine,
}

impl<'ctx> Cx<'ctx> {
    pub fn entry(&self) -> Result<FunctionValue<'ctx>, String> {
        self.module
            .get_function(&self.entry)
            .ok_or_else(|| format!("the entry `{}` is gone", self.entry))
    }

    /// Runs a new-pass-manager pipeline with the vectorizers and unroller
    /// enabled, as clang does at -O2 and above.
    pub fn run_passes(&self, pipeline: &str) -> Result<(), String> {
        crate::llvm::set_options();
        let pipeline = &normalize_pipeline(pipeline);
        let options = PassBuilderOptions::create();
        options.set_loop_vectorization(true);
        options.set_loop_slp_vectorization(true);
        options.set_loop_interleaving(true);
        options.set_loop_unrolling(true);
        self.module
            .run_passes(pipeline, &self.machine, options)
            .map_err(|e| format!("`{pipeline}`: {e}"))
    }
}

/// LLVM 19 parses a bare `instcombine` as `instcombine<verify-fixpoint>`,
/// which aborts the process (a fatal error, not an `Err`) when one
/// iteration does not reach a fixpoint: a check for LLVM's own tests. Every
/// bare `instcombine` runs without it.
pub fn normalize_pipeline(pipeline: &str) -> String {
    let mut out = String::with_capacity(pipeline.len());
    let mut rest = pipeline;
    while let Some(i) = rest.find("instcombine") {
        let end = i + "instcombine".len();
        let before_ok = i == 0
            || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b'-';
        let after = rest[end..].chars().next();
        let bare = before_ok
            && !matches!(after, Some(c) if c == '<' || c.is_ascii_alphanumeric() || c == '-');
        out.push_str(&rest[..end]);
        if bare {
            out.push_str("<no-verify-fixpoint>");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The registry: one arm per transform.
fn run_step(cx: &mut Cx<'_>, step: &Step) -> Result<String, String> {
    match step {
        Step::Specialize { bind } => specialize::apply(cx, bind),
        Step::Unroll { count, full } => unroll::apply(cx, *count, *full),
        Step::Vectorize {
            width,
            interleave,
            reassoc,
            defer,
            ..
        } => vectorize::apply(cx, *width, *interleave, *reassoc, *defer),
        Step::InlineCache { index, max_targets } => inline_cache::apply(cx, *index, *max_targets),
        Step::Layout {
            align,
            noalias,
            dereferenceable,
            prefetch,
            strides,
        } => layout::apply(cx, *align, *noalias, dereferenceable, *prefetch, strides),
        Step::Dce { aggressive } => dce::apply(cx, *aggressive),
        Step::Passes { pipeline } => passes::apply(cx, pipeline),
        // The engine builds the candidates it makes; alone it is nothing.
        Step::Autotune { .. } => Ok("candidates are built and timed by the engine".to_owned()),
    }
}

fn retarget(cx: &Cx<'_>, target: &Target) {
    cx.module.set_triple(&cx.machine.get_triple());
    cx.module
        .set_data_layout(&cx.machine.get_target_data().get_data_layout());
    for f in ir::defined(&cx.module) {
        for key in ["target-cpu", "target-features", "tune-cpu"] {
            f.remove_string_attribute(AttributeLoc::Function, key);
        }
        f.add_attribute(
            AttributeLoc::Function,
            cx.context
                .create_string_attribute("target-cpu", &target.cpu),
        );
        if !target.features.is_empty() {
            f.add_attribute(
                AttributeLoc::Function,
                cx.context
                    .create_string_attribute("target-features", &target.features),
            );
        }
    }
}

/// Runs one step and records it; the module is verified after it.
fn record(
    cx: &mut Cx<'_>,
    node: &str,
    transform: &str,
    params: String,
    f: impl FnOnce(&mut Cx<'_>) -> Result<String, String>,
) -> Result<StepRecord, TransformError> {
    let before = ir::stats(&cx.module);
    let started = Instant::now();
    let mut note = f(cx).map_err(|message| TransformError::Step {
        node: node.to_owned(),
        transform: transform.to_owned(),
        message,
    })?;
    for d in cx.diagnostics.take() {
        note.push_str("; llvm: ");
        note.push_str(&d);
    }
    let micros = started.elapsed().as_micros() as u64;
    cx.module.verify().map_err(|m| TransformError::Verify {
        node: node.to_owned(),
        message: m.to_string().trim().to_owned(),
    })?;
    Ok(StepRecord {
        node: node.to_owned(),
        transform: transform.to_owned(),
        params,
        micros,
        before,
        after: ir::stats(&cx.module),
        note,
        ir_after: cx.module.print_to_string().to_string(),
    })
}

/// Transforms `ir` by `plan` and compiles it. `on_step` hears each step as
/// it finishes (the workbench shows them live).
pub fn build(
    ir_text: &str,
    entry: &str,
    plan: &Plan,
    host: &Target,
    on_step: &mut dyn FnMut(&StepRecord),
) -> Result<Built, TransformError> {
    let started = Instant::now();
    // Declared before the context: it must outlive it.
    let diagnostics = crate::llvm::Diagnostics::default();
    let context = Context::create();
    diagnostics.attach(&context);
    let buffer = MemoryBuffer::create_from_memory_range_copy(ir_text.as_bytes(), "kernel");
    let module = context
        .create_module_from_ir(buffer)
        .map_err(|e| TransformError::Parse(e.to_string().trim().to_owned()))?;
    let (target, isa_note) = codegen::target_for(plan, host);
    let machine = codegen::machine(&target).map_err(TransformError::Codegen)?;
    let mut cx = Cx {
        context: &context,
        diagnostics: &diagnostics,
        module,
        entry: entry.to_owned(),
        machine,
    };
    if cx.module.get_function(entry).is_none() {
        return Err(TransformError::NoEntry(entry.to_owned()));
    }
    retarget(&cx, &target);
    let mut steps = Vec::new();
    let prepare_note =
        isa_note.unwrap_or_else(|| format!("target {} {}", target.triple, target.cpu));
    let rec = record(&mut cx, "prepare", "passes", PREPARE.to_owned(), |cx| {
        cx.run_passes(PREPARE).map(|_| prepare_note)
    })?;
    on_step(&rec);
    steps.push(rec);
    for planned in &plan.steps {
        let rec = record(
            &mut cx,
            &planned.node,
            planned.step.kind().name(),
            planned.step.summary(),
            |cx| run_step(cx, &planned.step),
        )?;
        on_step(&rec);
        steps.push(rec);
    }
    if plan.finish != "none" {
        let finish = plan.finish.clone();
        let rec = record(&mut cx, "finish", "passes", finish.clone(), |cx| {
            cx.run_passes(&finish).map(|_| format!("ran {finish}"))
        })?;
        on_step(&rec);
        steps.push(rec);
    }
    let optimized_ir = cx.module.print_to_string().to_string();
    let writes = codegen::writable_params(&cx.module, entry);
    let transform_micros = started.elapsed().as_micros() as u64;

    let started = Instant::now();
    codegen::add_call_wrapper(&context, &cx.module, entry).map_err(TransformError::Codegen)?;
    cx.module.verify().map_err(|m| TransformError::Verify {
        node: "codegen".to_owned(),
        message: m.to_string(),
    })?;
    let object = codegen::emit_object(&cx.module, &cx.machine).map_err(TransformError::Codegen)?;
    Ok(Built {
        target,
        optimized_ir,
        writes,
        steps,
        object,
        transform_micros,
        codegen_micros: started.elapsed().as_micros() as u64,
    })
}

/// Compiles IR as it is, with no pass of ours: the `tailor_call` wrapper
/// and object emission for the host. `tailor bench` builds its
/// hand-specialized references this way (clang has optimized them), so
/// they run in the executor exactly as variants do.
pub fn compile_as_is(ir_text: &str, entry: &str, host: &Target) -> Result<Built, TransformError> {
    let started = Instant::now();
    let diagnostics = crate::llvm::Diagnostics::default();
    let context = Context::create();
    diagnostics.attach(&context);
    let buffer = MemoryBuffer::create_from_memory_range_copy(ir_text.as_bytes(), "reference");
    let module = context
        .create_module_from_ir(buffer)
        .map_err(|e| TransformError::Parse(e.to_string().trim().to_owned()))?;
    if module.get_function(entry).is_none() {
        return Err(TransformError::NoEntry(entry.to_owned()));
    }
    let machine = codegen::machine(host).map_err(TransformError::Codegen)?;
    let optimized_ir = module.print_to_string().to_string();
    let writes = codegen::writable_params(&module, entry);
    codegen::add_call_wrapper(&context, &module, entry).map_err(TransformError::Codegen)?;
    module.verify().map_err(|m| TransformError::Verify {
        node: "codegen".to_owned(),
        message: m.to_string(),
    })?;
    let object = codegen::emit_object(&module, &machine).map_err(TransformError::Codegen)?;
    Ok(Built {
        target: host.clone(),
        optimized_ir,
        writes,
        steps: Vec::new(),
        object,
        transform_micros: 0,
        codegen_micros: started.elapsed().as_micros() as u64,
    })
}

#[cfg(test)]
mod tests;
