//! The `ramd` binary: parses flags, sets up logging and runs the server
//! until SIGTERM or Ctrl-C.

use clap::Parser;
use ramd::config::Config;

fn main() -> std::process::ExitCode {
    let config = Config::parse();
    ramd::server::init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ramd: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(ramd::server::serve(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "ramd stopped with an error");
            eprintln!("ramd: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
