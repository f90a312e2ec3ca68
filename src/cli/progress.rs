//! Progress lines on stderr: one line per stage with its elapsed time, so a long run
//! on a whole province shows where it is. Silenced with `--quiet`.

use std::time::Instant;

/// Prints stage lines to stderr unless quiet.
pub struct Progress {
    start: Instant,
    quiet: bool,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        Progress {
            start: Instant::now(),
            quiet,
        }
    }

    /// One line: `[  0.42 s] message`.
    pub fn stage(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!(
                "[{:7.2} s] {}",
                self.start.elapsed().as_secs_f64(),
                message.as_ref()
            );
        }
    }

    /// A warning line (always printed).
    pub fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("qingling: {message}");
    }
}
