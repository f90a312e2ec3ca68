//! qingling (清零, "clear to zero"): the engine of a desktop GIS review application.
//!
//! Everything here works without a display; the CLI (`cli`) and the desktop app
//! (`gui`, behind the `gui` feature) both call it.
//!
//! Data flow: files → [`io`] readers → [`model::Layer`] (own CRS, UTF-8 attributes)
//! → [`engine`] zone index (zones stay in their own CRS, sites are transformed into
//! it by [`crs`]) → spatial join / rules → findings.

#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod check;
pub mod cli;
pub mod crs;
pub mod engine;
pub mod export;
#[cfg(feature = "gui")]
pub mod gui;
pub mod io;
pub mod model;
pub mod project;
pub mod rules;
pub mod synth;
