//! The sampling strategy a Jaeger sampling endpoint answers with, read
//! from its JSON.
//!
//! The format is the JSON form of Jaeger's `SamplingStrategyResponse`
//! (api_v2 `sampling.proto`):
//!
//! ```text
//! {"strategyType":0,"probabilisticSampling":{"samplingRate":0.5}}
//! {"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":5},
//!  "operationSampling":{"defaultSamplingProbability":0.001,
//!    "defaultLowerBoundTracesPerSecond":0,"defaultUpperBoundTracesPerSecond":0,
//!    "perOperationStrategies":[{"operation":"op1","probabilisticSampling":{"samplingRate":0.2}}]}}
//! ```
//!
//! As Jaeger's own clients do, `operationSampling` wins when present; else
//! `strategyType` (0 or `"PROBABILISTIC"`, 1 or `"RATE_LIMITING"`) names the
//! strategy, and when it is missing the strategy whose object is present is
//! used. As in any proto3 JSON, a missing number is 0, and unknown fields
//! are ignored. `defaultUpperBoundTracesPerSecond` is ignored, as Jaeger's
//! clients ignore it. Anything else (not JSON, a required object missing, a
//! probability outside `[0, 1]`, a negative rate) is an invalid answer.

use serde_json::{Map, Value};

/// A strategy as the endpoint gave it. Two answers that parse to equal
/// strategies change nothing, so rate limiters keep their state across
/// polls.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Strategy {
    /// Sample this fraction of traces, by trace id.
    Probabilistic { rate: f64 },
    /// Sample at most this many traces per second.
    RateLimiting { per_second: f64 },
    /// A strategy per span name.
    PerOperation(PerOperationStrategy),
}

/// Per-operation sampling: each span name its own probability, all with
/// the same guaranteed lower bound of traces per second.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PerOperationStrategy {
    /// The probability of operations without a strategy of their own.
    pub(crate) default_probability: f64,
    /// Traces per second each operation is sampled at, at least.
    pub(crate) lower_bound: f64,
    /// The operations with their own probability, in the answer's order.
    pub(crate) operations: Vec<(String, f64)>,
}

impl Strategy {
    /// The strategy in a response body; `Err` says what is wrong with it.
    pub(crate) fn from_json(body: &[u8]) -> Result<Strategy, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
        let Value::Object(top) = &value else {
            return Err("the answer is not a JSON object".to_owned());
        };
        if let Some(operations) = object(top, "operationSampling")? {
            return per_operation(operations).map(Strategy::PerOperation);
        }
        let kind = match top.get("strategyType") {
            None | Some(Value::Null) => None,
            Some(kind) => Some(strategy_type(kind)?),
        };
        let probabilistic = object(top, "probabilisticSampling")?;
        let rate_limiting = object(top, "rateLimitingSampling")?;
        match (kind, probabilistic, rate_limiting) {
            (Some(Kind::Probabilistic) | None, Some(p), _) => Ok(Strategy::Probabilistic {
                rate: probability(p, "samplingRate")?,
            }),
            (Some(Kind::RateLimiting) | None, _, Some(r)) => Ok(Strategy::RateLimiting {
                per_second: rate(r, "maxTracesPerSecond")?,
            }),
            (Some(Kind::Probabilistic), None, _) => {
                Err("strategyType is PROBABILISTIC but probabilisticSampling is missing".into())
            }
            (Some(Kind::RateLimiting), _, None) => {
                Err("strategyType is RATE_LIMITING but rateLimitingSampling is missing".into())
            }
            (None, None, None) => Err("the answer holds no sampling strategy".to_owned()),
        }
    }

    /// A short summary for the sampler's description.
    pub(crate) fn summary(&self) -> String {
        match self {
            Strategy::Probabilistic { rate } => format!("probabilistic:{rate}"),
            Strategy::RateLimiting { per_second } => format!("ratelimiting:{per_second}"),
            Strategy::PerOperation(s) => format!(
                "perOperation{{default:{},lowerBound:{},operations:{}}}",
                s.default_probability,
                s.lower_bound,
                s.operations.len()
            ),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Probabilistic,
    RateLimiting,
}

fn strategy_type(value: &Value) -> Result<Kind, String> {
    match value {
        Value::Number(n) if n.as_u64() == Some(0) => Ok(Kind::Probabilistic),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(Kind::RateLimiting),
        Value::String(s) if s == "PROBABILISTIC" => Ok(Kind::Probabilistic),
        Value::String(s) if s == "RATE_LIMITING" => Ok(Kind::RateLimiting),
        other => Err(format!("unknown strategyType {}", excerpt(other))),
    }
}

fn per_operation(map: &Map<String, Value>) -> Result<PerOperationStrategy, String> {
    let default_probability = probability(map, "defaultSamplingProbability")?;
    let lower_bound = rate(map, "defaultLowerBoundTracesPerSecond")?;
    let list = match map.get("perOperationStrategies") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(list)) => list.as_slice(),
        Some(_) => return Err("perOperationStrategies is not an array".to_owned()),
    };
    let operations = list
        .iter()
        .map(|entry| {
            let Value::Object(entry) = entry else {
                return Err("a per-operation strategy is not an object".to_owned());
            };
            let Some(Value::String(name)) = entry.get("operation") else {
                return Err("a per-operation strategy has no operation name".to_owned());
            };
            let Some(p) = object(entry, "probabilisticSampling")? else {
                return Err(format!(
                    "the strategy of operation {name:?} has no probabilisticSampling"
                ));
            };
            Ok((name.clone(), probability(p, "samplingRate")?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(PerOperationStrategy {
        default_probability,
        lower_bound,
        operations,
    })
}

/// The object under `key`; `None` when missing or null.
fn object<'a>(
    map: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(_) => Err(format!("{key} is not an object")),
    }
}

/// The number under `key`; 0 when missing or null (proto3's default).
fn number(map: &Map<String, Value>, key: &str) -> Result<f64, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(0.0),
        Some(Value::Number(n)) => n.as_f64().ok_or_else(|| format!("{key} is out of range")),
        Some(other) => Err(format!("{key} is not a number: {}", excerpt(other))),
    }
}

fn probability(map: &Map<String, Value>, key: &str) -> Result<f64, String> {
    let p = number(map, key)?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{key} {p} is not a probability between 0 and 1"))
    }
}

fn rate(map: &Map<String, Value>, key: &str) -> Result<f64, String> {
    let r = number(map, key)?;
    if r.is_finite() && r >= 0.0 {
        Ok(r)
    } else {
        Err(format!("{key} {r} is not a rate of 0 or more"))
    }
}

/// Answers may be large: quote at most a little of a value.
fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Strategy, String> {
        Strategy::from_json(json.as_bytes())
    }

    #[test]
    fn jaegers_probabilistic_answer() {
        assert_eq!(
            parse(r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.5}}"#),
            Ok(Strategy::Probabilistic { rate: 0.5 })
        );
        assert_eq!(
            parse(r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}}"#),
            Ok(Strategy::Probabilistic { rate: 1.0 })
        );
    }

    #[test]
    fn jaegers_rate_limiting_answer() {
        assert_eq!(
            parse(r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":5}}"#),
            Ok(Strategy::RateLimiting { per_second: 5.0 })
        );
        assert_eq!(
            parse(
                r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":2.5}}"#
            ),
            Ok(Strategy::RateLimiting { per_second: 2.5 })
        );
    }

    #[test]
    fn operation_sampling_wins_over_the_strategy_type() {
        let json = r#"{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":5},
            "operationSampling":{"defaultSamplingProbability":0.001,
            "defaultLowerBoundTracesPerSecond":0,"perOperationStrategies":[
            {"operation":"op1","probabilisticSampling":{"samplingRate":0.2}}],
            "defaultUpperBoundTracesPerSecond":0}}"#;
        assert_eq!(
            parse(json),
            Ok(Strategy::PerOperation(PerOperationStrategy {
                default_probability: 0.001,
                lower_bound: 0.0,
                operations: vec![("op1".to_owned(), 0.2)],
            }))
        );
    }

    #[test]
    fn without_a_strategy_type_the_present_object_decides() {
        assert_eq!(
            parse(r#"{"probabilisticSampling":{"samplingRate":0.25}}"#),
            Ok(Strategy::Probabilistic { rate: 0.25 })
        );
        assert_eq!(
            parse(r#"{"rateLimitingSampling":{"maxTracesPerSecond":3},"x":[1]}"#),
            Ok(Strategy::RateLimiting { per_second: 3.0 })
        );
    }

    #[test]
    fn a_missing_number_is_protos_default_zero() {
        assert_eq!(
            parse(r#"{"strategyType":0,"probabilisticSampling":{}}"#),
            Ok(Strategy::Probabilistic { rate: 0.0 })
        );
    }

    #[test]
    fn invalid_answers_are_errors() {
        for json in [
            "",
            "garbage",
            r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":0.5}"#,
            "[]",
            "{}",
            r#"{"strategyType":2,"probabilisticSampling":{"samplingRate":0.5}}"#,
            r#"{"strategyType":0}"#,
            r#"{"strategyType":1,"probabilisticSampling":{"samplingRate":0.5}}"#,
            r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":1.5}}"#,
            r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":-0.1}}"#,
            r#"{"strategyType":0,"probabilisticSampling":{"samplingRate":"0.5"}}"#,
            r#"{"strategyType":0,"probabilisticSampling":0.5}"#,
            r#"{"rateLimitingSampling":{"maxTracesPerSecond":-1}}"#,
            r#"{"operationSampling":{"perOperationStrategies":{}}}"#,
            r#"{"operationSampling":{"perOperationStrategies":[{"operation":"a"}]}}"#,
            r#"{"operationSampling":{"perOperationStrategies":[{"probabilisticSampling":{}}]}}"#,
            r#"{"operationSampling":{"defaultSamplingProbability":2}}"#,
        ] {
            assert!(parse(json).is_err(), "{json}");
        }
    }

    #[test]
    fn a_huge_invalid_value_gives_a_short_message() {
        let json = format!(r#"{{"strategyType":"{}"}}"#, "x".repeat(100_000));
        assert!(parse(&json).unwrap_err().len() < 200);
    }
}
