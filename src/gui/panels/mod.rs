//! The panels around the map. Each is a function `xxx_ui(ui, &state, &mut commands)`
//! that draws from the state and pushes [`Command`](super::commands::Command)s.

pub mod basemap;
pub mod dashboard;
pub mod export;
pub mod file_chooser;
pub mod findings;
pub mod identify;
pub mod layers;
pub mod mapping;
pub mod menu;
pub mod new_project;
pub mod problems;
