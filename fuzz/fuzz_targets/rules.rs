//! Fuzz target `rules`: see `qingling_fuzz::entry::rules`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qingling_fuzz::entry::rules(data);
});
