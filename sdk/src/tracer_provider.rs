//! The tracer provider: configuration, tracers, flush and shutdown.

use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::processor::BatchSpanProcessor;
use crate::tracer::TracerBuilder;
use crate::{
    diagnostics, env, sampler_arg_warning, sampler_from_config_for_service, AlwaysOn, IdGenerator,
    ParentBased, PipelineError, PipelineStats, RandomIdGenerator, Resource, Sampler,
    SamplingDecision, SimpleSpanProcessor, SpanData, SpanExporter, SpanLimits, SpanProcessor,
    Tracer,
};

/// How long dropping the last provider handle waits for its shutdown.
const DROP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// What every tracer and span of a provider shares.
pub(crate) struct ProviderInner {
    pub(crate) resource: Resource,
    pub(crate) sampler: Box<dyn Sampler>,
    /// The sampler's [`constant_decision`](Sampler::constant_decision),
    /// asked once.
    pub(crate) constant_decision: Option<SamplingDecision>,
    /// Whether the sampler [decides by the context
    /// alone](Sampler::decides_by_context_alone), asked once.
    pub(crate) context_only_sampler: bool,
    /// A custom id generator; `None` for [`RandomIdGenerator`], called
    /// without dynamic dispatch.
    pub(crate) id_generator: Option<Box<dyn IdGenerator>>,
    /// Whether root spans set the W3C Level 2 random flag.
    pub(crate) random_trace_flag: bool,
    pub(crate) limits: SpanLimits,
    pub(crate) processors: Vec<Box<dyn SpanProcessor>>,
    /// Whether some processor [wants `on_start`](SpanProcessor::wants_on_start).
    pub(crate) on_start: bool,
    disabled: bool,
    shut_down: AtomicBool,
}

impl ProviderInner {
    /// Whether new spans may record.
    #[inline]
    pub(crate) fn is_active(&self) -> bool {
        !self.disabled && !self.shut_down.load(Ordering::Relaxed)
    }

    pub(crate) fn end_span(&self, span: &SpanData) {
        for processor in &self.processors {
            processor.on_end(span);
        }
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), PipelineError> {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(PipelineError::already_shutdown());
        }
        self.each_processor(timeout, |p, left| p.shutdown(left))
    }

    /// Runs `f` on every processor, each with what is left of `timeout`;
    /// returns the first error after all have run.
    fn each_processor(
        &self,
        timeout: Duration,
        f: impl Fn(&dyn SpanProcessor, Duration) -> Result<(), PipelineError>,
    ) -> Result<(), PipelineError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut result = Ok(());
        for processor in &self.processors {
            let left = deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));
            if let Err(e) = f(&**processor, left) {
                result = result.and(Err(e));
            }
        }
        result
    }
}

impl fmt::Debug for ProviderInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracerProvider")
            .field("resource", &self.resource)
            .field("sampler", &self.sampler.description())
            .field("limits", &self.limits)
            .field("processors", &self.processors)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// Shuts the provider down when the last application handle goes.
#[derive(Debug)]
struct Handle(Arc<ProviderInner>);

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.0.shut_down.load(Ordering::Acquire) {
            let _ = self.0.shutdown(DROP_SHUTDOWN_TIMEOUT);
        }
    }
}

/// The entry point of the SDK: owns the sampler, the processors and the
/// resource, and hands out [`Tracer`]s. Cheap to clone; the last clone to
/// be dropped shuts the pipeline down (waiting at most 5 s).
///
/// ```
/// use spanlite::{InMemoryExporter, TracerProvider};
/// use std::time::Duration;
/// let exporter = InMemoryExporter::new();
/// let provider = TracerProvider::builder()
///     .with_simple_exporter(exporter.clone())
///     .build();
/// provider.tracer("docs").in_span("parent", |_cx| {});
/// provider.shutdown(Duration::from_secs(1)).unwrap();
/// assert_eq!(exporter.finished_spans()[0].name(), "parent");
/// ```
#[derive(Clone, Debug)]
pub struct TracerProvider {
    handle: Arc<Handle>,
}

impl TracerProvider {
    /// A builder with the spec's defaults and the environment's overrides.
    pub fn builder() -> TracerProviderBuilder {
        TracerProviderBuilder::default()
    }

    /// A tracer for the instrumentation scope `name`.
    pub fn tracer(&self, name: impl Into<Cow<'static, str>>) -> Tracer {
        self.tracer_builder(name).build()
    }

    /// A builder for a tracer with a version, schema URL or attributes.
    pub fn tracer_builder(&self, name: impl Into<Cow<'static, str>>) -> TracerBuilder {
        TracerBuilder::new(self.handle.0.clone(), name.into())
    }

    /// The resource spans from this provider describe.
    pub fn resource(&self) -> &Resource {
        &self.handle.0.resource
    }

    /// Exports every span ended so far; returns within `timeout`.
    pub fn force_flush(&self, timeout: Duration) -> Result<(), PipelineError> {
        let inner = &self.handle.0;
        if inner.shut_down.load(Ordering::Acquire) {
            return Err(PipelineError::already_shutdown());
        }
        inner.each_processor(timeout, |p, left| p.force_flush(left))
    }

    /// Flushes and shuts every processor down, once; returns within
    /// `timeout`. Afterwards tracers make spans that do not record.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), PipelineError> {
        self.handle.0.shutdown(timeout)
    }

    /// What became of the sampled spans, summed over the processors.
    pub fn stats(&self) -> PipelineStats {
        self.handle
            .0
            .processors
            .iter()
            .filter_map(|p| p.stats())
            .fold(PipelineStats::default(), |a, b| a + b)
    }
}

/// Configures a [`TracerProvider`].
///
/// Environment variables read by [`TracerProvider::builder`]:
///
/// | variable | default | effect |
/// |---|---|---|
/// | `OTEL_SDK_DISABLED` | false | `true`: tracers make spans that never record |
/// | `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` | `parentbased_always_on` | the sampler; `jaeger_remote` ones ask for the resource's `service.name` |
/// | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | | see [`Resource`] |
/// | `OTEL_*_LIMIT` | 128 | see [`SpanLimits::from_env`] |
/// | `OTEL_BSP_*` | | see [`BatchConfig`](crate::BatchConfig) (for `with_batch_exporter`) |
pub struct TracerProviderBuilder {
    resource: Option<Resource>,
    sampler: SamplerSetting,
    id_generator: Option<Box<dyn IdGenerator>>,
    random_trace_flag: bool,
    limits: SpanLimits,
    processors: Vec<Box<dyn SpanProcessor>>,
    disabled: bool,
}

/// The sampler the builder was given, or the `OTEL_TRACES_SAMPLER` and
/// `OTEL_TRACES_SAMPLER_ARG` values read by `builder()`: that sampler is
/// only made by `build()`, because a Jaeger remote sampler asks for the
/// strategy of the resource's service (and one the application replaces
/// never starts polling).
enum SamplerSetting {
    Given(Box<dyn Sampler>),
    FromEnv {
        name: Option<String>,
        arg: Option<String>,
    },
}

impl SamplerSetting {
    fn from_env() -> SamplerSetting {
        SamplerSetting::FromEnv {
            name: env::string("OTEL_TRACES_SAMPLER"),
            arg: env::string("OTEL_TRACES_SAMPLER_ARG"),
        }
    }

    fn into_sampler(self, resource: &Resource) -> Box<dyn Sampler> {
        match self {
            SamplerSetting::Given(sampler) => sampler,
            SamplerSetting::FromEnv { name, arg } => {
                sampler_from_env(name, arg.as_deref(), resource)
            }
        }
    }
}

impl fmt::Debug for SamplerSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamplerSetting::Given(sampler) => f.write_str(&sampler.description()),
            SamplerSetting::FromEnv { name, arg } => f
                .debug_struct("FromEnv")
                .field("OTEL_TRACES_SAMPLER", name)
                .field("OTEL_TRACES_SAMPLER_ARG", arg)
                .finish(),
        }
    }
}

/// The sampler `name` and `arg` (the values of `OTEL_TRACES_SAMPLER` /
/// `OTEL_TRACES_SAMPLER_ARG`) name, else the spec's default
/// `ParentBased(AlwaysOn)`. A Jaeger remote sampler asks for the strategy of
/// the resource's `service.name`. Bad values are reported and ignored.
fn sampler_from_env(
    name: Option<String>,
    arg: Option<&str>,
    resource: &Resource,
) -> Box<dyn Sampler> {
    let default = || -> Box<dyn Sampler> { Box::new(ParentBased::new(AlwaysOn)) };
    let Some(name) = name else {
        return default();
    };
    if let Some(warning) = sampler_arg_warning(&name, arg) {
        diagnostics::warn(
            "invalid_env_var",
            format_args!(
                "OTEL_TRACES_SAMPLER_ARG={:?}: {warning}",
                arg.unwrap_or_default()
            ),
        );
    }
    let service = resource.service_name().unwrap_or("unknown_service");
    match sampler_from_config_for_service(&name, arg, service) {
        Ok(sampler) => sampler,
        Err(error) => {
            diagnostics::warn(
                "invalid_env_var",
                format_args!("OTEL_TRACES_SAMPLER={name:?}: {error}; using parentbased_always_on"),
            );
            default()
        }
    }
}

impl Default for TracerProviderBuilder {
    fn default() -> TracerProviderBuilder {
        // The samplers' warnings (bad env values, a Jaeger remote sampler
        // that cannot poll) go where the SDK's own go.
        spanlite_samplers::set_diagnostic_reporter(diagnostics::report_diagnostic);
        TracerProviderBuilder {
            resource: None,
            sampler: SamplerSetting::from_env(),
            id_generator: None,
            random_trace_flag: false,
            limits: SpanLimits::from_env(),
            processors: Vec::new(),
            disabled: env::boolean("OTEL_SDK_DISABLED"),
        }
    }
}

impl TracerProviderBuilder {
    /// The resource (default: [`Resource::default`], detected from the SDK
    /// and the environment).
    pub fn with_resource(mut self, resource: Resource) -> Self {
        self.resource = Some(resource);
        self
    }

    /// The sampler (default: from `OTEL_TRACES_SAMPLER`, else
    /// `ParentBased(AlwaysOn)`).
    pub fn with_sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.sampler = SamplerSetting::Given(Box::new(sampler));
        self
    }

    /// The id generator (default: [`RandomIdGenerator`]).
    pub fn with_id_generator(mut self, generator: impl IdGenerator + 'static) -> Self {
        let built_in = std::any::TypeId::of::<RandomIdGenerator>();
        self.id_generator = if (&generator as &dyn std::any::Any).type_id() == built_in {
            None
        } else {
            Some(Box::new(generator))
        };
        self
    }

    /// Whether root spans set the W3C Trace Context Level 2 random flag
    /// (`traceparent` flags `03` instead of `01`) when the id generator's
    /// trace ids are random. Default: `false`, for interoperability:
    /// OpenTelemetry Go before v1.42 (and other Level 1 parsers) discard a
    /// version-00 `traceparent` with flags above `01`, which splits every
    /// trace that crosses such a service. Trace ids stay random either way,
    /// and a flag received from a caller is always kept, as Level 2 asks.
    pub fn with_random_trace_flag(mut self, enabled: bool) -> Self {
        self.random_trace_flag = enabled;
        self
    }

    /// The span limits (default: [`SpanLimits::from_env`]).
    pub fn with_span_limits(mut self, limits: SpanLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Adds a processor; processors are called in the order added.
    pub fn with_span_processor(mut self, processor: impl SpanProcessor + 'static) -> Self {
        self.processors.push(Box::new(processor));
        self
    }

    /// Adds a [`BatchSpanProcessor`] with the `OTEL_BSP_*` settings.
    pub fn with_batch_exporter(self, exporter: impl SpanExporter + 'static) -> Self {
        self.with_span_processor(BatchSpanProcessor::from_env(exporter))
    }

    /// Adds a [`SimpleSpanProcessor`]: synchronous, for tests and debugging.
    pub fn with_simple_exporter(self, exporter: impl SpanExporter + 'static) -> Self {
        self.with_span_processor(SimpleSpanProcessor::new(exporter))
    }

    /// Overrides `OTEL_SDK_DISABLED`.
    pub fn with_disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// The provider.
    pub fn build(self) -> TracerProvider {
        let resource = self.resource.unwrap_or_default();
        let sampler = self.sampler.into_sampler(&resource);
        let inner = ProviderInner {
            constant_decision: sampler.constant_decision(),
            context_only_sampler: sampler.decides_by_context_alone(),
            sampler,
            resource,
            random_trace_flag: self.random_trace_flag
                && self
                    .id_generator
                    .as_ref()
                    .is_none_or(|ids| ids.trace_ids_are_random()),
            id_generator: self.id_generator,
            limits: self.limits,
            on_start: self.processors.iter().any(|p| p.wants_on_start()),
            processors: self.processors,
            disabled: self.disabled,
            shut_down: AtomicBool::new(false),
        };
        TracerProvider {
            handle: Arc::new(Handle(Arc::new(inner))),
        }
    }
}

impl fmt::Debug for TracerProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracerProviderBuilder")
            .field("resource", &self.resource)
            .field("sampler", &self.sampler)
            .field("limits", &self.limits)
            .field("processors", &self.processors)
            .field("disabled", &self.disabled)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An endpoint that accepts connections and never answers.
    fn silent_endpoint() -> (std::net::TcpListener, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        (listener, url)
    }

    #[test]
    fn a_jaeger_remote_sampler_from_the_environment_asks_for_the_resources_service() {
        let (_listener, url) = silent_endpoint();
        let resource = Resource::new([crate::KeyValue::new("service.name", "check out")]);
        let arg = format!("endpoint={url}");
        for name in ["jaeger_remote", "parentbased_jaeger_remote"] {
            let sampler = sampler_from_env(Some(name.to_owned()), Some(&arg), &resource);
            let debug = format!("{sampler:?}");
            assert!(
                debug.contains(&format!("{url}/sampling?service=check%20out")),
                "{debug}"
            );
        }
    }

    #[test]
    fn without_a_service_name_the_jaeger_remote_sampler_asks_for_unknown_service() {
        let (_listener, url) = silent_endpoint();
        let arg = format!("endpoint={url}");
        let sampler = sampler_from_env(
            Some("jaeger_remote".to_owned()),
            Some(&arg),
            &Resource::new([]),
        );
        let debug = format!("{sampler:?}");
        assert!(debug.contains("?service=unknown_service"), "{debug}");
    }

    #[test]
    fn the_environments_sampler_is_only_made_when_the_builder_was_given_none() {
        let setting = SamplerSetting::FromEnv {
            name: Some("always_off".to_owned()),
            arg: None,
        };
        let resource = Resource::new([]);
        assert_eq!(
            setting.into_sampler(&resource).description(),
            "AlwaysOffSampler"
        );
        let given = SamplerSetting::Given(Box::new(AlwaysOn));
        assert_eq!(
            given.into_sampler(&resource).description(),
            "AlwaysOnSampler"
        );
    }

    #[test]
    fn always_on_and_off_given_directly_decide_without_a_call_and_a_later_sampler_replaces_them() {
        use crate::{
            AlwaysOff, Context, SamplingParams, SamplingResult, SpanContext, SpanId, TraceFlags,
            TraceId,
        };
        use std::sync::atomic::{AtomicUsize, Ordering};

        #[derive(Debug)]
        struct Counting(Arc<AtomicUsize>);
        impl Sampler for Counting {
            fn should_sample(&self, _: &SamplingParams<'_>) -> SamplingResult {
                self.0.fetch_add(1, Ordering::Relaxed);
                SamplingResult::new(SamplingDecision::Drop)
            }
            fn description(&self) -> String {
                "Counting".to_owned()
            }
        }

        let parent = Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from_int(7),
            SpanId::from_int(9),
            TraceFlags::SAMPLED,
            true,
            "k=v".parse().unwrap(),
        ));
        let off = TracerProvider::builder().with_sampler(AlwaysOff).build();
        let span = off.tracer("t").start_with_context("x", &parent);
        assert!(!span.is_recording());
        let cx = span.span_context();
        assert_eq!(cx.trace_id(), TraceId::from_int(7));
        assert!(cx.span_id().is_valid() && cx.span_id() != SpanId::from_int(9));
        assert!(!cx.is_sampled());
        assert_eq!(cx.trace_state().header(), "k=v");

        let on = TracerProvider::builder().with_sampler(AlwaysOn).build();
        let span = on.tracer("t").start_with_context("x", &parent);
        assert!(span.is_recording() && span.span_context().is_sampled());
        assert_eq!(span.span_context().trace_state().header(), "k=v");

        let calls = Arc::new(AtomicUsize::new(0));
        let replaced = TracerProvider::builder()
            .with_sampler(AlwaysOn)
            .with_sampler(Counting(calls.clone()))
            .build();
        assert!(!replaced.tracer("t").start("y").is_recording());
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }
}
