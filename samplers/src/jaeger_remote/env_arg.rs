//! The Jaeger remote samplers' `OTEL_TRACES_SAMPLER_ARG`:
//! `endpoint=http://host:5778,pollingIntervalMs=5000,initialSamplingRate=0.25`.

use std::time::Duration;

use super::builder::{DEFAULT_ENDPOINT, DEFAULT_INITIAL_SAMPLING_RATE, DEFAULT_POLLING_INTERVAL};
use super::http::Endpoint;
use super::{JaegerRemoteSampler, JaegerRemoteSamplerBuilder};

/// The settings the argument gives; `None`: the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct JaegerArg {
    endpoint: Option<String>,
    polling_interval: Option<Duration>,
    initial_sampling_rate: Option<f64>,
}

impl JaegerArg {
    /// Reads the comma-separated `key=value` list (keys matched without
    /// regard to case; each optional; empty entries ignored). Every
    /// problem (an unknown key, an entry without `=`, a bad value) is
    /// described in the list returned, and that key keeps its default.
    pub(crate) fn parse(arg: Option<&str>) -> (JaegerArg, Vec<String>) {
        let mut parsed = JaegerArg::default();
        let mut problems = Vec::new();
        let entries = arg.unwrap_or_default().split(',').map(str::trim);
        for entry in entries.filter(|entry| !entry.is_empty()) {
            let Some((key, value)) = entry.split_once('=') else {
                problems.push(format!("{:?} is not key=value", excerpt(entry)));
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if key.eq_ignore_ascii_case("endpoint") {
                match Endpoint::parse(value, "-") {
                    Ok(_) => parsed.endpoint = Some(value.to_owned()),
                    Err(why) => {
                        problems.push(format!("{why}; the default {DEFAULT_ENDPOINT} is used"))
                    }
                }
            } else if key.eq_ignore_ascii_case("pollingIntervalMs") {
                match value.parse::<u64>() {
                    Ok(ms) if ms > 0 => parsed.polling_interval = Some(Duration::from_millis(ms)),
                    _ => problems.push(format!(
                        "pollingIntervalMs {:?} is not a whole number of milliseconds above 0; \
                         {} is used",
                        excerpt(value),
                        DEFAULT_POLLING_INTERVAL.as_millis()
                    )),
                }
            } else if key.eq_ignore_ascii_case("initialSamplingRate") {
                match value.parse::<f64>() {
                    Ok(rate) if (0.0..=1.0).contains(&rate) => {
                        parsed.initial_sampling_rate = Some(rate)
                    }
                    _ => problems.push(format!(
                        "initialSamplingRate {:?} is not a number between 0 and 1; \
                         {DEFAULT_INITIAL_SAMPLING_RATE} is used",
                        excerpt(value)
                    )),
                }
            } else {
                problems.push(format!(
                    "unknown key {:?} (known: endpoint, pollingIntervalMs, initialSamplingRate)",
                    excerpt(key)
                ));
            }
        }
        (parsed, problems)
    }

    /// A builder for `service_name` with these settings.
    pub(crate) fn builder(&self, service_name: &str) -> JaegerRemoteSamplerBuilder {
        let mut builder = JaegerRemoteSampler::builder(service_name);
        if let Some(endpoint) = &self.endpoint {
            builder = builder.endpoint(endpoint.clone());
        }
        if let Some(interval) = self.polling_interval {
            builder = builder.polling_interval(interval);
        }
        if let Some(rate) = self.initial_sampling_rate {
            builder = builder.initial_sampling_rate(rate);
        }
        builder
    }
}

/// Values come from the environment: keep messages short.
fn excerpt(s: &str) -> String {
    const MAX: usize = 64;
    let mut short: String = s.chars().take(MAX).collect();
    if short.len() < s.len() {
        short.push_str("...");
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_optional() {
        for arg in [None, Some(""), Some(" , ")] {
            assert_eq!(JaegerArg::parse(arg), (JaegerArg::default(), vec![]));
        }
    }

    #[test]
    fn the_three_keys_are_read() {
        let (arg, problems) = JaegerArg::parse(Some(
            "endpoint=http://agent:5778, pollingIntervalMs=5000,INITIALSAMPLINGRATE=0.25",
        ));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            arg,
            JaegerArg {
                endpoint: Some("http://agent:5778".to_owned()),
                polling_interval: Some(Duration::from_millis(5000)),
                initial_sampling_rate: Some(0.25),
            }
        );
    }

    #[test]
    fn each_bad_entry_is_a_problem_and_keeps_its_default() {
        let (arg, problems) = JaegerArg::parse(Some(
            "endpoint=https://agent:5778,pollingIntervalMs=0,initialSamplingRate=2,color=blue,junk",
        ));
        assert_eq!(arg, JaegerArg::default());
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(
            problems[0].contains("https is not supported"),
            "{problems:?}"
        );
        assert!(problems[1].contains("60000 is used"), "{problems:?}");
        assert!(problems[2].contains("0.001 is used"), "{problems:?}");
        assert!(
            problems[3].contains("unknown key \"color\""),
            "{problems:?}"
        );
        assert!(
            problems[4].contains("\"junk\" is not key=value"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_bad_value_does_not_spoil_the_others() {
        let (arg, problems) =
            JaegerArg::parse(Some("pollingIntervalMs=soon,initialSamplingRate=1"));
        assert_eq!(problems.len(), 1);
        assert_eq!(arg.initial_sampling_rate, Some(1.0));
        assert_eq!(arg.polling_interval, None);
    }
}
