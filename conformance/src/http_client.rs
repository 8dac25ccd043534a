//! A small blocking HTTP client for querying peers on 127.0.0.1.

use std::time::Duration;

use serde_json::Value;

use crate::HarnessError;

/// Largest response body read (a search over many traces is large).
const MAX_BODY_BYTES: u64 = 512 << 20;

/// A GET's outcome: the status and the body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body as text.
    pub body: String,
}

impl HttpResponse {
    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, HarnessError> {
        serde_json::from_str(&self.body).map_err(|e| {
            HarnessError::query(format!(
                "response (status {}) is not JSON: {e}; body starts {:?}",
                self.status,
                self.body.chars().take(300).collect::<String>()
            ))
        })
    }
}

/// Blocking GETs with a per-request timeout, no proxy (peers are local), and
/// every status returned rather than turned into an error.
#[derive(Debug, Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
}

impl HttpClient {
    /// A client whose requests each take at most `timeout`.
    pub fn new(timeout: Duration) -> HttpClient {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(timeout))
            .build();
        HttpClient {
            agent: config.into(),
        }
    }

    /// GETs `url`; fails only when no HTTP response came back.
    pub fn get(&self, url: &str) -> Result<HttpResponse, HarnessError> {
        let mut response = self
            .agent
            .get(url)
            .call()
            .map_err(|e| HarnessError::query(format!("GET {url}: {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .map_err(|e| HarnessError::query(format!("GET {url}: reading the body: {e}")))?;
        Ok(HttpResponse { status, body })
    }
}
