//! Text from outside (a script's error, a file name, a caller's value) made
//! safe for one log line: control characters are escaped, so no input can
//! end a line early and forge the next one.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with line breaks and other control characters escaped
/// (`\n`, `\r`, `\t`, `\u{1b}`...), borrowed when there are none.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_break_the_line() {
        assert_eq!(one_line("plain"), "plain");
        assert_eq!(
            one_line("boom\n2026-01-01T00:00:00Z INFO forged\r\x1b[31m"),
            "boom\\n2026-01-01T00:00:00Z INFO forged\\r\\u{1b}[31m"
        );
    }
}
