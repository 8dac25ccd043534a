//! `OTEL_PROPAGATORS` read from the process environment (its own process:
//! the test sets the variable).

use spanlite_propagation::{propagator_from_env, TextMapPropagator};

#[test]
fn otel_propagators_is_read_from_the_environment() {
    std::env::remove_var("OTEL_PROPAGATORS");
    assert_eq!(
        propagator_from_env().fields(),
        ["traceparent", "tracestate", "baggage"]
    );

    std::env::set_var("OTEL_PROPAGATORS", "jaeger, b3");
    assert_eq!(propagator_from_env().fields(), ["uber-trace-id", "b3"]);

    std::env::set_var("OTEL_PROPAGATORS", "");
    assert_eq!(propagator_from_env().len(), 2);
}
