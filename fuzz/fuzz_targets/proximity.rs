#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cyberlex_fuzz::proximity(data));
