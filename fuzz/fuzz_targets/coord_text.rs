//! Fuzz target `coord_text`: see `qingling_fuzz::entry::coord_text`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qingling_fuzz::entry::coord_text(data);
});
