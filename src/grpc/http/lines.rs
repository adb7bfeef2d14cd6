//! The JSON lines of an `:assessStream` body, split as they arrive.

use axum::body::{Body, Bytes};
use futures_util::{Stream, StreamExt};
use prost::bytes::BytesMut;
use tonic::Status;

/// What the splitter holds between lines.
struct Splitter<S> {
    data: S,
    /// Bytes received and not yet handed out as a line.
    buffer: BytesMut,
    /// How much of `buffer` is known to hold no newline: each byte is
    /// scanned once, however small the chunks it arrives in.
    scanned: usize,
    /// Whether the stream has ended (after an error).
    done: bool,
}

/// The non-blank lines of `body`, each at most `max` bytes; one too long
/// ends the stream with RESOURCE_EXHAUSTED.
pub(super) fn lines(body: Body, max: usize) -> impl Stream<Item = Result<Bytes, Status>> + Send {
    let state = Splitter {
        data: body.into_data_stream(),
        buffer: BytesMut::new(),
        scanned: 0,
        done: false,
    };
    futures_util::stream::unfold(state, move |mut s| async move {
        let too_long = || {
            Status::resource_exhausted(format!(
                "a line of over {max} bytes, the server's limit (--max-message-bytes)"
            ))
        };
        loop {
            if s.done {
                return None;
            }
            if let Some(at) = s.buffer[s.scanned..].iter().position(|&b| b == b'\n') {
                // A line that came whole in one chunk is held to the limit
                // as one that came in many.
                if s.scanned + at > max {
                    return Some((Err(too_long()), s.end()));
                }
                // Splitting a BytesMut moves no bytes.
                let line = s.buffer.split_to(s.scanned + at + 1).freeze();
                s.scanned = 0;
                if !blank(&line) {
                    return Some((Ok(line), s));
                }
                continue;
            }
            s.scanned = s.buffer.len();
            if s.buffer.len() > max {
                return Some((Err(too_long()), s.end()));
            }
            match s.data.next().await {
                Some(Ok(chunk)) => s.buffer.extend_from_slice(&chunk),
                Some(Err(err)) => return Some((Err(super::error::body_status(&err)), s.end())),
                None if blank(&s.buffer) => return None,
                None => {
                    let line = std::mem::take(&mut s.buffer).freeze();
                    return Some((Ok(line), s.end()));
                }
            }
        }
    })
}

impl<S> Splitter<S> {
    /// The state after the last item: nothing more to give.
    fn end(mut self) -> Self {
        self.buffer = BytesMut::new();
        self.done = true;
        self
    }
}

fn blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn split(chunks: &[&str], max: usize) -> Vec<Result<String, String>> {
        let chunks: Vec<Result<Bytes, std::io::Error>> = chunks
            .iter()
            .map(|c| Ok(Bytes::copy_from_slice(c.as_bytes())))
            .collect();
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        lines(body, max)
            .map(|line| match line {
                Ok(line) => Ok(String::from_utf8(line.to_vec()).unwrap()),
                Err(status) => Err(status.message().to_owned()),
            })
            .collect()
            .await
    }

    #[tokio::test]
    async fn lines_are_whole_however_the_body_is_cut() {
        let body = "{\"a\":1}\n\n  \n{\"b\":2}\r\n{\"c\":3}";
        let whole = split(&[body], 100).await;
        let expected = ["{\"a\":1}\n", "{\"b\":2}\r\n", "{\"c\":3}"];
        assert_eq!(whole, expected.map(|l| Ok(l.to_owned())));
        let bytes: Vec<String> = body.chars().map(String::from).collect();
        let bytes: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(split(&bytes, 100).await, whole, "one byte per chunk");
    }

    #[tokio::test]
    async fn a_line_over_the_limit_ends_the_stream() {
        let got = split(&["{\"a\":1}\n", "x", "xxxxxxxxxx", "yy\n{\"b\":2}\n"], 8).await;
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], Ok("{\"a\":1}\n".to_owned()));
        assert!(
            got[1].as_ref().unwrap_err().contains("over 8 bytes"),
            "{got:?}"
        );
        // The same line arriving whole, newline and all, in one chunk.
        let got = split(&["{\"a\":1}\nxxxxxxxxxxxyy\n{\"b\":2}\n"], 8).await;
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[1].as_ref().unwrap_err().contains("over 8 bytes"),
            "{got:?}"
        );
        // A line of exactly the limit passes.
        let got = split(&["12345678\n"], 8).await;
        assert_eq!(got, [Ok("12345678\n".to_owned())]);
    }
}
