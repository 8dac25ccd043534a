//! Turning `tracing` fields into spanlite attributes, and the special
//! `otel.*` fields that steer the span itself.

use spanlite::{KeyValue, SpanKind, Status};
use tracing_core::field::{Field, Visit};

/// What a set of fields says about a span. Attributes go to `A`: a vector,
/// or the builder of the span about to start.
#[derive(Debug, Default)]
pub(crate) struct Recorded<A = Vec<KeyValue>> {
    pub(crate) attributes: A,
    pub(crate) name: Option<String>,
    pub(crate) kind: Option<SpanKind>,
    pub(crate) status: Option<Status>,
    /// An event's `message` field.
    pub(crate) message: Option<String>,
}

fn kind_from(value: &str) -> Option<SpanKind> {
    match value.to_ascii_lowercase().as_str() {
        "server" => Some(SpanKind::Server),
        "client" => Some(SpanKind::Client),
        "producer" => Some(SpanKind::Producer),
        "consumer" => Some(SpanKind::Consumer),
        "internal" => Some(SpanKind::Internal),
        _ => None,
    }
}

impl<A: Extend<KeyValue>> Recorded<A> {
    /// Nothing recorded yet; attributes will go to `attributes`.
    pub(crate) fn into(attributes: A) -> Recorded<A> {
        Recorded {
            attributes,
            name: None,
            kind: None,
            status: None,
            message: None,
        }
    }

    fn add(&mut self, attribute: KeyValue) {
        self.attributes.extend([attribute]);
    }

    fn string(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = Some(value),
            "otel.name" => self.name = Some(value),
            "otel.kind" => self.kind = kind_from(&value),
            "otel.status_code" => match value.to_ascii_lowercase().as_str() {
                "ok" => self.status = Some(Status::Ok),
                "error" => self.status = Some(Status::error("")),
                _ => {}
            },
            "otel.status_message" | "otel.status_description" => {
                self.status = Some(Status::error(value));
            }
            "error" => {
                self.status = Some(Status::error(value.clone()));
                self.add(KeyValue::new(field.name(), value));
            }
            name => self.add(KeyValue::new(name, value)),
        }
    }
}

impl<A: Extend<KeyValue>> Visit for Recorded<A> {
    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "error" && value {
            self.status.get_or_insert_with(|| Status::error(""));
        }
        self.add(KeyValue::new(field.name(), value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.add(KeyValue::new(field.name(), value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        // Beyond i64, a number keeps its digits as a string.
        match i64::try_from(value) {
            Ok(v) => self.add(KeyValue::new(field.name(), v)),
            Err(_) => self.add(KeyValue::new(field.name(), value.to_string())),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.add(KeyValue::new(field.name(), value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.string(field, value.to_owned());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let message = value.to_string();
        self.status = Some(Status::error(message.clone()));
        self.add(KeyValue::new(field.name(), message));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.string(field, format!("{value:?}"));
    }
}
