//! The `umpire` binary: see `umpire --help`.

/// mimalloc rather than glibc's malloc. A server spreads its allocations
/// over tokio's blocking threads and the executor's workers; glibc gives
/// those up to eight arenas per core and keeps what each one freed, so a
/// soak settled at 72 MB where one with two arenas settled at 50 MB
/// (BENCHMARKS.md, issue 7). mimalloc returns freed pages on its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    umpire::cli::main()
}
