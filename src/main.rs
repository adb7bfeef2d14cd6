//! The `maturity` binary: parses the command line, sets up logging, runs the
//! command and turns its outcome into an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use maturity_engine::cli::{self, Cli};
use tracing_subscriber::EnvFilter;

/// Serving allocates and frees many small strings per request; mimalloc
/// does that several times faster than glibc's allocator, which also spends
/// its time consolidating free lists under this load (see
/// docs/benchmarks.md). Built without transparent huge pages, which would
/// otherwise double the idle RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("MATURITY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A log that cannot be written (its reader has gone) is dropped: the
        // subscriber's own report of that would panic on the same closed
        // stderr and take the server down with it.
        .log_internal_errors(false);
    if cli::log_format(&cli) == "json" {
        logs.json().init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal()).init();
    }
    // Scripts run on the runtime's blocking threads. The sandbox's depth
    // limits fit a 2 MiB stack even in debug builds; 8 MiB keeps a margin.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(cli::run(cli));
    // The server has drained (for a bounded time) already; do not wait on
    // connections or idle worker threads beyond that.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of the output went away (`| head`): it has what it
        // wanted, so there is nothing to report.
        Err(cli::CliError::Output(err)) if err.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        // A comparison that found differences is an answer, not an error.
        Err(err @ cli::CliError::Differ(_)) => {
            eprintln!("{err}");
            ExitCode::from(err.exit_code())
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
