//! Fuzz target `gpkg_geometry`: see `qingling_fuzz::entry::gpkg_geometry`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    qingling_fuzz::entry::gpkg_geometry(data);
});
