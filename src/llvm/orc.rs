//! Loading relocatable object code for execution through ORC LLJIT (the
//! C API; inkwell does not wrap it). A [`LoadedObject`] owns one JIT
//! instance holding one variant and calls its `tailor_call`.

use crate::kernel::is_loadable_symbol;
use inkwell::llvm_sys::core::LLVMCreateMemoryBufferWithMemoryRangeCopy;
use inkwell::llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use inkwell::llvm_sys::orc2::lljit::{
    LLVMOrcCreateLLJIT, LLVMOrcCreateLLJITBuilder, LLVMOrcDisposeLLJIT, LLVMOrcLLJITAddObjectFile,
    LLVMOrcLLJITGetGlobalPrefix, LLVMOrcLLJITGetMainJITDylib, LLVMOrcLLJITLookup, LLVMOrcLLJITRef,
};
use inkwell::llvm_sys::orc2::{
    LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess, LLVMOrcJITDylibAddGenerator,
    LLVMOrcSymbolStringPoolEntryRef, LLVMOrcSymbolStringPoolEntryStr,
};
use std::ffi::{c_void, CStr, CString};

/// `void tailor_call(const uint64_t *args, uint64_t *ret)`.
type CallFn = unsafe extern "C" fn(*const u64, *mut u64);

pub struct LoadedObject {
    jit: LLVMOrcLLJITRef,
    call: CallFn,
}

/// Takes an LLVM error's message (and frees it).
fn take_error(err: LLVMErrorRef) -> Result<(), String> {
    if err.is_null() {
        return Ok(());
    }
    // SAFETY: `err` is a non-null error LLVM handed us; getting its message
    // consumes it, and the message is freed with its own disposer.
    unsafe {
        let msg = LLVMGetErrorMessage(err);
        let text = CStr::from_ptr(msg).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(msg);
        Err(text)
    }
}

extern "C" fn filter(_ctx: *mut c_void, sym: LLVMOrcSymbolStringPoolEntryRef) -> std::ffi::c_int {
    // SAFETY: ORC passes a live pool entry; its string is NUL-terminated.
    let name = unsafe { CStr::from_ptr(LLVMOrcSymbolStringPoolEntryStr(sym)) };
    std::ffi::c_int::from(is_loadable_symbol(&name.to_string_lossy()))
}

impl LoadedObject {
    /// Links `object` (which must export `tailor_call`) into a new JIT.
    pub fn load(object: &[u8], name: &str) -> Result<LoadedObject, String> {
        inkwell::targets::Target::initialize_native(
            &inkwell::targets::InitializationConfig::default(),
        )?;
        let cname = CString::new(name).map_err(|e| e.to_string())?;
        let symbol =
            CString::new(crate::transform::codegen::CALL_SYMBOL).map_err(|e| e.to_string())?;
        // SAFETY: each call below gets pointers LLVM documents as valid for
        // it: the builder is consumed by CreateLLJIT, the generator and the
        // memory buffer are owned by the JIT once added, and on any error the
        // JIT created so far is disposed before returning.
        unsafe {
            let mut jit: LLVMOrcLLJITRef = std::ptr::null_mut();
            take_error(LLVMOrcCreateLLJIT(&mut jit, LLVMOrcCreateLLJITBuilder()))?;
            // Owns the JIT from here on, so an error below disposes it.
            let mut loaded = LoadedObject { jit, call: noop };
            let dylib = LLVMOrcLLJITGetMainJITDylib(jit);
            let mut generator = std::ptr::null_mut();
            take_error(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
                &mut generator,
                LLVMOrcLLJITGetGlobalPrefix(jit),
                Some(filter),
                std::ptr::null_mut(),
            ))?;
            LLVMOrcJITDylibAddGenerator(dylib, generator);
            let buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(
                object.as_ptr() as *const _,
                object.len(),
                cname.as_ptr(),
            );
            take_error(LLVMOrcLLJITAddObjectFile(jit, dylib, buffer))?;
            let mut addr = 0u64;
            take_error(LLVMOrcLLJITLookup(jit, &mut addr, symbol.as_ptr()))?;
            if addr == 0 {
                return Err("the variant exports no tailor_call".to_owned());
            }
            loaded.call = std::mem::transmute::<usize, CallFn>(addr as usize);
            Ok(loaded)
        }
    }

    /// Calls the variant with one 8-byte slot per argument.
    ///
    /// # Safety
    /// Every pointer slot must point to a buffer as large as the kernel
    /// reads or writes through it, and the object must be code tailor
    /// compiled: the call runs it with this process's privileges.
    pub unsafe fn call(&self, args: &[u64]) -> u64 {
        let mut ret = 0u64;
        // SAFETY: per this function's contract.
        unsafe { (self.call)(args.as_ptr(), &mut ret) };
        ret
    }
}

unsafe extern "C" fn noop(_: *const u64, _: *mut u64) {}

impl Drop for LoadedObject {
    fn drop(&mut self) {
        // SAFETY: the JIT was created by LLVMOrcCreateLLJIT and is disposed
        // once; no call into its code can be running (we hold `&mut self`).
        let _ = take_error(unsafe { LLVMOrcDisposeLLJIT(self.jit) });
    }
}
