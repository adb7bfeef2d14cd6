//! The protobuf codec of the `maturity.v1` services: prost's, except that
//! an `AssessRequest`'s metrics are counted on the wire before it is
//! decoded. A metric entry takes a few bytes on the wire and a hundred once
//! decoded into a map, so a request of many tiny entries would cost far more
//! memory than its size; over the engine's limit it is refused unread.

use std::any::TypeId;
use std::marker::PhantomData;

use prost::Message;
use prost::bytes::Buf;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

use super::pb;
use crate::engine::{EngineError, MAX_METRICS};

/// `AssessRequest.metrics`: its field number in maturity.proto.
const METRICS_FIELD: u64 = 2;
/// The protobuf wire type of a length-delimited field (a map entry).
const LENGTH_DELIMITED: u64 = 2;

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

/// Decodes `U` with prost, refusing an over-large `AssessRequest` first.
#[derive(Debug, Clone)]
pub struct WireDecoder<U>(PhantomData<U>);

impl<U: Message + Default + 'static> Decoder for WireDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        if TypeId::of::<U>() == TypeId::of::<pb::AssessRequest>()
            && buf.chunk().len() == buf.remaining()
        {
            refuse_too_many_metrics(buf.chunk())?;
        }
        // The message tonic-prost gives, so codec_status knows it.
        U::decode(buf)
            .map(Some)
            .map_err(|err| Status::internal(err.to_string()))
    }
}

/// INVALID_ARGUMENT, as the engine words it, when the encoded
/// `AssessRequest` in `message` carries more metric entries than the limit.
fn refuse_too_many_metrics(message: &[u8]) -> Result<(), Status> {
    let count = metric_entries(message);
    if count <= MAX_METRICS {
        return Ok(());
    }
    Err(super::status::to_status(EngineError::RequestTooLarge {
        field: "metrics".into(),
        actual: count,
        limit: MAX_METRICS,
    }))
}

/// The number of `metrics` entries in an encoded `AssessRequest`, counted
/// without decoding them. A message that does not parse counts what came
/// before the fault; prost's decode then reports the fault itself.
pub fn metric_entries(mut message: &[u8]) -> usize {
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
            // Groups: long deprecated, and no field of this message.
            _ => break,
        };
        let Ok(skipped) = usize::try_from(skipped.unwrap_or(u64::MAX)) else {
            break;
        };
        if skipped > message.remaining() {
            break;
        }
        message.advance(skipped);
        if key >> 3 == METRICS_FIELD && key & 7 == LENGTH_DELIMITED {
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
            assert_eq!(metric_entries(&encoded(metrics)), metrics);
        }
    }

    #[test]
    fn a_truncated_message_counts_what_came_before_the_fault() {
        let whole = encoded(10);
        let cut = &whole[..whole.len() / 2];
        assert!((1..10).contains(&metric_entries(cut)));
        assert_eq!(metric_entries(&[0xff; 12]), 0, "a runaway varint");
    }

    #[test]
    fn over_the_limit_is_refused_naming_the_count_and_the_limit() {
        assert!(refuse_too_many_metrics(&encoded(MAX_METRICS)).is_ok());
        let status = refuse_too_many_metrics(&encoded(MAX_METRICS + 5)).unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            format!(
                "metrics: {} exceeds the limit of {MAX_METRICS}",
                MAX_METRICS + 5
            )
        );
    }
}
