#![no_main]
//! `tailor::fuzzing::profile` on arbitrary bytes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tailor::fuzzing::profile(data));
