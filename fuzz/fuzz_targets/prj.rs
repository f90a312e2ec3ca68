//! Fuzz target `prj`: see `qingling_fuzz::entry::prj`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qingling_fuzz::entry::prj(data);
});
