//! TLS for the HTTP exporters: which servers to trust and, optionally, the
//! client's own certificate (rustls).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

/// PEM text, given in code or read from a file when the exporter is built.
#[derive(Clone, PartialEq, Eq)]
enum Pem {
    File(PathBuf),
    Text(Vec<u8>),
}

impl Pem {
    fn read(&self, what: &str) -> Result<Vec<u8>, String> {
        match self {
            Pem::Text(bytes) => Ok(bytes.clone()),
            Pem::File(path) => std::fs::read(path)
                .map_err(|e| format!("cannot read the {what} file {}: {e}", path.display())),
        }
    }

    fn certificates(&self, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
        let pem = self.read(what)?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the {what} is not valid PEM: {e}"))?;
        if certs.is_empty() {
            return Err(format!("the {what} holds no PEM certificate"));
        }
        Ok(certs)
    }
}

impl fmt::Debug for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pem::File(path) => write!(f, "{}", path.display()),
            // Key material stays out of logs.
            Pem::Text(bytes) => write!(f, "<{} bytes of PEM>", bytes.len()),
        }
    }
}

/// Which servers an exporter trusts over `https://`, and the client
/// certificate it presents if the server asks for one (mutual TLS).
///
/// Without a CA certificate the system's trust store is used; with one,
/// only that CA (as the `OTEL_EXPORTER_OTLP_CERTIFICATE` variable means).
/// Files are read when the exporter is built, and a missing or malformed
/// file is an error then, not at the first export.
///
/// ```
/// use spanlite_exporters::TlsConfig;
/// let tls = TlsConfig::new()
///     .with_ca_certificate_file("/etc/otel/ca.pem")
///     .with_client_identity_files("/etc/otel/client.pem", "/etc/otel/client-key.pem");
/// # drop(tls);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    ca: Option<Pem>,
    identity: Option<(Pem, Pem)>,
}

impl TlsConfig {
    /// Trust the system's certificate store, present no client certificate.
    pub fn new() -> TlsConfig {
        TlsConfig::default()
    }

    /// Trust only the CA certificate(s) in this PEM file.
    pub fn with_ca_certificate_file(mut self, path: impl Into<PathBuf>) -> TlsConfig {
        self.ca = Some(Pem::File(path.into()));
        self
    }

    /// Trust only the CA certificate(s) in this PEM text.
    pub fn with_ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> TlsConfig {
        self.ca = Some(Pem::Text(pem.into()));
        self
    }

    /// Present the certificate chain and private key in these PEM files.
    pub fn with_client_identity_files(
        mut self,
        certificate: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> TlsConfig {
        self.identity = Some((Pem::File(certificate.into()), Pem::File(key.into())));
        self
    }

    /// Present the certificate chain and private key in this PEM text.
    pub fn with_client_identity_pem(
        mut self,
        certificate: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> TlsConfig {
        self.identity = Some((Pem::Text(certificate.into()), Pem::Text(key.into())));
        self
    }

    /// Sets the client identity from two optional files (environment
    /// variables may name one without the other, which is an error).
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub(crate) fn set_client_identity_files(
        &mut self,
        certificate: Option<PathBuf>,
        key: Option<PathBuf>,
    ) -> Result<(), String> {
        match (certificate, key) {
            (Some(c), Some(k)) => {
                self.identity = Some((Pem::File(c), Pem::File(k)));
                Ok(())
            }
            (None, None) => Ok(()),
            (Some(_), None) => Err("a client certificate was given without its key".into()),
            (None, Some(_)) => Err("a client key was given without its certificate".into()),
        }
    }

    /// The rustls configuration (the connector sets the ALPN protocols).
    pub(crate) fn client_config(&self) -> Result<ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        match &self.ca {
            Some(ca) => {
                for cert in ca.certificates("CA certificate")? {
                    roots
                        .add(cert)
                        .map_err(|e| format!("the CA certificate is not usable: {e}"))?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                // Some unreadable entries are normal; an empty store is not
                // an error here either: the handshake will say what failed.
                roots.add_parsable_certificates(found.certs);
            }
        }
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots);
        let config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = cert.certificates("client certificate")?;
                let key_pem = key.read("client key")?;
                let key = PrivateKeyDer::from_pem_slice(&key_pem)
                    .map_err(|e| format!("the client key is not a PEM private key: {e}"))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("the client certificate and key do not fit: {e}"))?
            }
        };
        Ok(config)
    }
}
