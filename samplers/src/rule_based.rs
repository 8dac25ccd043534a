//! Choose a sampler per span by ordered rules on its name, kind and start
//! attributes.

use std::sync::Arc;

use crate::{Sampler, SamplingParams, SamplingResult, SpanMatcher};

/// Asks the sampler of the first rule whose [`SpanMatcher`] matches the
/// span, and the fallback sampler when none does. Rules are tried in the
/// order they were added.
///
/// Rules see only what a sampler sees at span start: name, kind, start
/// attributes, parent. The chosen sampler's result is returned as is
/// (decision, attributes, trace state), so a probability sampler chosen by
/// a rule still records its threshold: rules condition on the span, never
/// on its randomness, which keeps the sampling consistent.
///
/// ```
/// use spanlite_api::{Context, SpanKind, TraceId};
/// use spanlite_samplers::{
///     AlwaysOff, AlwaysOn, ParentBased, RuleBased, Sampler, SamplingParams, SpanMatcher,
///     TraceIdRatioBased,
/// };
///
/// let sampler = ParentBased::new(
///     RuleBased::builder()
///         .rule(SpanMatcher::new().name("GET /health"), AlwaysOff)
///         .rule(SpanMatcher::new().name_prefix("payment."), AlwaysOn)
///         .build(TraceIdRatioBased::new(0.1)),
/// );
///
/// let root = Context::new();
/// let decide = |name| {
///     let params = SamplingParams::new(&root, TraceId::from_int(1), name, SpanKind::Server);
///     sampler.should_sample(&params).decision()
/// };
/// assert!(!decide("GET /health").is_recording());
/// assert!(decide("payment.charge").is_sampled());
/// ```
#[derive(Debug, Clone)]
pub struct RuleBased {
    rules: Arc<[Rule]>,
    fallback: Arc<dyn Sampler>,
}

#[derive(Debug, Clone)]
struct Rule {
    matcher: SpanMatcher,
    sampler: Arc<dyn Sampler>,
}

impl RuleBased {
    /// A builder with no rules yet.
    pub fn builder() -> RuleBasedBuilder {
        RuleBasedBuilder { rules: Vec::new() }
    }

    fn choose(&self, params: &SamplingParams<'_>) -> &dyn Sampler {
        self.rules
            .iter()
            .find(|rule| rule.matcher.matches(params))
            .map_or(&*self.fallback, |rule| &*rule.sampler)
    }
}

impl Sampler for RuleBased {
    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        self.choose(params).should_sample(params)
    }

    /// `RuleBased{rules:[<matcher> -> <sampler>, ...],fallback:<sampler>}`
    fn description(&self) -> String {
        let rules: Vec<String> = self
            .rules
            .iter()
            .map(|rule| format!("{} -> {}", rule.matcher, rule.sampler.description()))
            .collect();
        format!(
            "RuleBased{{rules:[{}],fallback:{}}}",
            rules.join(", "),
            self.fallback.description()
        )
    }
}

/// Collects the rules of a [`RuleBased`] sampler, in order.
#[derive(Debug, Clone)]
pub struct RuleBasedBuilder {
    rules: Vec<Rule>,
}

impl RuleBasedBuilder {
    /// Adds a rule: spans that `matcher` matches, and no earlier rule
    /// matched, are decided by `sampler`.
    pub fn rule(mut self, matcher: SpanMatcher, sampler: impl Sampler + 'static) -> Self {
        self.rules.push(Rule {
            matcher,
            sampler: Arc::new(sampler),
        });
        self
    }

    /// The sampler, with `fallback` deciding the spans no rule matches.
    pub fn build(self, fallback: impl Sampler + 'static) -> RuleBased {
        RuleBased {
            rules: self.rules.into(),
            fallback: Arc::new(fallback),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sampler_fn, AlwaysOff, AlwaysOn, SamplingDecision};
    use spanlite_api::{Context, KeyValue, SpanKind, TraceId};

    fn decide(sampler: &RuleBased, name: &str, attributes: &[KeyValue]) -> SamplingDecision {
        let cx = Context::new();
        let params = SamplingParams::new(&cx, TraceId::from_int(1), name, SpanKind::Server)
            .with_attributes(attributes);
        sampler.should_sample(&params).decision()
    }

    fn record_only() -> impl Sampler {
        sampler_fn("RecordOnly", |_: &SamplingParams<'_>| {
            SamplingDecision::RecordOnly
        })
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let sampler = RuleBased::builder()
            .rule(SpanMatcher::new().name("GET /health"), AlwaysOff)
            .rule(SpanMatcher::new().name_prefix("GET "), AlwaysOn)
            .rule(SpanMatcher::new(), record_only())
            .build(AlwaysOff);
        assert_eq!(decide(&sampler, "GET /health", &[]), SamplingDecision::Drop);
        assert_eq!(
            decide(&sampler, "GET /items", &[]),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(&sampler, "PUT /items", &[]),
            SamplingDecision::RecordOnly
        );
    }

    #[test]
    fn the_fallback_decides_when_no_rule_matches() {
        let sampler = RuleBased::builder()
            .rule(SpanMatcher::new().name("GET /health"), AlwaysOff)
            .build(record_only());
        assert_eq!(decide(&sampler, "GET /", &[]), SamplingDecision::RecordOnly);
        let no_rules = RuleBased::builder().build(AlwaysOn);
        assert_eq!(
            decide(&no_rules, "x", &[]),
            SamplingDecision::RecordAndSample
        );
    }

    #[test]
    fn rules_can_match_on_start_attributes() {
        let sampler = RuleBased::builder()
            .rule(SpanMatcher::new().attribute("error", true), AlwaysOn)
            .build(AlwaysOff);
        assert!(decide(&sampler, "x", &[KeyValue::new("error", true)]).is_sampled());
        assert!(!decide(&sampler, "x", &[]).is_sampled());
    }

    #[test]
    fn the_chosen_samplers_trace_state_is_returned() {
        let sampler = RuleBased::builder()
            .rule(SpanMatcher::new(), crate::ProbabilitySampler::new(1.0))
            .build(AlwaysOff);
        let cx = Context::new();
        let params = SamplingParams::new(&cx, TraceId::from_int(1), "x", SpanKind::Internal);
        assert_eq!(
            sampler
                .should_sample(&params)
                .trace_state()
                .unwrap()
                .header(),
            "ot=th:0"
        );
    }

    #[test]
    fn description_lists_the_rules_in_order_and_the_fallback() {
        let sampler = RuleBased::builder()
            .rule(SpanMatcher::new().name("GET /health"), AlwaysOff)
            .rule(SpanMatcher::new().name_prefix("payment."), AlwaysOn)
            .build(AlwaysOff);
        assert_eq!(
            sampler.description(),
            "RuleBased{rules:[name=\"GET /health\" -> AlwaysOffSampler, \
             name^=\"payment.\" -> AlwaysOnSampler],fallback:AlwaysOffSampler}"
        );
    }
}
