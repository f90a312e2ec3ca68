//! Fuzzing harness for qingling's readers and parsers (built by `cargo +nightly fuzz`).
//!
//! The entry points live in `entry.rs`, which `tests/fuzz_regressions.rs` also
//! includes, so crash inputs are replayed on stable through the same code.

pub mod entry;
