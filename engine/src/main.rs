//! The `umpire` binary: see `umpire --help`.

fn main() -> std::process::ExitCode {
    umpire::cli_main()
}
