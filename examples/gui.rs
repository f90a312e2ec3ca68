//! Opens the desktop app directly: `cargo run --example gui [PROJECT.gpkg] [DATA FILES...]`.
//! (The `qingling` binary does the same when given no subcommand.) Used by
//! `scripts/screenshot.sh` until the binary is wired.

#[cfg(feature = "gui")]
fn main() -> std::process::ExitCode {
    // A `.gpkg` argument is the project; other arguments are data files to add.
    let (projects, files): (Vec<std::path::PathBuf>, Vec<std::path::PathBuf>) = std::env::args_os()
        .skip(1)
        .map(std::path::PathBuf::from)
        .partition(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
        });
    match qingling::gui::run_with_files(projects.into_iter().next(), files) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qingling: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "gui"))]
fn main() {
    eprintln!("built without the `gui` feature");
}
