//! Where the messages of a request body begin and end, followed as its
//! bytes arrive, so that a stream may rest between two messages but not in
//! the middle of one (see `calls::Patient`).

/// How a request body is cut into messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Not followed: the body is read whole before its call is answered.
    Whole,
    /// gRPC's: a flag byte and a 4-byte big-endian length before each
    /// message (gRPC-Web's binary form too).
    LengthPrefixed,
    /// JSON lines: each message ends with a newline.
    Lines,
}

impl Framing {
    /// The framing of a request of `content_type` to a gRPC server: a
    /// gRPC-Web text body is base64, so not followed.
    pub(crate) fn of_grpc(content_type: Option<&str>) -> Self {
        match content_type {
            Some(t) if t.starts_with("application/grpc-web-text") => Self::Whole,
            Some(t) if t.starts_with("application/grpc") => Self::LengthPrefixed,
            _ => Self::Whole,
        }
    }
}

/// Where a body stands against its framing: inside a message or between two.
#[derive(Debug, Clone)]
pub(crate) struct Position {
    framing: Framing,
    /// The bytes of a length prefix read so far (gRPC).
    prefix: [u8; 5],
    prefix_read: usize,
    /// Bytes of the current message still to come (gRPC).
    remaining: u64,
    /// Whether bytes have arrived since the last newline (lines).
    open_line: bool,
    /// Messages read whole so far.
    completed: u64,
}

impl Position {
    /// At the start of a body of `framing`.
    pub(crate) fn new(framing: Framing) -> Self {
        Self {
            framing,
            prefix: [0; 5],
            prefix_read: 0,
            remaining: 0,
            open_line: false,
            completed: 0,
        }
    }

    /// How many messages have been read whole so far.
    pub(crate) fn completed(&self) -> u64 {
        self.completed
    }

    /// Whether the body has stopped in the middle of a message.
    pub(crate) fn inside_message(&self) -> bool {
        match self.framing {
            Framing::Whole => false,
            Framing::LengthPrefixed => self.prefix_read > 0 || self.remaining > 0,
            Framing::Lines => self.open_line,
        }
    }

    /// Moves past `bytes`, the body's next data.
    pub(crate) fn advance(&mut self, bytes: &[u8]) {
        match self.framing {
            Framing::Whole => {}
            Framing::LengthPrefixed => self.advance_prefixed(bytes),
            Framing::Lines => {
                if let Some(&last) = bytes.last() {
                    self.open_line = last != b'\n';
                }
                self.completed += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            }
        }
    }

    fn advance_prefixed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let taken = bytes
                    .len()
                    .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                self.remaining -= taken as u64;
                bytes = &bytes[taken..];
                self.completed += u64::from(self.remaining == 0);
                continue;
            }
            let taken = bytes.len().min(5 - self.prefix_read);
            self.prefix[self.prefix_read..self.prefix_read + taken]
                .copy_from_slice(&bytes[..taken]);
            self.prefix_read += taken;
            bytes = &bytes[taken..];
            if self.prefix_read == 5 {
                let [_, length @ ..] = self.prefix;
                self.remaining = u64::from(u32::from_be_bytes(length));
                self.prefix_read = 0;
                self.completed += u64::from(self.remaining == 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gRPC frame of a `length`-byte message.
    fn frame(length: u32) -> Vec<u8> {
        let mut frame = vec![0];
        frame.extend(length.to_be_bytes());
        frame.extend(std::iter::repeat_n(7, length as usize));
        frame
    }

    #[test]
    fn a_length_prefixed_body_is_inside_a_message_until_its_last_byte() {
        let body: Vec<u8> = [frame(3), frame(0), frame(10)].concat();
        // Split at every point: inside exactly where a frame is unfinished.
        for cut in 0..=body.len() {
            let mut position = Position::new(Framing::LengthPrefixed);
            position.advance(&body[..cut]);
            let between = [0, 8, 13, body.len()].contains(&cut);
            assert_eq!(position.inside_message(), !between, "cut at {cut}");
            position.advance(&body[cut..]);
            assert!(!position.inside_message(), "whole body, cut at {cut}");
        }
    }

    #[test]
    fn messages_are_counted_as_they_end_however_the_body_is_cut() {
        let body: Vec<u8> = [frame(3), frame(0), frame(10)].concat();
        for cut in 0..=body.len() {
            let mut position = Position::new(Framing::LengthPrefixed);
            position.advance(&body[..cut]);
            let done = [0, 8, 13, body.len()]
                .iter()
                .filter(|&&end| end <= cut)
                .count()
                - 1;
            assert_eq!(position.completed(), done as u64, "cut at {cut}");
            position.advance(&body[cut..]);
            assert_eq!(position.completed(), 3, "cut at {cut}");
        }
        let mut lines = Position::new(Framing::Lines);
        lines.advance(b"{}\n{}\n{");
        assert_eq!(lines.completed(), 2);
    }

    #[test]
    fn a_prefix_split_across_chunks_is_read_whole() {
        let mut position = Position::new(Framing::LengthPrefixed);
        for byte in frame(300) {
            position.advance(&[byte]);
        }
        assert!(!position.inside_message());
    }

    #[test]
    fn lines_are_inside_a_message_until_their_newline() {
        let mut position = Position::new(Framing::Lines);
        position.advance(b"{\"a\":1}\n{\"b\"");
        assert!(position.inside_message());
        position.advance(b":2}\n");
        assert!(!position.inside_message());
        position.advance(b"");
        assert!(!position.inside_message());
    }

    #[test]
    fn content_types_choose_the_framing() {
        assert_eq!(
            Framing::of_grpc(Some("application/grpc")),
            Framing::LengthPrefixed
        );
        assert_eq!(
            Framing::of_grpc(Some("application/grpc-web+proto")),
            Framing::LengthPrefixed
        );
        assert_eq!(
            Framing::of_grpc(Some("application/grpc-web-text")),
            Framing::Whole
        );
        assert_eq!(Framing::of_grpc(None), Framing::Whole);
    }
}
