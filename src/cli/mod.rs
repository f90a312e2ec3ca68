//! The command line: `inspect`, `join` (and later `check`, `demo`).

/// Entry point of the binary.
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
