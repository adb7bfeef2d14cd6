//! The protobuf codec of the `maturity.v1` services: prost's, except that
//! the entries of a request's maps and lists (an `AssessRequest`'s metrics,
//! an `AssessExportRequest`'s metrics and files, the test cases of a
//! deploy) are counted on the wire before the request is decoded. An entry
//! takes a couple of bytes on the wire and a hundred or more once decoded,
//! so a request of many tiny entries would cost far more memory than its
//! size; over the limit it is refused unread.

use std::any::TypeId;
use std::marker::PhantomData;

use prost::Message;
use prost::bytes::Buf;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

use super::pb;
use crate::deploy::MAX_CASES;
use crate::engine::{EngineError, MAX_METRICS};

/// The most files one `AssessExportRequest` may carry: an export is a
/// handful of tables.
pub const MAX_EXPORT_FILES: usize = 64;

/// The protobuf wire type of a length-delimited field (a map entry).
const LENGTH_DELIMITED: u64 = 2;

/// A field counted on the wire: its number, its name, its limit.
type Counted = (u64, &'static str, usize);

/// The map and list fields of `U` counted before it is decoded (field
/// numbers as in maturity.proto).
fn counted_fields<U: 'static>() -> &'static [Counted] {
    let kind = TypeId::of::<U>();
    if kind == TypeId::of::<pb::AssessRequest>() {
        &[(2, "metrics", MAX_METRICS)]
    } else if kind == TypeId::of::<pb::AssessExportRequest>() {
        &[(5, "metrics", MAX_METRICS), (2, "files", MAX_EXPORT_FILES)]
    } else if kind == TypeId::of::<pb::ValidateScriptRequest>() {
        &[(2, "cases", MAX_CASES)]
    } else if kind == TypeId::of::<pb::PutModelRequest>() {
        &[(3, "cases", MAX_CASES)]
    } else {
        &[]
    }
}

/// The codec generated services and clients use (`codec_path` in build.rs).
#[derive(Debug, Clone)]
pub struct WireCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for WireCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for WireCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = WireDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(Default::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        WireDecoder(PhantomData)
    }
}

/// Decodes `U` with prost, once its counted map fields are within their
/// limits.
#[derive(Debug, Clone)]
pub struct WireDecoder<U>(PhantomData<U>);

impl<U: Message + Default + 'static> Decoder for WireDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        // tonic hands over a whole message in one piece.
        if buf.chunk().len() == buf.remaining() {
            refuse_over_limit(buf.chunk(), counted_fields::<U>())?;
        }
        // The message tonic-prost gives, so codec_status knows it.
        U::decode(buf)
            .map(Some)
            .map_err(|err| Status::internal(err.to_string()))
    }
}

/// INVALID_ARGUMENT, as the engine words it, when the encoded `message`
/// carries more entries of one of `fields` than its limit.
fn refuse_over_limit(message: &[u8], fields: &[Counted]) -> Result<(), Status> {
    for &(number, name, limit) in fields {
        let count = entries(message, number);
        if count > limit {
            return Err(super::status::to_status(EngineError::RequestTooLarge {
                field: name.into(),
                actual: count,
                limit,
            }));
        }
    }
    Ok(())
}

/// The number of entries of the map (or repeated) field `number` in an
/// encoded message, counted without decoding them. A message that does
/// not parse counts what came before the fault; prost's decode then
/// reports the fault itself.
pub fn entries(mut message: &[u8], number: u64) -> usize {
    let mut count = 0;
    while message.has_remaining() {
        let Ok(key) = prost::encoding::decode_varint(&mut message) else {
            break;
        };
        let skipped = match key & 7 {
            0 => prost::encoding::decode_varint(&mut message).map(|_| 0),
            1 => Ok(8),
            5 => Ok(4),
            LENGTH_DELIMITED => prost::encoding::decode_varint(&mut message),
            // Groups: long deprecated, and no field of these messages.
            _ => break,
        };
        let Ok(skipped) = usize::try_from(skipped.unwrap_or(u64::MAX)) else {
            break;
        };
        if skipped > message.remaining() {
            break;
        }
        message.advance(skipped);
        if key >> 3 == number && key & 7 == LENGTH_DELIMITED {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(metrics: usize) -> Vec<u8> {
        let request = pb::AssessRequest {
            model: "five_stage".into(),
            metrics: (0..metrics)
                .map(|i| (format!("m{i}"), pb::MetricValue::default()))
                .collect(),
            subject_id: "acme".into(),
            explain: true,
            target_rank: 3,
            ..Default::default()
        };
        request.encode_to_vec()
    }

    #[test]
    fn counts_the_metric_entries_among_the_other_fields() {
        for metrics in [0, 1, 7, 1500] {
            assert_eq!(entries(&encoded(metrics), 2), metrics);
        }
    }

    #[test]
    fn a_truncated_message_counts_what_came_before_the_fault() {
        let whole = encoded(10);
        let cut = &whole[..whole.len() / 2];
        assert!((1..10).contains(&entries(cut, 2)));
        assert_eq!(entries(&[0xff; 12], 2), 0, "a runaway varint");
    }

    #[test]
    fn over_the_limit_is_refused_naming_the_count_and_the_limit() {
        let fields = counted_fields::<pb::AssessRequest>();
        assert!(refuse_over_limit(&encoded(MAX_METRICS), fields).is_ok());
        let status = refuse_over_limit(&encoded(MAX_METRICS + 5), fields).unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            format!(
                "metrics: {} exceeds the limit of {MAX_METRICS}",
                MAX_METRICS + 5
            )
        );
    }

    #[test]
    fn an_export_counts_its_files_and_its_metrics() {
        let export = |files: usize, metrics: usize| {
            pb::AssessExportRequest {
                files: (0..files).map(|i| (format!("f{i}"), Vec::new())).collect(),
                metrics: (0..metrics)
                    .map(|i| (format!("m{i}"), pb::MetricValue::default()))
                    .collect(),
                ..Default::default()
            }
            .encode_to_vec()
        };
        let fields = counted_fields::<pb::AssessExportRequest>();
        assert!(refuse_over_limit(&export(MAX_EXPORT_FILES, MAX_METRICS), fields).is_ok());
        let files = refuse_over_limit(&export(MAX_EXPORT_FILES + 1, 0), fields).unwrap_err();
        assert_eq!(files.message(), "files: 65 exceeds the limit of 64");
        let metrics = refuse_over_limit(&export(0, MAX_METRICS + 1), fields).unwrap_err();
        assert_eq!(metrics.message(), "metrics: 1025 exceeds the limit of 1024");
        assert!(counted_fields::<pb::GetModelRequest>().is_empty());
    }

    #[test]
    fn a_deploy_counts_its_cases() {
        let put = |cases: usize| {
            pb::PutModelRequest {
                source: "model".into(),
                expected_sha256: "0".repeat(64),
                cases: vec![pb::TestCase::default(); cases],
            }
            .encode_to_vec()
        };
        let fields = counted_fields::<pb::PutModelRequest>();
        assert!(refuse_over_limit(&put(MAX_CASES), fields).is_ok());
        let status = refuse_over_limit(&put(MAX_CASES + 1), fields).unwrap_err();
        assert_eq!(status.message(), "cases: 101 exceeds the limit of 100");
    }
}
