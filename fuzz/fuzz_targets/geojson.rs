//! Fuzz target `geojson`: see `qingling_fuzz::entry::geojson`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qingling_fuzz::entry::geojson(data);
});
