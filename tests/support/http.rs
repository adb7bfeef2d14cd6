//! A real server with its HTTP/JSON API on 127.0.0.1:0, and a plain
//! HTTP/1.1 client.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use maturity_engine::deploy::Catalog;
use maturity_engine::grpc::ServeOptions;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::TestServer;

/// A running server whose HTTP API is at `http` (host:port).
pub struct HttpServer {
    pub grpc: TestServer,
    pub http: String,
}

/// Starts the real server on `catalog` with its HTTP API, both bound first.
pub async fn start_http_server(catalog: Arc<Catalog>, options: ServeOptions) -> HttpServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let http_address = http.local_addr().unwrap().to_string();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        maturity_engine::grpc::serve_with_http(listener, Some(http), catalog, options, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    HttpServer {
        grpc: TestServer {
            url,
            shutdown: Some(tx),
            handle,
        },
        http: http_address,
    }
}

/// The built-in models over HTTP, default options.
pub async fn start_builtin_http_server() -> HttpServer {
    let engine = maturity_engine::engine::Engine::with_builtin_models().unwrap();
    start_http_server(Arc::new(Catalog::fixed(engine)), ServeOptions::default()).await
}

/// An answer: status, content type and body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Bytes,
    /// The grpc-status header, if any (a gRPC-Web trailers-only answer).
    pub grpc_status: Option<String>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as JSON lines.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8_lossy(&self.body)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Sends one request on a fresh connection to `address`.
pub async fn call(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Answer {
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", address);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body.into())).unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let grpc_status = response
        .headers()
        .get("grpc-status")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        body,
        grpc_status,
    }
}
