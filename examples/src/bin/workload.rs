//! A small traced workload: a checkout request that verifies a token, loads
//! a cart and prices it in parallel, and fails to reach a cache, printed
//! as a waterfall per trace by the console exporter.
//!
//! `cargo run -p spanlite-examples --bin workload`

use std::thread;
use std::time::Duration;

use spanlite::{
    BatchConfig, BatchSpanProcessor, ConsoleExporter, Context, KeyValue, Resource, SpanKind,
    Status, Tracer, TracerProvider,
};

fn main() {
    let provider = TracerProvider::builder()
        .with_resource(
            Resource::builder()
                .with_service_name("checkout-service")
                .build(),
        )
        .with_span_processor(BatchSpanProcessor::new(
            ConsoleExporter::new(),
            BatchConfig::default(),
        ))
        .build();
    let tracer = provider.tracer("spanlite-examples/workload");

    for (i, user) in ["alice", "bob"].into_iter().enumerate() {
        handle_checkout(&tracer, i as i64 + 1, user);
    }

    if let Err(e) = provider.shutdown(Duration::from_secs(5)) {
        eprintln!("shutdown: {e}");
    }
    let stats = provider.stats();
    println!(
        "spans ended: {}, exported: {}, dropped: {}",
        stats.ended(),
        stats.exported(),
        stats.dropped()
    );
}

fn handle_checkout(tracer: &Tracer, order: i64, user: &'static str) {
    let root = tracer
        .span_builder("POST /checkout")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", "POST"),
            KeyValue::new("http.route", "/checkout"),
            KeyValue::new("enduser.id", user),
        ])
        .start();
    let cx = root.into_context(&Context::current());
    let _guard = cx.clone().attach();

    tracer.in_span("verify token", |_| work(15));

    // Two lookups in parallel threads, each continuing the same trace.
    let cart_cx = Context::current();
    let price_cx = Context::current();
    thread::scope(|s| {
        s.spawn(|| {
            let _guard = cart_cx.attach();
            tracer.in_span("load cart", |cx| {
                cx.span().set_attribute(KeyValue::new("cart.items", 3));
                let mut cache = tracer.start("GET cart cache");
                cache.add_event(
                    "cache miss",
                    vec![KeyValue::new("cache.key", format!("cart:{user}"))],
                );
                work(5);
                cache.end();
                let mut db = tracer
                    .span_builder("SELECT carts")
                    .with_kind(SpanKind::Client)
                    .with_attributes([
                        KeyValue::new("db.system.name", "sqlite"),
                        KeyValue::new("db.query.text", "SELECT * FROM carts WHERE user = ?"),
                    ])
                    .start();
                work(30);
                db.end();
            });
        });
        s.spawn(|| {
            let _guard = price_cx.attach();
            tracer.in_span("price order", |cx| {
                work(25);
                if order % 2 == 0 {
                    let error = std::io::Error::other("discount service unavailable");
                    cx.span().record_exception(&error);
                    cx.span()
                        .set_status(Status::error("discount service unavailable"));
                }
            });
        });
    });

    cx.span()
        .set_attribute(KeyValue::new("http.response.status_code", 200));
    cx.span().end();
}

/// Stands in for real work: the example needs spans with visible durations.
fn work(ms: u64) {
    thread::sleep(Duration::from_millis(ms));
}
