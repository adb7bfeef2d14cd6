//! The routes of the HTTP API and their handlers. Each calls the gRPC
//! handler of the same method (or, for a stream, the same per-item answer),
//! so both faces authorize, bound and record a call alike.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use tonic::metadata::MetadataMap;
use tonic::{Code, Extensions, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::error::{
    bad_path, error_response, json_response, only_post, too_large, unreadable_body, wrong_method,
};
use super::lines::lines;
use super::openapi;
use crate::grpc::json::{assess_request_from_json, to_json_line};
use crate::grpc::limits::deadline_of;
use crate::grpc::pb;
use crate::grpc::pb::maturity_service_server::MaturityService;
use crate::grpc::service::MaturityApi;
use crate::grpc::stream::{answer, rpc_status};

/// Items of one stream assessed at once, as over gRPC.
const WINDOW: usize = 8;

/// The query parameters every route takes (the OpenAPI document lists
/// them); any other is refused, as an unknown body field is.
const QUERY_PARAMETERS: &[&str] = &["timeout"];

/// One route of the API, as the OpenAPI document describes it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `get` or `post`.
    pub method: &'static str,
    /// The path, with `{model}` for a model's id.
    pub path: &'static str,
    /// The gRPC method it calls.
    pub operation: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// The request message (full name), if it reads a body.
    pub request: Option<&'static str>,
    /// The answer's message (full name).
    pub response: &'static str,
    /// Whether body and answer are JSON lines, one message a line.
    pub lines: bool,
}

/// Every route the API answers; the OpenAPI document lists exactly these.
pub const ROUTES: &[Route] = &[
    Route {
        method: "post",
        path: "/v1/models/{model}:assess",
        operation: "Assess",
        summary: "Places one organisation on a model (the body's `model` may be left out).",
        request: Some("maturity.v1.AssessRequest"),
        response: "maturity.v1.Assessment",
        lines: false,
    },
    Route {
        method: "post",
        path: "/v1/models/{model}:assessStream",
        operation: "AssessStream",
        summary: "Assesses many organisations: one AssessRequest a line in, one AssessStreamResponse a line out, in order.",
        request: Some("maturity.v1.AssessRequest"),
        response: "maturity.v1.AssessStreamResponse",
        lines: true,
    },
    Route {
        method: "get",
        path: "/v1/models",
        operation: "ListModels",
        summary: "Lists every loaded model.",
        request: None,
        response: "maturity.v1.ListModelsResponse",
        lines: false,
    },
    Route {
        method: "get",
        path: "/v1/models/{model}",
        operation: "GetModel",
        summary: "Describes one model, with its levels and the metrics it reads.",
        request: None,
        response: "maturity.v1.Model",
        lines: false,
    },
    Route {
        method: "get",
        path: "/v1/openapi.json",
        operation: "OpenApi",
        summary: "This document.",
        request: None,
        response: "",
        lines: false,
    },
];

/// What every handler shares.
#[derive(Debug)]
struct Shared {
    api: MaturityApi,
    max_body: usize,
}

type Api = State<Arc<Shared>>;

/// The router of every route in [`ROUTES`]; anything else is NOT_FOUND.
pub(super) fn router(api: MaturityApi, max_body: usize) -> Router {
    Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/models/{model}", get(get_model).post(model_method))
        .route("/v1/openapi.json", get(openapi_json))
        .fallback(no_route)
        .method_not_allowed_fallback(not_a_method)
        .with_state(Arc::new(Shared { api, max_body }))
}

async fn list_models(State(shared): Api, headers: HeaderMap, uri: Uri) -> Response {
    let request = match grpc_request(&headers, &uri, pb::ListModelsRequest::default()) {
        Ok(request) => request,
        Err(status) => return error_response(&status),
    };
    respond(shared.api.list_models(request).await)
}

/// A path's `{model}` segment, percent-decoded; one that does not decode
/// (`%ff` is not UTF-8) is refused in the JSON error shape, not with
/// axum's plain-text 400.
#[derive(Debug)]
struct ModelName(String);

impl<S: Send + Sync> FromRequestParts<S> for ModelName {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(name)) => Ok(Self(name)),
            Err(rejection) => Err(bad_path(&rejection, parts.uri.path())),
        }
    }
}

async fn get_model(
    State(shared): Api,
    ModelName(name): ModelName,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Some((_, method)) = name.rsplit_once(':') {
        let path = crate::grpc::status::truncate(uri.path(), 128);
        if !["assess", "assessStream"].contains(&method) {
            return no_route(uri).await;
        }
        return only_post(format!("GET {path}: :{method} takes POST with a JSON body"));
    }
    let message = pb::GetModelRequest { model: name };
    let request = match grpc_request(&headers, &uri, message) {
        Ok(request) => request,
        Err(status) => return error_response(&status),
    };
    respond(shared.api.get_model(request).await)
}

/// `POST /v1/models/{model}:assess` and `:assessStream`.
async fn model_method(
    State(shared): Api,
    ModelName(name): ModelName,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    match name.rsplit_once(':') {
        Some((model, "assess")) => assess(&shared, model, &headers, &uri, body).await,
        Some((model, "assessStream")) => assess_stream(&shared, model, &headers, &uri, body),
        _ => error_response(&Status::not_found(format!(
            "no method at POST {}: use /v1/models/{{model}}:assess or :assessStream",
            uri.path()
        ))),
    }
}

async fn assess(
    shared: &Shared,
    model: &str,
    headers: &HeaderMap,
    uri: &Uri,
    body: Body,
) -> Response {
    // A body announced over the limit is refused before a byte of it is
    // read (and before `Expect: 100-continue` invites it).
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|length| length > shared.max_body as u64) {
        return too_large(shared.max_body);
    }
    let bytes = match axum::body::to_bytes(body, shared.max_body).await {
        Ok(bytes) => bytes,
        Err(err) => return unreadable_body(&err, shared.max_body),
    };
    let parsed = assess_request_from_json(&bytes).and_then(|r| with_model(r, model));
    let request = match parsed.and_then(|message| grpc_request(headers, uri, message)) {
        Ok(request) => request,
        Err(status) => return error_response(&status),
    };
    respond(shared.api.assess(request).await)
}

/// The answers stream as the requests arrive, one JSON line each, in order;
/// a line that is not an AssessRequest gets an error line of its own.
fn assess_stream(
    shared: &Shared,
    model: &str,
    headers: &HeaderMap,
    uri: &Uri,
    body: Body,
) -> Response {
    // What would fail every line fails the call, before its 200.
    let checked = grpc_request(headers, uri, ()).and_then(|request| {
        shared.api.authorize(&request)?;
        shared.api.check_model(model)?;
        deadline_of(request.metadata())
    });
    let deadline = match checked {
        Ok(deadline) => deadline,
        Err(status) => return error_response(&status),
    };
    let api = shared.api.clone();
    let model = model.to_owned();
    let answers = lines(body, shared.max_body)
        .map(move |line| {
            let api = api.clone();
            let model = model.clone();
            async move { answer_line(&api, &model, line, deadline).await }
        })
        .buffered(WINDOW)
        .map(|line| Ok::<_, std::convert::Infallible>(Bytes::from(line)));
    let mut response = Body::from_stream(answers).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    response
}

/// The answer to one line of a stream, as a JSON line.
async fn answer_line(
    api: &MaturityApi,
    model: &str,
    line: Result<Bytes, Status>,
    deadline: Option<Instant>,
) -> String {
    let request =
        line.and_then(|l| assess_request_from_json(&l).and_then(|r| with_model(r, model)));
    let response = match request {
        Ok(request) => answer(api, request, deadline).await,
        Err(status) => pb::AssessStreamResponse {
            request_id: String::new(),
            outcome: Some(pb::assess_stream_response::Outcome::Error(rpc_status(
                &status,
            ))),
        },
    };
    let mut line = to_json_line(&response);
    line.push('\n');
    line
}

async fn openapi_json(uri: Uri) -> Response {
    match query_timeout(&uri) {
        Ok(_) => json_response(StatusCode::OK, openapi::document().to_owned()),
        Err(status) => error_response(&status),
    }
}

async fn not_a_method(method: axum::http::Method, uri: Uri) -> Response {
    let path = crate::grpc::status::truncate(uri.path(), 128);
    wrong_method(method.as_str(), &path)
}

async fn no_route(uri: Uri) -> Response {
    error_response(&Status::not_found(format!(
        "no route {}: see /v1/openapi.json",
        crate::grpc::status::truncate(uri.path(), 128)
    )))
}

/// The request's model: the path's, which the body may repeat but not
/// contradict.
#[allow(clippy::result_large_err)]
fn with_model(mut request: pb::AssessRequest, model: &str) -> Result<pb::AssessRequest, Status> {
    if request.model.is_empty() {
        request.model = model.to_owned();
    } else if request.model != model {
        return Err(Status::invalid_argument(format!(
            "the body names model '{}', the path '{model}'",
            crate::grpc::status::truncate(&request.model, 64)
        )));
    }
    Ok(request)
}

/// `message` as the gRPC handlers receive it: the headers as metadata (the
/// bearer token, `grpc-timeout`), and a `timeout` query parameter (e.g.
/// `timeout=2s`, `timeout=500ms`) as `grpc-timeout`.
#[allow(clippy::result_large_err)]
fn grpc_request<T>(
    headers: &HeaderMap,
    uri: &Uri,
    message: T,
) -> Result<tonic::Request<T>, Status> {
    let mut metadata = MetadataMap::from_headers(headers.clone());
    if let Some(timeout) = query_timeout(uri)? {
        let value = grpc_timeout(timeout)
            .parse()
            .map_err(|_| Status::internal("timeout header"))?;
        metadata.insert("grpc-timeout", value);
    }
    Ok(tonic::Request::from_parts(
        metadata,
        Extensions::default(),
        message,
    ))
}

/// `timeout` as a `grpc-timeout` value, in the finest unit that holds it in
/// the eight digits gRPC allows (so `0s` stays zero and a year stays a
/// year).
fn grpc_timeout(timeout: Duration) -> String {
    const MOST: u128 = 99_999_999;
    let seconds = u128::from(timeout.as_secs());
    let units = [
        (timeout.as_nanos(), 'n'),
        (timeout.as_micros(), 'u'),
        (timeout.as_millis(), 'm'),
        (seconds, 'S'),
        (seconds / 60, 'M'),
        (seconds / 3600, 'H'),
    ];
    let (count, unit) = units
        .into_iter()
        .find(|(count, _)| *count <= MOST)
        .unwrap_or((MOST, 'H'));
    format!("{count}{unit}")
}

/// The `timeout` query parameter, if any; a parameter not in
/// [`QUERY_PARAMETERS`] is INVALID_ARGUMENT.
#[allow(clippy::result_large_err)]
fn query_timeout(uri: &Uri) -> Result<Option<Duration>, Status> {
    let Some(query) = uri.query() else {
        return Ok(None);
    };
    let mut timeout = None;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !QUERY_PARAMETERS.contains(&name) {
            return Err(unknown_parameter(name));
        }
        if timeout.is_none() {
            timeout = Some(humantime::parse_duration(value).map_err(|e| {
                let shown = crate::grpc::status::truncate(value, 32);
                Status::invalid_argument(format!(
                    "timeout: '{shown}' is not a duration such as 2s or 500ms: {e}"
                ))
            })?);
        }
    }
    Ok(timeout)
}

/// INVALID_ARGUMENT naming the query parameter `name` and those accepted.
fn unknown_parameter(name: &str) -> Status {
    let name = crate::grpc::status::truncate(name, 64);
    let accepted = QUERY_PARAMETERS.join(", ");
    let description = format!("unknown query parameter; accepted: {accepted}");
    Status::with_error_details(
        Code::InvalidArgument,
        format!("unknown query parameter '{name}': this API accepts only {accepted}"),
        ErrorDetails::with_bad_request_violation(name, description),
    )
}

/// A gRPC handler's answer as JSON, or its error.
fn respond<T: serde::Serialize>(answer: Result<tonic::Response<T>, Status>) -> Response {
    match answer {
        Ok(message) => json_response(StatusCode::OK, to_json_line(message.get_ref())),
        Err(status) => error_response(&status),
    }
}
