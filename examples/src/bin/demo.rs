//! The traced microservices demo: `api-gateway`, `user-service` and
//! `product-service` in one process, each with its own tracer provider.
//!
//! ```text
//! cargo run -p spanlite-examples --bin demo                 # 4 requests, then the waterfall
//! cargo run -p spanlite-examples --bin demo -- --serve      # serve until Ctrl-C
//! cargo run -p spanlite-examples --bin demo -- --otlp http://127.0.0.1:4318
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run -p spanlite-examples --bin demo
//! ```

use std::process::ExitCode;

use spanlite_examples::demo::{self, DemoConfig, Sink};
use spanlite_exporters::otlp::OtlpConfig;

const USAGE: &str = "usage: demo [--serve] [--otlp <endpoint>]

  --serve            keep the services running until Ctrl-C
  --otlp <endpoint>  export with OTLP/HTTP to <endpoint> (`/v1/traces` is
                     appended unless present); OTEL_EXPORTER_OTLP_ENDPOINT or
                     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT do the same
  Without either, traces print as a waterfall on standard output.";

struct Args {
    serve: bool,
    otlp: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        serve: false,
        otlp: None,
    };
    let mut rest = std::env::args().skip(1);
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--serve" => args.serve = true,
            "--otlp" => args.otlp = Some(rest.next().ok_or("--otlp needs an endpoint")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn sink(otlp: Option<String>) -> Sink {
    let from_env = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
    match otlp {
        Some(endpoint) => {
            let endpoint = endpoint.trim_end_matches('/');
            let endpoint = if endpoint.ends_with("/v1/traces") {
                endpoint.to_owned()
            } else {
                format!("{endpoint}/v1/traces")
            };
            Sink::Otlp(OtlpConfig::from_env().with_endpoint(endpoint))
        }
        None if from_env => Sink::Otlp(OtlpConfig::from_env()),
        None => Sink::Console,
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("demo: {why}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sink = sink(args.otlp);
    if let Sink::Otlp(config) = &sink {
        eprintln!("exporting spans to {}", config.endpoint());
    }
    let config = DemoConfig::new(sink);
    let result = if args.serve {
        demo::serve(config, |gateway| {
            println!("api-gateway listening on http://{gateway}");
            println!("try: curl 'http://{gateway}/api/products/1?user=1'");
            println!("Ctrl-C to stop");
        })
    } else {
        demo::run(config).map(|outcomes| {
            println!();
            for outcome in outcomes {
                let trace = outcome
                    .trace_id
                    .map_or_else(|| "no trace id".to_owned(), |id| format!("trace {id}"));
                println!(
                    "GET {} -> {} {} ({trace})",
                    outcome.request.path(),
                    outcome.status,
                    outcome.body
                );
            }
        })
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}
