//! gRPC-Web on the gRPC port: a browser's call (HTTP/1.1, framed body,
//! trailers in the body) assesses an organisation and reads its status.

#![allow(clippy::unwrap_used)]

mod support;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use maturity_engine::grpc::pb;
use maturity_engine::grpc::pb::metric_value::Kind;
use prost::Message;
use support::http::call;
use support::{one_metric, start_builtin_server};

/// A gRPC-Web body of one message.
fn framed(message: &impl Message) -> Bytes {
    let bytes = message.encode_to_vec();
    let mut body = BytesMut::new();
    body.put_u8(0);
    body.put_u32(u32::try_from(bytes.len()).unwrap());
    body.put_slice(&bytes);
    body.freeze()
}

/// The frames of a gRPC-Web answer: messages, then the trailers' text.
fn frames(mut body: Bytes) -> (Vec<Bytes>, String) {
    let (mut messages, mut trailers) = (Vec::new(), String::new());
    while body.remaining() >= 5 {
        let flag = body.get_u8();
        let length = body.get_u32() as usize;
        let frame = body.split_to(length);
        if flag & 0x80 != 0 {
            trailers.push_str(&String::from_utf8_lossy(&frame));
        } else {
            messages.push(frame);
        }
    }
    (messages, trailers)
}

#[tokio::test]
async fn a_browser_assesses_over_grpc_web_on_the_grpc_port() {
    let server = start_builtin_server().await;
    let address = server.url.trim_start_matches("http://").to_owned();
    let headers = [
        ("content-type", "application/grpc-web+proto"),
        ("x-grpc-web", "1"),
    ];
    let path = "/maturity.v1.MaturityService/Assess";
    let request = one_metric("five_stage", "crm_adoption", Kind::Number(0.9));
    let answer = call(&address, "POST", path, &headers, framed(&request)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        answer.content_type.starts_with("application/grpc-web"),
        "{answer:?}"
    );
    let (messages, trailers) = frames(answer.body);
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let assessment = pb::Assessment::decode(messages[0].clone()).unwrap();
    assert_eq!(assessment.model, "five_stage");
    assert!(assessment.level.unwrap().rank >= 1);

    // An error reaches the browser as a status it can read.
    let request = one_metric("five_stage", "crm_adoption", Kind::Number(7.0));
    let answer = call(&address, "POST", path, &headers, framed(&request)).await;
    let status = answer_status(&answer);
    assert_eq!(status, "3", "INVALID_ARGUMENT: {answer:?}");
    // So is a body with no message at all: the caller's error.
    let answer = call(&address, "POST", path, &headers, Bytes::new()).await;
    let status = answer_status(&answer);
    assert_eq!(status, "3", "INVALID_ARGUMENT: {answer:?}");
    server.stop().await;
}

/// The grpc-status of an answer: in its trailers frame, or in its headers
/// when the call failed before any message ("trailers-only").
fn answer_status(answer: &support::http::Answer) -> String {
    let (_, trailers) = frames(answer.body.clone());
    let from_body = trailers
        .lines()
        .find_map(|l| l.trim().strip_prefix("grpc-status:").map(str::trim))
        .map(str::to_owned);
    from_body
        .or_else(|| answer.grpc_status.clone())
        .unwrap_or_default()
}
