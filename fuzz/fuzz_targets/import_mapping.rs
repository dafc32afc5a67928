#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::import_mapping(data));
