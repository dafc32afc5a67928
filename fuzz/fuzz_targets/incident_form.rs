#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::incident_form(data));
