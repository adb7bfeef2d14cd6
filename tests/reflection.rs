//! Reflection for every client: a client with no compiled stubs of the API
//! discovers it through reflection v1 and through v1alpha (the version the
//! stock Python client speaks), assesses an organisation with messages built
//! from the descriptors it fetched, and decodes the google.rpc.BadRequest of
//! a refused request from those descriptors too.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, HashMap};

use bytes::{Buf, BufMut};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, MessageDescriptor, Value};
use support::start_builtin_server;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Code, Status};

/// The reflection version a test speaks.
#[derive(Debug, Clone, Copy)]
enum Version {
    V1,
    V1Alpha,
}

/// What a client asks reflection for.
#[derive(Debug, Clone, Copy)]
enum Ask<'a> {
    Symbol(&'a str),
    File(&'a str),
}

/// The file descriptors reflection returns for `ask`, by file name.
async fn files_containing(
    channel: Channel,
    version: Version,
    ask: Ask<'_>,
) -> BTreeMap<String, Vec<u8>> {
    let protos = match version {
        Version::V1 => {
            use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
            use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
            let request = match ask {
                Ask::Symbol(symbol) => MessageRequest::FileContainingSymbol(symbol.to_owned()),
                Ask::File(name) => MessageRequest::FileByFilename(name.to_owned()),
            };
            match ask_v1(channel, request).await {
                Some(MessageResponse::FileDescriptorResponse(files)) => files.file_descriptor_proto,
                other => panic!("v1 {ask:?}: {other:?}"),
            }
        }
        Version::V1Alpha => {
            use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
            use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
            use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
            use tonic_reflection::pb::v1alpha::*;
            let request = ServerReflectionRequest {
                host: String::new(),
                message_request: Some(match ask {
                    Ask::Symbol(symbol) => MessageRequest::FileContainingSymbol(symbol.to_owned()),
                    Ask::File(name) => MessageRequest::FileByFilename(name.to_owned()),
                }),
            };
            let mut replies = ServerReflectionClient::new(channel)
                .server_reflection_info(tokio_stream::iter([request]))
                .await
                .unwrap_or_else(|s| panic!("v1alpha is not served: {s:?}"))
                .into_inner();
            let reply = replies.message().await.unwrap().unwrap();
            match reply.message_response {
                Some(MessageResponse::FileDescriptorResponse(files)) => files.file_descriptor_proto,
                other => panic!("v1alpha {ask:?}: {other:?}"),
            }
        }
    };
    protos
        .into_iter()
        .map(|bytes| {
            let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
            (file.name().to_owned(), bytes)
        })
        .collect()
}

/// A descriptor pool of everything reflection says about `symbols`, and
/// the files they import, fetched by name as a client does.
async fn discover(channel: &Channel, version: Version, symbols: &[&str]) -> DescriptorPool {
    let mut files = BTreeMap::new();
    for symbol in symbols {
        files.extend(files_containing(channel.clone(), version, Ask::Symbol(symbol)).await);
    }
    loop {
        let missing: Vec<String> = files
            .values()
            .flat_map(|bytes| {
                prost_types::FileDescriptorProto::decode(bytes.as_slice())
                    .unwrap()
                    .dependency
            })
            .filter(|name| !files.contains_key(name))
            .collect();
        if missing.is_empty() {
            break;
        }
        for name in missing {
            files.extend(files_containing(channel.clone(), version, Ask::File(&name)).await);
        }
    }
    let protos = files
        .values()
        .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap());
    let mut pool = DescriptorPool::new();
    pool.add_file_descriptor_protos(protos).unwrap();
    pool
}

/// A codec of messages known only by their descriptors.
#[derive(Clone)]
struct DynamicCodec(MessageDescriptor);

impl Codec for DynamicCodec {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = DynamicCodec;
    type Decoder = DynamicCodec;
    fn encoder(&mut self) -> Self::Encoder {
        self.clone()
    }
    fn decoder(&mut self) -> Self::Decoder {
        self.clone()
    }
}

impl Encoder for DynamicCodec {
    type Item = DynamicMessage;
    type Error = Status;
    fn encode(&mut self, item: DynamicMessage, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item.encode_to_vec());
        Ok(())
    }
}

impl Decoder for DynamicCodec {
    type Item = DynamicMessage;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<DynamicMessage>, Status> {
        let bytes = src.copy_to_bytes(src.remaining());
        DynamicMessage::decode(self.0.clone(), bytes)
            .map(Some)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

/// An AssessRequest of `model` with one number metric, built from the
/// descriptors alone.
fn assess_request(pool: &DescriptorPool, model: &str, metric: &str, value: f64) -> DynamicMessage {
    let request = pool
        .get_message_by_name("maturity.v1.AssessRequest")
        .unwrap();
    let metric_value = pool.get_message_by_name("maturity.v1.MetricValue").unwrap();
    let mut number = DynamicMessage::new(metric_value);
    number.set_field_by_name("number", Value::F64(value));
    let mut message = DynamicMessage::new(request);
    message.set_field_by_name("model", Value::String(model.to_owned()));
    message.set_field_by_name(
        "metrics",
        Value::Map(HashMap::from([(
            MapKey::String(metric.to_owned()),
            Value::Message(number),
        )])),
    );
    message
}

/// Calls `Assess` as a client without stubs would.
async fn assess(
    channel: &Channel,
    pool: &DescriptorPool,
    request: DynamicMessage,
) -> Result<DynamicMessage, Status> {
    let service = pool
        .get_service_by_name("maturity.v1.MaturityService")
        .unwrap();
    let method = service.methods().find(|m| m.name() == "Assess").unwrap();
    let path = format!("/{}/{}", service.full_name(), method.name())
        .parse()
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    grpc.unary(
        tonic::Request::new(request),
        path,
        DynamicCodec(method.output()),
    )
    .await
    .map(tonic::Response::into_inner)
}

async fn discover_and_assess(version: Version) {
    let server = start_builtin_server().await;
    let channel = server.channel().await;
    let pool = discover(
        &channel,
        version,
        &["maturity.v1.MaturityService", "google.rpc.BadRequest"],
    )
    .await;

    let request = assess_request(&pool, "five_stage", "crm_adoption", 0.9);
    let answer = assess(&channel, &pool, request).await.unwrap();
    let level = answer.get_field_by_name("level").unwrap();
    let level = level.as_message().unwrap();
    let rank = level.get_field_by_name("rank").unwrap();
    assert!(rank.as_i32().unwrap() >= 1, "{answer:?}");
    let model = answer.get_field_by_name("model").unwrap();
    assert_eq!(model.as_str(), Some("five_stage"));

    // A ratio above 1 is refused with a BadRequest naming the field; its
    // details decode with the descriptors reflection gave.
    let refused = assess(
        &channel,
        &pool,
        assess_request(&pool, "five_stage", "crm_adoption", 7.0),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let status = pool.get_message_by_name("google.rpc.Status").unwrap();
    let status = DynamicMessage::decode(status, refused.details()).unwrap();
    let details = status.get_field_by_name("details").unwrap();
    let details = details.as_list().unwrap();
    let any = details.first().expect("no details").as_message().unwrap();
    let type_url = any.get_field_by_name("type_url").unwrap();
    let type_url = type_url.as_str().unwrap().to_owned();
    let name = type_url.rsplit('/').next().unwrap();
    assert_eq!(name, "google.rpc.BadRequest");
    let bad_request = pool.get_message_by_name(name).unwrap();
    let value = any.get_field_by_name("value").unwrap();
    let bad_request =
        DynamicMessage::decode(bad_request, value.as_bytes().unwrap().clone()).unwrap();
    let violations = bad_request.get_field_by_name("field_violations").unwrap();
    let violation = violations.as_list().unwrap()[0]
        .as_message()
        .unwrap()
        .clone();
    let field = violation.get_field_by_name("field").unwrap();
    assert!(
        field.as_str().unwrap().contains("crm_adoption"),
        "{violation:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_client_without_stubs_assesses_through_reflection_v1() {
    discover_and_assess(Version::V1).await;
}

#[tokio::test]
async fn a_client_without_stubs_assesses_through_reflection_v1alpha() {
    discover_and_assess(Version::V1Alpha).await;
}

/// The answer of reflection v1 on `channel` to one `request`.
async fn ask_v1(
    channel: Channel,
    request: tonic_reflection::pb::v1::server_reflection_request::MessageRequest,
) -> Option<tonic_reflection::pb::v1::server_reflection_response::MessageResponse> {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut replies = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    replies.message().await.unwrap().unwrap().message_response
}

/// The services reflection lists on the server at `url` (v1 ListServices).
async fn listed_services(url: &str) -> Vec<String> {
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let channel = Channel::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let reply = ask_v1(channel, MessageRequest::ListServices(String::new())).await;
    let Some(MessageResponse::ListServicesResponse(list)) = reply else {
        panic!("{reply:?}")
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    names
}

#[tokio::test]
async fn reflection_lists_the_services_served_and_bench_only_with_echo() {
    let served = support::bin::serve(&[]);
    assert_eq!(
        listed_services(&served.url).await,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "maturity.v1.AdminService",
            "maturity.v1.EvidenceService",
            "maturity.v1.MaturityService",
        ]
    );
    let echo = support::bin::serve(&["--echo"]);
    let listed = listed_services(&echo.url).await;
    assert!(
        listed.contains(&"maturity.v1.BenchService".to_owned()),
        "{listed:?}"
    );
}
