#![no_main]
//! `tailor::fuzzing::input_spec` on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tailor::fuzzing::input_spec(data));
