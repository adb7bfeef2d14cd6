//! `maturity models`: the models, their levels and script hashes.

use super::args::ModelsArgs;
use super::deploy::Bearer;
use super::{CliError, connect, load_engine};
use crate::grpc::convert::model_to_pb;
use crate::grpc::pb;

/// Lists the models, locally or from a server.
pub(crate) async fn run(args: ModelsArgs) -> Result<(), CliError> {
    let (models, failures) = match &args.server {
        Some(url) => {
            let request = Bearer::new(args.token.as_deref())?.request(pb::ListModelsRequest {});
            let listed = connect(url).await?.list_models(request).await?.into_inner();
            (listed.models, listed.failures)
        }
        None => {
            let models = load_engine(args.scripts.as_deref())?
                .models()
                .map(|m| model_to_pb(m))
                .collect();
            (models, Vec::new())
        }
    };
    if args.json {
        let listed = pb::ListModelsResponse { models, failures };
        outln!(
            "{}",
            serde_json::to_string_pretty(&listed).unwrap_or_default()
        );
        return Ok(());
    }
    for model in &models {
        outln!("{} {}: {}", model.id, model.version, model.name);
        outln!("  sha256 {}", model.script_sha256);
        let levels: Vec<String> = model
            .levels
            .iter()
            .map(|l| format!("{} {}", l.rank, l.id))
            .collect();
        outln!("  levels {}", levels.join(", "));
        outln!("  reads {} metrics", model.metrics.len());
        if !model.load_error.is_empty() {
            outln!(
                "  newest edit refused, this version keeps serving: {}",
                model.load_error
            );
        }
    }
    for failure in &failures {
        outln!("refused {}: {}", failure.file, failure.error);
    }
    Ok(())
}
