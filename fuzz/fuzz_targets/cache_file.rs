#![no_main]
//! `tailor::fuzzing::cache_file` on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tailor::fuzzing::cache_file(data));
