//! Reaching a Temporal server: address, namespace, TLS and an API key, as the `temporal` CLI
//! names them. Plain (unencrypted) gRPC only to loopback: workflow histories hold task inputs and
//! results, and an API key is a bearer credential.

use std::{net::Ipv4Addr, path::PathBuf, str::FromStr};

use clap::Args;
use plaid_idv_retry_interface::is_loopback;
use temporalio_client::{
    Client, ClientOptions, ClientTlsOptions, Connection, ConnectionOptions, TlsOptions, Url,
};

use crate::{
    codec::{CodecArgs, KeyRing},
    error::Error,
};

/// The environment variable an API key is read from: a flag's value shows in `ps`.
pub const API_KEY_VAR: &str = "TEMPORAL_API_KEY";

#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// The Temporal frontend, HOST:PORT or a URL.
    #[arg(long, env = "TEMPORAL_ADDRESS", default_value = "127.0.0.1:7233", value_name = "URL")]
    pub address: String,
    #[arg(long, env = "TEMPORAL_NAMESPACE", default_value = "default", value_name = "NS")]
    pub namespace: String,
    /// The task queue the workers poll and the workflows run on.
    #[arg(long, default_value = "plaid-idv-retry", value_name = "Q")]
    pub task_queue: String,
    /// Use TLS (implied by an https:// address, a CA, a client certificate or an API key).
    #[arg(long)]
    pub tls: bool,
    /// PEM file of the CA that signed the server's certificate (default: the system's roots).
    #[arg(long, value_name = "FILE")]
    pub tls_ca_path: Option<PathBuf>,
    /// PEM client certificate for mTLS (with --tls-key-path).
    #[arg(long, value_name = "FILE", requires = "tls_key_path")]
    pub tls_cert_path: Option<PathBuf>,
    #[arg(long, value_name = "FILE", requires = "tls_cert_path")]
    pub tls_key_path: Option<PathBuf>,
    /// The name the server's certificate must carry, if not the address's host.
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
}

impl ServerArgs {
    /// A client on the namespace, connected, encrypting every payload with `keys` (the worker
    /// built on it too). The API key, if any, comes from `TEMPORAL_API_KEY`.
    pub async fn connect(&self, keys: &KeyRing, codec: CodecArgs) -> Result<Client, Error> {
        let api_key = std::env::var(API_KEY_VAR).ok().filter(|k| !k.is_empty());
        let tls = self.tls
            || self.tls_ca_path.is_some()
            || self.tls_cert_path.is_some()
            || api_key.is_some()
            || self.address.starts_with("https://");
        let url = self.url(tls)?;
        let tls_options = if tls { Some(self.tls_options()?) } else { None };
        let options = ConnectionOptions::new(url.clone())
            .identity(identity())
            .maybe_api_key(api_key)
            .maybe_tls_options(tls_options)
            .build();
        let connection = Connection::connect(options)
            .await
            .map_err(|e| Error::new(format!("cannot reach Temporal at {url}: {e}")))?;
        let options =
            ClientOptions::new(self.namespace.clone()).data_converter(keys.data_converter(codec)).build();
        Client::new(connection, options)
            .map_err(|e| Error::new(format!("cannot use namespace {:?}: {e}", self.namespace)))
    }

    fn url(&self, tls: bool) -> Result<Url, Error> {
        let text = if self.address.contains("://") {
            self.address.clone()
        } else {
            format!("{}://{}", if tls { "https" } else { "http" }, self.address)
        };
        let mut url = Url::from_str(&text).map_err(|e| Error::new(format!("--address: not a URL ({e})")))?;
        // Plain gRPC to `localhost` goes to loopback, never looked up: in an image whose hosts file
        // lacks the entry, DNS would decide where it goes. (TLS keeps the name its certificate
        // carries.)
        if url.scheme() == "http" && url.host_str().is_some_and(|h| h.eq_ignore_ascii_case("localhost")) {
            url.set_ip_host(Ipv4Addr::LOCALHOST.into())
                .map_err(|()| Error::new("--address: cannot use localhost in this URL"))?;
        }
        let host = url.host_str().unwrap_or_default();
        match url.scheme() {
            "https" => {}
            "http" if tls => return Err(Error::new("--address: http:// with TLS options; use https://")),
            "http" if is_loopback(host) => {}
            "http" => {
                return Err(Error::new(
                    "--address: plain gRPC is allowed only to loopback; use --tls (or an https:// address)",
                ))
            }
            other => return Err(Error::new(format!("--address: unsupported scheme {other}"))),
        }
        Ok(url)
    }

    fn tls_options(&self) -> Result<TlsOptions, Error> {
        let read = |flag: &str, path: &PathBuf| {
            std::fs::read(path)
                .map_err(|e| Error::new(format!("{flag}: cannot read {}: {e}", path.display())))
        };
        let ca = self.tls_ca_path.as_ref().map(|p| read("--tls-ca-path", p)).transpose()?;
        let client = match (&self.tls_cert_path, &self.tls_key_path) {
            (Some(cert), Some(key)) => Some(
                ClientTlsOptions::builder()
                    .client_cert(read("--tls-cert-path", cert)?)
                    .client_private_key(read("--tls-key-path", key)?)
                    .build(),
            ),
            _ => None,
        };
        Ok(TlsOptions::builder()
            .maybe_server_root_ca_cert(ca)
            .maybe_domain(self.tls_server_name.clone())
            .maybe_client_tls_options(client)
            .build())
    }
}

/// `pid@host`, as Temporal's SDKs name a worker in the history (`ActivityTaskStarted.identity`).
fn identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}@{}", std::process::id(), host.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        server: ServerArgs,
    }

    fn url(args: &[&str]) -> Result<String, Error> {
        let cli = Cli::parse_from([&["x"], args].concat());
        cli.server.url(cli.server.tls).map(|u| u.to_string())
    }

    #[test]
    fn plain_grpc_only_to_loopback() {
        assert_eq!(url(&["--address", "127.0.0.1:7233"]).unwrap(), "http://127.0.0.1:7233/");
        assert_eq!(
            url(&["--address", "localhost:7233"]).unwrap(),
            "http://127.0.0.1:7233/",
            "never looked up"
        );
        assert_eq!(url(&["--address", "http://LOCALHOST:7233"]).unwrap(), "http://127.0.0.1:7233/");
        assert!(url(&["--address", "http://[::1]:7233"]).is_ok());
        let e = url(&["--address", "temporal.example:7233"]).unwrap_err();
        assert!(e.message.contains("loopback"), "{e}");
        assert_eq!(
            url(&["--address", "ns.tmprl.cloud:7233", "--tls"]).unwrap(),
            "https://ns.tmprl.cloud:7233/"
        );
        assert!(url(&["--address", "http://10.0.0.1:7233", "--tls"]).is_err());
    }
}
