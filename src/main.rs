//! The `qingling` binary: argument parsing only. See `qingling::cli`.

fn main() -> std::process::ExitCode {
    qingling::cli::main()
}
