#![no_main]
//! `tailor::fuzzing::npy` on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tailor::fuzzing::npy(data));
