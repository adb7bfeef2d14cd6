//! Standard output for the commands. `println!` panics when the reader has
//! gone away (`maturity assess ... | head`); these return the error instead,
//! and `main` ends such a command quietly.

use std::fmt;
use std::io::Write;

use super::CliError;

/// Writes to standard output, or returns from the command with the error.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write(format_args!($($arg)*))?
    };
}

/// Writes a line to standard output, or returns from the command with the
/// error.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_line(format_args!($($arg)*))?
    };
}

/// Writes `text` to standard output.
pub(crate) fn write(text: fmt::Arguments<'_>) -> Result<(), CliError> {
    std::io::stdout()
        .lock()
        .write_fmt(text)
        .map_err(CliError::Output)
}

/// Writes `text` and a newline to standard output.
pub(crate) fn write_line(text: fmt::Arguments<'_>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(text)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(CliError::Output)
}
