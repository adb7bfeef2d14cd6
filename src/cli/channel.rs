//! The connection every client command makes to `--server`: plaintext for
//! `http://`, TLS for `https://`, trusting the CA whose PEM file
//! `MATURITY_CA_CERT` names and, for mutual TLS, presenting the certificate
//! and key of `MATURITY_CLIENT_CERT` and `MATURITY_CLIENT_KEY`.

use std::path::PathBuf;

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use super::CliError;

/// The endpoint of `url`, with TLS set up for `https://`.
pub(crate) fn endpoint(url: &str) -> Result<Endpoint, CliError> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|e| CliError::Config(format!("--server: {e}")))?;
    if !url.starts_with("https://") {
        return Ok(endpoint);
    }
    let mut tls = ClientTlsConfig::new();
    if let Some(ca) = pem_of("MATURITY_CA_CERT")? {
        tls = tls.ca_certificate(Certificate::from_pem(ca));
    }
    match (
        pem_of("MATURITY_CLIENT_CERT")?,
        pem_of("MATURITY_CLIENT_KEY")?,
    ) {
        (Some(cert), Some(key)) => tls = tls.identity(Identity::from_pem(cert, key)),
        (None, None) => {}
        _ => {
            let message = "MATURITY_CLIENT_CERT and MATURITY_CLIENT_KEY go together";
            return Err(CliError::Config(message.into()));
        }
    }
    endpoint
        .tls_config(tls)
        .map_err(|e| CliError::Config(format!("--server {url}: {e}")))
}

/// A connection to `url`.
pub(crate) async fn connect(url: &str) -> Result<Channel, CliError> {
    endpoint(url)?
        .connect()
        .await
        .map_err(|source| CliError::Connect {
            url: url.to_owned(),
            source,
        })
}

/// The PEM file the variable `name` names, if it is set.
fn pem_of(name: &str) -> Result<Option<Vec<u8>>, CliError> {
    let Some(path) = std::env::var_os(name).map(PathBuf::from) else {
        return Ok(None);
    };
    std::fs::read(&path)
        .map(Some)
        .map_err(|source| CliError::Read { path, source })
}
