//! `maturity deploy`: a model script and its test cases, sent to a running
//! server through PutModel, in place of the version the caller names with
//! `--expected-sha256` (a change made since is refused, not overwritten),
//! or else of whatever serves at that moment.

use tonic::Request;
use tonic::metadata::MetadataValue;

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
        .compile(&ScriptSource::new(name, text.clone()), &set.libs)?;
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
    let channel = tonic::transport::Endpoint::from_shared(args.server.clone())
        .map_err(|e| CliError::Config(format!("--server: {e}")))?
        .connect()
        .await
        .map_err(|source| CliError::Connect {
            url: args.server.clone(),
            source,
        })?;
    let expected_sha256 = match args.expected_sha256 {
        Some(hash) if hash == "none" => String::new(),
        Some(hash) => hash,
        None => serving_sha256(&channel, &id).await?,
    };
    let mut request = Request::new(pb::PutModelRequest {
        source: text,
        expected_sha256,
        cases,
    });
    let bearer = MetadataValue::try_from(format!("Bearer {}", args.token))
        .map_err(|_| CliError::Config("--token: not a valid header value".into()))?;
    request.metadata_mut().insert("authorization", bearer);
    let put = AdminServiceClient::new(channel)
        .put_model(request)
        .await?
        .into_inner();
    print!("{}", summary(&put));
    Ok(())
}

/// The hash of `id`'s version serving now; empty when there is none.
async fn serving_sha256(channel: &tonic::transport::Channel, id: &str) -> Result<String, CliError> {
    let serving = MaturityServiceClient::new(channel.clone())
        .get_model(pb::GetModelRequest {
            model: id.to_owned(),
        })
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
