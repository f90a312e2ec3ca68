//! Fuzz target `shapefile`: see `qingling_fuzz::entry::shapefile`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qingling_fuzz::entry::shapefile(data);
});
