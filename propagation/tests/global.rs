//! The process-wide propagator (its own process: it is global state).

use std::collections::HashMap;

use spanlite_api::Context;
use spanlite_propagation::{
    get_text_map_propagator, set_text_map_propagator, B3Propagator, TextMapPropagator,
};

#[test]
fn the_global_propagator_is_w3c_until_another_is_set() {
    assert_eq!(
        get_text_map_propagator().fields(),
        ["traceparent", "tracestate", "baggage"]
    );

    set_text_map_propagator(B3Propagator::new());
    assert_eq!(get_text_map_propagator().fields(), ["b3"]);
    let headers = HashMap::from([(
        "b3".to_owned(),
        "00000000000000000000000000000009-0000000000000009-1".to_owned(),
    )]);
    let cx = get_text_map_propagator().extract_with_context(&Context::new(), &headers);
    assert_eq!(cx.span().span_context().span_id().to_int(), 9);
}
