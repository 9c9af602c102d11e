//! The `umpire` binary: see `umpire --help`.

/// mimalloc: the engine allocates many small, short-lived values (an
/// instance's constraint elements and params, reports); glibc's allocator
/// spent a third of a large `umpire robinx` run in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    umpire::cli_main()
}
