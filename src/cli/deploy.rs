//! `maturity deploy`: a model script and its test cases, sent to a running
//! server through PutModel, in place of the version the caller names with
//! `--expected-sha256` (a change made since is refused, not overwritten),
//! or else of whatever serves at that moment.

use tonic::Request;
use tonic::metadata::{Ascii, MetadataValue};

use super::CliError;
use super::args::DeployArgs;
use crate::engine::cases::Case;
use crate::engine::{Engine, Limits, ScriptSource, read_scripts_dir};
use crate::grpc::convert::case_to_pb;
use crate::grpc::pb;
use crate::grpc::pb::admin_service_client::AdminServiceClient;
use crate::grpc::pb::maturity_service_client::MaturityServiceClient;

/// Deploys the script and prints what the server answered.
pub(crate) async fn run(args: DeployArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.script).map_err(|source| CliError::Read {
        path: args.script.clone(),
        source,
    })?;
    let dir = args
        .script
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let set = read_scripts_dir(dir)?;
    let name = args.script.display().to_string();
    let model = Engine::new(Limits::default())
        .compile(&ScriptSource::new(name, text.clone()), &set.libs)
        .inspect_err(|_| {
            if set.libs.is_empty() {
                eprintln!(
                    "note: no lib/ in {}: a script is checked and deployed with the helpers and cases of its own directory",
                    dir.display()
                );
            }
        })?;
    let id = model.id().to_owned();
    let cases = set
        .cases_of(&id)
        .map(|source| {
            Case::from_json(&source.text)
                .map(case_to_pb)
                .map_err(|e| CliError::Input {
                    path: dir.join(&source.file),
                    message: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let channel = super::channel::connect(&args.server).await?;
    let bearer = Bearer::new(Some(&args.token))?;
    // The server compares hashes as it prints them, in lowercase hex.
    let expected_sha256 = match args.expected_sha256.map(|h| h.to_ascii_lowercase()) {
        Some(hash) if hash == "none" => String::new(),
        Some(hash) => hash,
        None => serving_sha256(&channel, &id, &bearer).await?,
    };
    let request = bearer.request(pb::PutModelRequest {
        source: text,
        expected_sha256,
        cases,
    });
    let put = AdminServiceClient::new(channel)
        .put_model(request)
        .await?
        .into_inner();
    out!("{}", summary(&put));
    Ok(())
}

/// The `authorization: Bearer <token>` metadata a client sends on every
/// call to a server, or nothing without a token. The value is marked
/// sensitive, so not even `Debug` shows it.
#[derive(Debug, Clone)]
pub(crate) struct Bearer(Option<MetadataValue<Ascii>>);

impl Bearer {
    /// The metadata of `--token`, when given.
    pub(crate) fn new(token: Option<&str>) -> Result<Self, CliError> {
        let Some(token) = token else {
            return Ok(Self(None));
        };
        let mut value = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| CliError::Config("--token: not a valid header value".into()))?;
        value.set_sensitive(true);
        Ok(Self(Some(value)))
    }

    /// `message` as a request that carries the token.
    pub(crate) fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        request
    }

    /// The `authorization` header's value, for an HTTP/JSON call.
    pub(crate) fn header(&self) -> Option<&[u8]> {
        self.0.as_ref().map(MetadataValue::as_encoded_bytes)
    }
}

/// The hash of `id`'s version serving now; empty when there is none.
async fn serving_sha256(
    channel: &tonic::transport::Channel,
    id: &str,
    bearer: &Bearer,
) -> Result<String, CliError> {
    let serving = MaturityServiceClient::new(channel.clone())
        .get_model(bearer.request(pb::GetModelRequest {
            model: id.to_owned(),
        }))
        .await;
    match serving {
        Ok(model) => Ok(model.into_inner().script_sha256),
        Err(status) if status.code() == tonic::Code::NotFound => Ok(String::new()),
        Err(status) => Err(status.into()),
    }
}

/// What the server answered, for a person.
fn summary(put: &pb::PutModelResponse) -> String {
    let mut out = if put.unchanged {
        format!(
            "{} {} was already serving: nothing changed\n",
            put.model, put.script_sha256
        )
    } else {
        let passed = put.cases.iter().filter(|c| c.passed).count();
        format!(
            "deployed {} {} (replacing {}), {passed} of {} test cases passed\n",
            put.model,
            put.script_sha256,
            if put.previous_sha256.is_empty() {
                "nothing"
            } else {
                &put.previous_sha256
            },
            put.cases.len()
        )
    };
    for warning in &put.warnings {
        out += &format!("warning: {warning}\n");
    }
    out
}
