//! The `qingling` binary: argument parsing only. See `qingling::cli`.

/// The check builds and frees millions of small strings (values, keys, findings)
/// on several threads at once; mimalloc does that markedly faster than the system
/// allocators (glibc's and Windows').
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    qingling::cli::main()
}
