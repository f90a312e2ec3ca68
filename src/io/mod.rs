//! Readers (and later writers), one module per format. Every reader returns a
//! [`Layer`](crate::model::Layer) with attributes decoded to UTF-8 and per-record
//! problems; a file that cannot be read at all gives an [`IoError`] naming it.
