//! The sampler named by `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
//!
//! | variable | values | default |
//! |---|---|---|
//! | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`, `jaeger_remote`, `parentbased_jaeger_remote` (these two with the `jaeger-remote` feature, on by default) | `parentbased_always_on` (the caller's default) |
//! | `OTEL_TRACES_SAMPLER_ARG` | for the `traceidratio` samplers, the ratio in `[0, 1]` | `1.0` |
//! | | for the `jaeger_remote` samplers, `endpoint=<url>,pollingIntervalMs=<ms>,initialSamplingRate=<ratio>`, each key optional | `endpoint=http://localhost:5778/sampling,pollingIntervalMs=60000,initialSamplingRate=0.001` |
//!
//! As the spec asks: an empty value is unset, names are matched without
//! regard to case, an unknown name is reported and ignored, and an invalid
//! ratio is reported and replaced by 1.0. In a Jaeger remote sampler's
//! argument, an unknown key or a bad value is reported and that key keeps
//! its default. The Jaeger remote samplers ask for the strategy of the
//! service they are given (see [`sampler_from_config_for_service`]).

use std::fmt;

#[cfg(feature = "jaeger-remote")]
use crate::jaeger_remote::JaegerArg;
use crate::{AlwaysOff, AlwaysOn, ParentBased, Sampler, TraceIdRatioBased};

/// The variable naming the sampler.
const SAMPLER_VAR: &str = "OTEL_TRACES_SAMPLER";
/// The variable holding the sampler's argument.
const ARG_VAR: &str = "OTEL_TRACES_SAMPLER_ARG";

/// The names this crate builds a sampler for.
#[cfg(feature = "jaeger-remote")]
const KNOWN: &str = "always_on, always_off, traceidratio, parentbased_always_on, \
                     parentbased_always_off, parentbased_traceidratio, jaeger_remote, \
                     parentbased_jaeger_remote";
#[cfg(not(feature = "jaeger-remote"))]
const KNOWN: &str = "always_on, always_off, traceidratio, parentbased_always_on, \
                     parentbased_always_off, parentbased_traceidratio";

/// The service a Jaeger remote sampler asks for when none is given: the
/// spec's fallback `service.name` (without the executable's name).
const UNKNOWN_SERVICE: &str = "unknown_service";

/// The sampler a configuration names: `name` is an `OTEL_TRACES_SAMPLER`
/// value, `arg` an `OTEL_TRACES_SAMPLER_ARG` value (`None` or empty when
/// unset). Reads no environment. The Jaeger remote samplers ask for the
/// strategy of `unknown_service`: give them the application's service name
/// with [`sampler_from_config_for_service`].
///
/// The ratio of `traceidratio` and `parentbased_traceidratio` defaults to
/// 1.0. A ratio that is not a number in `[0, 1]` is not an error: 1.0 is
/// used, and [`sampler_arg_warning`] says what was wrong, for the caller to
/// print. The same holds for the keys of the Jaeger remote samplers'
/// argument. Arguments of the other samplers are ignored.
///
/// # Errors
///
/// - [`is_unsupported`](SamplerConfigError::is_unsupported): a sampler the
///   spec names that spanlite does not have: `xray`, and `jaeger_remote`
///   and `parentbased_jaeger_remote` when the `jaeger-remote` feature is
///   off.
/// - [`is_unknown`](SamplerConfigError::is_unknown): any other name.
/// - [`is_start_failed`](SamplerConfigError::is_start_failed): a Jaeger
///   remote sampler could not start its polling thread.
///
/// ```
/// use spanlite_samplers::sampler_from_config;
///
/// let sampler = sampler_from_config("parentbased_traceidratio", Some("0.25")).unwrap();
/// assert!(sampler.description().starts_with("ParentBased{root:TraceIdRatioBased{0.25},"));
///
/// assert!(sampler_from_config("xray", None).unwrap_err().is_unsupported());
/// assert!(sampler_from_config("sometimes", None).unwrap_err().is_unknown());
/// ```
pub fn sampler_from_config(
    name: &str,
    arg: Option<&str>,
) -> Result<Box<dyn Sampler>, SamplerConfigError> {
    sampler_from_config_for_service(name, arg, UNKNOWN_SERVICE)
}

/// Like [`sampler_from_config`], with the name of the service the
/// spans come from: the Jaeger remote samplers (`jaeger_remote`,
/// `parentbased_jaeger_remote`) ask their endpoint for its strategy. Give
/// the resource's `service.name` (which `OTEL_SERVICE_NAME` sets). The
/// other samplers do not use it.
///
/// # Errors
///
/// As [`sampler_from_config`].
///
/// ```
/// use spanlite_samplers::sampler_from_config_for_service;
///
/// let arg = "endpoint=http://127.0.0.1:5778,pollingIntervalMs=5000,initialSamplingRate=0.25";
/// match sampler_from_config_for_service("parentbased_jaeger_remote", Some(arg), "checkout") {
///     // Polls http://127.0.0.1:5778/sampling?service=checkout every 5 s.
///     Ok(sampler) => assert!(sampler.description().starts_with("ParentBased{root:JaegerRemoteSampler{")),
///     // Built without the `jaeger-remote` feature.
///     Err(error) => assert!(error.is_unsupported()),
/// }
/// ```
pub fn sampler_from_config_for_service(
    name: &str,
    arg: Option<&str>,
    service_name: &str,
) -> Result<Box<dyn Sampler>, SamplerConfigError> {
    let (plan, _) = configure(name, arg)?;
    plan.start(service_name)
}

/// The warning to print for a sampler argument that
/// [`sampler_from_config`] would replace, in part or whole, by its
/// default: `Some` when `name` is a ratio sampler and `arg` is set but not
/// a number in `[0, 1]`, or a Jaeger remote sampler and `arg` has an
/// unknown key or a bad value (one warning for them all). The error's
/// [`is_invalid_arg`](SamplerConfigError::is_invalid_arg) is true. Starts
/// no sampler.
///
/// ```
/// use spanlite_samplers::sampler_arg_warning;
///
/// assert!(sampler_arg_warning("traceidratio", Some("0.5")).is_none());
/// let warning = sampler_arg_warning("traceidratio", Some("half")).unwrap();
/// assert!(warning.is_invalid_arg());
/// assert!(sampler_arg_warning("always_on", Some("half")).is_none());
/// ```
pub fn sampler_arg_warning(name: &str, arg: Option<&str>) -> Option<SamplerConfigError> {
    configure(name, arg).ok().and_then(|(_, warning)| warning)
}

/// The sampler `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` name, or
/// `None` when the first is unset or empty, or names no sampler spanlite
/// has: then the caller keeps its default (the spec's is
/// `parentbased_always_on`). Bad values are reported on stderr as
/// `spanlite: invalid_env_var: ...`; an invalid ratio falls back to 1.0.
/// A Jaeger remote sampler asks for the strategy of `OTEL_SERVICE_NAME`,
/// else of `unknown_service` (the SDK's tracer provider gives it its
/// resource's `service.name` instead).
///
/// ```
/// use spanlite_samplers::{sampler_from_env, ParentBased, AlwaysOn, Sampler};
///
/// let sampler: Box<dyn Sampler> =
///     sampler_from_env().unwrap_or_else(|| Box::new(ParentBased::new(AlwaysOn)));
/// # let _ = sampler;
/// ```
pub fn sampler_from_env() -> Option<Box<dyn Sampler>> {
    let name = env_value(SAMPLER_VAR)?;
    let arg = env_value(ARG_VAR);
    let started = configure(&name, arg.as_deref()).and_then(|(plan, warning)| {
        if let Some(warning) = warning {
            report(ARG_VAR, arg.as_deref().unwrap_or_default(), &warning);
        }
        let service = env_value("OTEL_SERVICE_NAME");
        plan.start(service.as_deref().unwrap_or(UNKNOWN_SERVICE))
    });
    match started {
        Ok(sampler) => Some(sampler),
        Err(error) => {
            report(
                SAMPLER_VAR,
                &name,
                &format_args!("{error}; the default sampler is kept"),
            );
            None
        }
    }
}

/// The trimmed value of `var`; `None` when unset or empty, or (reported)
/// when not Unicode.
fn env_value(var: &str) -> Option<String> {
    let raw = std::env::var_os(var)?;
    match raw.to_str() {
        Some(value) => {
            let value = value.trim();
            (!value.is_empty()).then(|| value.to_owned())
        }
        None => {
            report(var, &raw.to_string_lossy(), &"not valid Unicode; ignored");
            None
        }
    }
}

fn report(var: &str, value: &str, problem: &dyn fmt::Display) {
    crate::diagnostics::report(
        "invalid_env_var",
        format_args!("{var}={value:?}: {problem}"),
    );
}

/// A sampler a configuration names, not started yet: so that
/// [`sampler_arg_warning`] starts no polling thread.
enum Plan {
    Ready(Box<dyn Sampler>),
    #[cfg(feature = "jaeger-remote")]
    JaegerRemote {
        parent_based: bool,
        arg: JaegerArg,
    },
}

impl Plan {
    #[cfg_attr(not(feature = "jaeger-remote"), allow(unused_variables))]
    fn start(self, service_name: &str) -> Result<Box<dyn Sampler>, SamplerConfigError> {
        match self {
            Plan::Ready(sampler) => Ok(sampler),
            #[cfg(feature = "jaeger-remote")]
            Plan::JaegerRemote { parent_based, arg } => {
                let sampler = arg.builder(service_name).build().map_err(|error| {
                    SamplerConfigError::new(ErrorKind::StartFailed(error.to_string()))
                })?;
                Ok(if parent_based {
                    Box::new(ParentBased::new(sampler))
                } else {
                    Box::new(sampler)
                })
            }
        }
    }
}

/// The Jaeger remote sampler `name` names, with the one warning for the
/// problems of its argument.
#[cfg(feature = "jaeger-remote")]
fn jaeger_remote(
    name: &str,
    arg: Option<&str>,
) -> Result<(Plan, Option<SamplerConfigError>), SamplerConfigError> {
    let (arg, problems) = JaegerArg::parse(arg);
    let warning = (!problems.is_empty()).then(|| {
        SamplerConfigError::new(ErrorKind::InvalidArgs {
            sampler: name.to_owned(),
            problems: problems.join("; "),
        })
    });
    let parent_based = name.starts_with("parentbased_");
    Ok((Plan::JaegerRemote { parent_based, arg }, warning))
}

#[cfg(not(feature = "jaeger-remote"))]
fn jaeger_remote(
    name: &str,
    _arg: Option<&str>,
) -> Result<(Plan, Option<SamplerConfigError>), SamplerConfigError> {
    Err(SamplerConfigError::new(ErrorKind::FeatureOff(
        name.to_owned(),
    )))
}

fn configure(
    name: &str,
    arg: Option<&str>,
) -> Result<(Plan, Option<SamplerConfigError>), SamplerConfigError> {
    let name = name.trim().to_ascii_lowercase();
    let sampler: Box<dyn Sampler> = match name.as_str() {
        "always_on" => Box::new(AlwaysOn),
        "always_off" => Box::new(AlwaysOff),
        "parentbased_always_on" => Box::new(ParentBased::new(AlwaysOn)),
        "parentbased_always_off" => Box::new(ParentBased::new(AlwaysOff)),
        "traceidratio" | "parentbased_traceidratio" => {
            let (ratio, warning) = match ratio(arg) {
                Ok(ratio) => (ratio, None),
                Err(raw) => (1.0, Some(SamplerConfigError::invalid_arg(&name, raw))),
            };
            let root = TraceIdRatioBased::new(ratio);
            let sampler: Box<dyn Sampler> = if name == "traceidratio" {
                Box::new(root)
            } else {
                Box::new(ParentBased::new(root))
            };
            return Ok((Plan::Ready(sampler), warning));
        }
        "jaeger_remote" | "parentbased_jaeger_remote" => return jaeger_remote(&name, arg),
        "xray" => return Err(SamplerConfigError::new(ErrorKind::NotSupported(name))),
        _ => return Err(SamplerConfigError::new(ErrorKind::Unknown(excerpt(&name)))),
    };
    Ok((Plan::Ready(sampler), None))
}

/// The ratio in `arg`, 1.0 when unset or empty; `Err` with the raw text
/// when it is not a number in `[0, 1]`.
fn ratio(arg: Option<&str>) -> Result<f64, &str> {
    let Some(raw) = arg.map(str::trim).filter(|raw| !raw.is_empty()) else {
        return Ok(1.0);
    };
    match raw.parse::<f64>() {
        Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
        _ => Err(raw),
    }
}

/// Names come from the environment: keep error messages short.
fn excerpt(s: &str) -> String {
    const MAX: usize = 64;
    let mut short: String = s.chars().take(MAX).collect();
    if short.len() < s.len() {
        short.push_str("...");
    }
    short
}

/// Why a sampler configuration could not be used as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamplerConfigError {
    kind: ErrorKind,
}

// Private so that new kinds are not breaking changes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ErrorKind {
    Unknown(String),
    #[cfg_attr(feature = "jaeger-remote", allow(dead_code))]
    FeatureOff(String),
    NotSupported(String),
    InvalidArg {
        sampler: String,
        arg: String,
    },
    #[cfg_attr(not(feature = "jaeger-remote"), allow(dead_code))]
    InvalidArgs {
        sampler: String,
        problems: String,
    },
    #[cfg_attr(not(feature = "jaeger-remote"), allow(dead_code))]
    StartFailed(String),
}

impl SamplerConfigError {
    fn new(kind: ErrorKind) -> SamplerConfigError {
        SamplerConfigError { kind }
    }

    fn invalid_arg(sampler: &str, arg: &str) -> SamplerConfigError {
        SamplerConfigError::new(ErrorKind::InvalidArg {
            sampler: sampler.to_owned(),
            arg: excerpt(arg),
        })
    }

    /// The name is not one the spec defines.
    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, ErrorKind::Unknown(_))
    }

    /// The spec defines the sampler but this build of spanlite does not
    /// have it: the Jaeger remote samplers when the `jaeger-remote`
    /// feature is off; X-Ray is not planned.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::FeatureOff(_) | ErrorKind::NotSupported(_)
        )
    }

    /// The argument is not valid for the sampler (a warning: the default
    /// argument, or for a Jaeger remote sampler the default of each bad
    /// key, is used instead).
    pub fn is_invalid_arg(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::InvalidArg { .. } | ErrorKind::InvalidArgs { .. }
        )
    }

    /// A Jaeger remote sampler could not start (the operating system
    /// refused its polling thread).
    pub fn is_start_failed(&self) -> bool {
        matches!(self.kind, ErrorKind::StartFailed(_))
    }
}

impl fmt::Display for SamplerConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Unknown(name) => {
                write!(f, "unknown sampler {name:?} (known: {KNOWN})")
            }
            ErrorKind::FeatureOff(name) => write!(
                f,
                "the {name:?} sampler is not available: spanlite-samplers was built \
                 without its `jaeger-remote` feature"
            ),
            ErrorKind::NotSupported(name) => {
                write!(f, "the {name:?} sampler is not supported by spanlite")
            }
            ErrorKind::InvalidArg { sampler, arg } => write!(
                f,
                "{arg:?} is not a sampling ratio between 0 and 1 for {sampler}; 1.0 is used"
            ),
            ErrorKind::InvalidArgs { sampler, problems } => {
                write!(f, "in the argument of {sampler}: {problems}")
            }
            ErrorKind::StartFailed(why) => write!(f, "the sampler could not start: {why}"),
        }
    }
}

impl std::error::Error for SamplerConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn description(name: &str, arg: Option<&str>) -> String {
        match sampler_from_config(name, arg) {
            Ok(sampler) => sampler.description(),
            Err(e) => format!("error: {e}"),
        }
    }

    fn parent_based(root: &str) -> String {
        ParentBased::new(AlwaysOn).description().replacen(
            "root:AlwaysOnSampler",
            &format!("root:{root}"),
            1,
        )
    }

    #[test]
    fn always_on_and_always_off_are_the_constant_samplers() {
        assert_eq!(description("always_on", None), "AlwaysOnSampler");
        assert_eq!(description("always_off", None), "AlwaysOffSampler");
    }

    #[test]
    fn parentbased_always_on_and_off_wrap_them_in_parent_based() {
        assert_eq!(
            description("parentbased_always_on", None),
            parent_based("AlwaysOnSampler")
        );
        assert_eq!(
            description("parentbased_always_off", None),
            parent_based("AlwaysOffSampler")
        );
    }

    #[test]
    fn traceidratio_takes_its_ratio_from_the_argument() {
        assert_eq!(
            description("traceidratio", Some("0.25")),
            "TraceIdRatioBased{0.25}"
        );
        assert_eq!(
            description("parentbased_traceidratio", Some("0.001")),
            parent_based("TraceIdRatioBased{0.001}")
        );
    }

    #[test]
    fn the_ratio_defaults_to_one_when_the_argument_is_unset_or_empty() {
        for arg in [None, Some(""), Some("  ")] {
            assert_eq!(description("traceidratio", arg), "TraceIdRatioBased{1}");
            assert!(sampler_arg_warning("traceidratio", arg).is_none());
        }
    }

    #[test]
    fn an_invalid_ratio_falls_back_to_one_with_a_warning() {
        for arg in ["abc", "1.5", "-0.1", "NaN", "inf", "0,5", "50%"] {
            assert_eq!(
                description("traceidratio", Some(arg)),
                "TraceIdRatioBased{1}",
                "{arg}"
            );
            assert_eq!(
                description("parentbased_traceidratio", Some(arg)),
                parent_based("TraceIdRatioBased{1}")
            );
            let warning = sampler_arg_warning("parentbased_traceidratio", Some(arg));
            assert!(warning.is_some_and(|w| w.is_invalid_arg()), "{arg}");
        }
    }

    #[test]
    fn ratios_at_the_edges_and_in_exponent_form_are_valid() {
        assert_eq!(
            description("traceidratio", Some("0")),
            "TraceIdRatioBased{0}"
        );
        assert_eq!(
            description("traceidratio", Some("1")),
            "TraceIdRatioBased{1}"
        );
        assert_eq!(
            description("traceidratio", Some("1e-4")),
            "TraceIdRatioBased{0.0001}"
        );
        assert_eq!(
            description("traceidratio", Some(" 0.5 ")),
            "TraceIdRatioBased{0.5}"
        );
    }

    #[test]
    fn the_argument_of_samplers_without_one_is_ignored() {
        assert_eq!(description("always_on", Some("junk")), "AlwaysOnSampler");
        assert!(sampler_arg_warning("always_off", Some("junk")).is_none());
    }

    #[test]
    fn names_are_matched_without_regard_to_case_or_surrounding_space() {
        assert_eq!(description(" Always_On ", None), "AlwaysOnSampler");
        assert_eq!(
            description("TRACEIDRATIO", Some("0.5")),
            "TraceIdRatioBased{0.5}"
        );
    }

    /// An endpoint that accepts connections and never answers, so that a
    /// sampler polling it stays on its initial sampler, quietly.
    #[cfg(feature = "jaeger-remote")]
    fn silent_endpoint() -> (std::net::TcpListener, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        (listener, url)
    }

    #[cfg(feature = "jaeger-remote")]
    #[test]
    fn the_jaeger_remote_samplers_start_with_their_argument() {
        let (_listener, url) = silent_endpoint();
        let arg = format!("endpoint={url},pollingIntervalMs=5000,initialSamplingRate=0.25");
        let plain = sampler_from_config_for_service("jaeger_remote", Some(&arg), "shop").unwrap();
        assert_eq!(
            plain.description(),
            "JaegerRemoteSampler{initial:TraceIdRatioBased{0.25}}"
        );
        let debug = format!("{plain:?}");
        assert!(
            debug.contains(&format!("{url}/sampling?service=shop")),
            "{debug}"
        );
        assert!(debug.contains("polling_interval: 5s"), "{debug}");
        assert!(sampler_arg_warning("jaeger_remote", Some(&arg)).is_none());

        let wrapped = sampler_from_config("Parentbased_Jaeger_Remote", Some(&arg)).unwrap();
        assert_eq!(
            wrapped.description(),
            parent_based("JaegerRemoteSampler{initial:TraceIdRatioBased{0.25}}")
        );
        let debug = format!("{wrapped:?}");
        assert!(debug.contains("?service=unknown_service"), "{debug}");
    }

    #[cfg(feature = "jaeger-remote")]
    #[test]
    fn bad_jaeger_remote_arguments_are_one_warning_and_the_defaults() {
        let arg = "endpoint=https://agent:5778,pollingIntervalMs=-5,initialSamplingRate=x,y=z";
        let warning = sampler_arg_warning("jaeger_remote", Some(arg)).unwrap();
        assert!(warning.is_invalid_arg() && !warning.is_unsupported());
        let message = warning.to_string();
        for part in ["https", "pollingIntervalMs", "initialSamplingRate", "\"y\""] {
            assert!(message.contains(part), "{part}: {message}");
        }
        let sampler = sampler_from_config("jaeger_remote", Some(arg)).unwrap();
        assert_eq!(
            sampler.description(),
            "JaegerRemoteSampler{initial:TraceIdRatioBased{0.001}}"
        );
        let debug = format!("{sampler:?}");
        assert!(
            debug.contains("http://localhost:5778/sampling?service=unknown_service"),
            "{debug}"
        );
    }

    #[cfg(not(feature = "jaeger-remote"))]
    #[test]
    fn without_the_feature_the_jaeger_remote_samplers_are_unsupported() {
        for name in ["jaeger_remote", "parentbased_jaeger_remote"] {
            let err =
                sampler_from_config(name, Some("endpoint=http://localhost:5778")).unwrap_err();
            assert!(err.is_unsupported() && !err.is_unknown(), "{name}");
            assert!(err.to_string().contains("jaeger-remote"), "{err}");
            assert!(sampler_arg_warning(name, Some("junk")).is_none());
        }
    }

    #[test]
    fn xray_is_a_known_name_but_unsupported() {
        let err = sampler_from_config("xray", None).unwrap_err();
        assert!(err.is_unsupported());
        assert!(!err.to_string().contains("yet"));
    }

    #[test]
    fn unknown_names_are_errors_that_list_the_known_ones() {
        for name in [
            "",
            "sometimes",
            "always-on",
            "parentbased_",
            "traceidratio2",
        ] {
            let err = sampler_from_config(name, None).unwrap_err();
            assert!(err.is_unknown() && !err.is_unsupported(), "{name:?}");
            assert!(err.to_string().contains("parentbased_traceidratio"));
        }
    }

    #[test]
    fn a_huge_unknown_name_gives_a_short_message() {
        let name = "x".repeat(10_000);
        let message = sampler_from_config(&name, None).unwrap_err().to_string();
        assert!(message.len() < 400, "{}", message.len());
    }

    #[test]
    fn errors_are_not_warnings_and_warnings_are_not_errors() {
        let warning = sampler_arg_warning("traceidratio", Some("x")).unwrap();
        assert!(!warning.is_unknown() && !warning.is_unsupported());
        assert!(warning.to_string().contains("1.0 is used"), "{warning}");
        assert!(sampler_arg_warning("nonsense", Some("x")).is_none());
    }
}
