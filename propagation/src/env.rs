//! Choosing propagators from `OTEL_PROPAGATORS`.

use std::env::VarError;

use crate::{
    default_propagator, B3Encoding, B3Propagator, BaggagePropagator, JaegerPropagator,
    TextMapCompositePropagator, TextMapPropagator, TraceContextPropagator,
};

const OTEL_PROPAGATORS: &str = "OTEL_PROPAGATORS";

/// The propagators `OTEL_PROPAGATORS` names, as one composite.
///
/// | name           | propagator                                        |
/// |----------------|---------------------------------------------------|
/// | `tracecontext` | [`TraceContextPropagator`]                        |
/// | `baggage`      | [`BaggagePropagator`]                             |
/// | `b3`           | [`B3Propagator`], single header                   |
/// | `b3multi`      | [`B3Propagator`], `X-B3-*` headers                |
/// | `jaeger`       | [`JaegerPropagator`]                              |
/// | `none`         | nothing: an empty composite, which does nothing   |
///
/// Unset or empty, the default is `tracecontext,baggage`. Names are
/// separated by commas, trimmed and read ignoring case; a repeated name
/// counts once, in its first place. `none` wins over any other name. An
/// unknown name (or a value that is not Unicode) is reported on stderr as
/// `spanlite: invalid_env_var: ...` and ignored; when no known name
/// remains, the default is used.
pub fn propagator_from_env() -> TextMapCompositePropagator {
    match std::env::var(OTEL_PROPAGATORS) {
        Ok(value) => propagator_from_env_value(Some(&value)),
        Err(VarError::NotPresent) => propagator_from_env_value(None),
        Err(VarError::NotUnicode(_)) => {
            warn(&format!(
                "{OTEL_PROPAGATORS} is not valid Unicode; using the default"
            ));
            default_propagator()
        }
    }
}

/// [`propagator_from_env`] for a given value of `OTEL_PROPAGATORS`
/// (`None` when unset), without reading the environment.
///
/// ```
/// use spanlite_propagation::{propagator_from_env_value, TextMapPropagator};
/// let propagator = propagator_from_env_value(Some(" B3Multi , tracecontext,b3multi"));
/// assert_eq!(
///     propagator.fields(),
///     ["x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "traceparent", "tracestate"]
/// );
/// assert!(propagator_from_env_value(Some("none")).is_empty());
/// assert_eq!(propagator_from_env_value(None).len(), 2);
/// ```
pub fn propagator_from_env_value(value: Option<&str>) -> TextMapCompositePropagator {
    let choice = parse(value.unwrap_or(""));
    for warning in &choice.warnings {
        warn(warning);
    }
    choice.build()
}

fn warn(message: &str) {
    eprintln!("spanlite: invalid_env_var: {message}");
}

/// A propagator `OTEL_PROPAGATORS` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Name {
    TraceContext,
    Baggage,
    B3,
    B3Multi,
    Jaeger,
}

/// What a value of `OTEL_PROPAGATORS` asks for.
#[derive(Debug, PartialEq, Eq)]
struct Choice {
    /// `None`: the default.
    names: Option<Vec<Name>>,
    warnings: Vec<String>,
}

fn parse(value: &str) -> Choice {
    let mut names: Vec<Name> = Vec::new();
    let mut warnings = Vec::new();
    let mut none = false;
    for raw in value.split(',') {
        let raw = raw.trim();
        let name = match raw.to_ascii_lowercase().as_str() {
            "" => continue,
            "none" => {
                none = true;
                continue;
            }
            "tracecontext" => Name::TraceContext,
            "baggage" => Name::Baggage,
            "b3" => Name::B3,
            "b3multi" => Name::B3Multi,
            "jaeger" => Name::Jaeger,
            _ => {
                warnings.push(format!(
                    "{OTEL_PROPAGATORS}: unknown or unsupported propagator {raw:?}; ignored"
                ));
                continue;
            }
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if none {
        if !names.is_empty() {
            warnings.push(format!(
                "{OTEL_PROPAGATORS}: \"none\" given with other propagators; using none"
            ));
        }
        return Choice {
            names: Some(Vec::new()),
            warnings,
        };
    }
    Choice {
        names: (!names.is_empty()).then_some(names),
        warnings,
    }
}

impl Choice {
    fn build(&self) -> TextMapCompositePropagator {
        let Some(names) = &self.names else {
            return default_propagator();
        };
        let propagators = names
            .iter()
            .map(|name| -> Box<dyn TextMapPropagator> {
                match name {
                    Name::TraceContext => Box::new(TraceContextPropagator::new()),
                    Name::Baggage => Box::new(BaggagePropagator::new()),
                    Name::B3 => Box::new(B3Propagator::new()),
                    Name::B3Multi => {
                        Box::new(B3Propagator::with_encoding(B3Encoding::MultipleHeaders))
                    }
                    Name::Jaeger => Box::new(JaegerPropagator::new()),
                }
            })
            .collect();
        TextMapCompositePropagator::new(propagators)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(value: &str) -> Option<Vec<Name>> {
        parse(value).names
    }

    #[test]
    fn empty_or_blank_value_means_the_default() {
        for value in ["", "  ", " , ,"] {
            assert_eq!(
                parse(value),
                Choice {
                    names: None,
                    warnings: vec![]
                },
                "{value:?}"
            );
        }
        assert_eq!(parse("").build().fields(), default_propagator().fields());
    }

    #[test]
    fn names_are_trimmed_and_read_ignoring_case() {
        assert_eq!(
            names(" TraceContext ,\tBAGGAGE , b3 "),
            Some(vec![Name::TraceContext, Name::Baggage, Name::B3])
        );
    }

    #[test]
    fn every_supported_name_is_known() {
        assert_eq!(
            names("tracecontext,baggage,b3,b3multi,jaeger"),
            Some(vec![
                Name::TraceContext,
                Name::Baggage,
                Name::B3,
                Name::B3Multi,
                Name::Jaeger
            ])
        );
    }

    #[test]
    fn repeated_names_count_once_in_their_first_place() {
        assert_eq!(
            names("b3,tracecontext,B3,tracecontext"),
            Some(vec![Name::B3, Name::TraceContext])
        );
    }

    #[test]
    fn unknown_names_are_ignored_with_a_warning() {
        let choice = parse("xray,tracecontext,bogus");
        assert_eq!(choice.names, Some(vec![Name::TraceContext]));
        assert_eq!(choice.warnings.len(), 2);
        assert!(
            choice.warnings[0].contains("\"xray\""),
            "{:?}",
            choice.warnings
        );
        assert!(
            choice.warnings[1].contains("\"bogus\""),
            "{:?}",
            choice.warnings
        );
    }

    #[test]
    fn only_unknown_names_fall_back_to_the_default() {
        let choice = parse("ottrace");
        assert_eq!(choice.names, None);
        assert_eq!(choice.warnings.len(), 1);
    }

    #[test]
    fn none_means_no_propagator() {
        let choice = parse("none");
        assert_eq!(
            choice,
            Choice {
                names: Some(vec![]),
                warnings: vec![]
            }
        );
        assert!(choice.build().is_empty());
    }

    #[test]
    fn none_wins_over_other_names_with_a_warning() {
        let choice = parse("tracecontext,None");
        assert_eq!(choice.names, Some(vec![]));
        assert_eq!(choice.warnings.len(), 1);
    }

    #[test]
    fn the_composite_runs_the_named_propagators_in_order() {
        let fields = parse("jaeger,b3multi,baggage").build().fields().to_vec();
        assert_eq!(
            fields,
            [
                "uber-trace-id",
                "x-b3-traceid",
                "x-b3-spanid",
                "x-b3-sampled",
                "baggage"
            ]
        );
    }
}
