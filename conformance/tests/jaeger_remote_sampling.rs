//! spanlite's `JaegerRemoteSampler` against the remote sampling extension
//! of a real Jaeger v2 serving a strategies file: the sampler follows the
//! strategy of its service, per-operation strategies, and a rewritten file.
//! Tests wait on the sampler's update counter, with a deadline.

use std::time::{Duration, Instant};

use spanlite::{
    AlwaysOff, Context, JaegerRemoteSampler, Sampler, SamplingParams, SpanKind, StrategyKind,
    TraceId, TracerProvider,
};
use spanlite_conformance::Jaeger;

/// How long the sampler may take to see a strategy: Jaeger reloads its
/// file every second, the sampler polls every `POLL`.
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// A trace id sampled by any probability above 0.
const HIGH: u128 = (1 << 56) - 1;
/// A trace id sampled by probability 1 only.
const LOW: u128 = 1;

const STRATEGIES: &str = r#"{
  "default_strategy": {"type": "probabilistic", "param": 0.0},
  "service_strategies": [
    {"service": "spanlite-all", "type": "probabilistic", "param": 1.0},
    {"service": "spanlite-limited", "type": "ratelimiting", "param": 5},
    {"service": "spanlite-ops", "type": "probabilistic", "param": 0.0,
     "operation_strategies": [
       {"operation": "checkout", "type": "probabilistic", "param": 1.0},
       {"operation": "health", "type": "probabilistic", "param": 0.0}
     ]}
  ]
}"#;

fn start_jaeger(strategies: &str) -> Jaeger {
    Jaeger::start_with_sampling_strategies(strategies)
        .unwrap_or_else(|e| panic!("Jaeger v2 is needed for this test and did not start:\n{e}"))
}

/// A sampler for `service` polling `jaeger` every `POLL`, sampling nothing
/// until the first answer, and waits for that answer.
fn sampler_for(jaeger: &Jaeger, service: &str) -> JaegerRemoteSampler {
    let sampler = JaegerRemoteSampler::builder(service)
        .endpoint(jaeger.sampling_endpoint())
        .polling_interval(POLL)
        .initial_sampler(AlwaysOff)
        .build()
        .expect("Jaeger's endpoint is a valid http:// URL");
    assert!(
        sampler.wait_for_update(0, WAIT),
        "no strategy from {} within {WAIT:?}: {:?}\n{}",
        sampler.endpoint(),
        sampler.stats(),
        jaeger.log_tail(20)
    );
    sampler
}

fn sampled(sampler: &dyn Sampler, name: &str, trace: u128) -> bool {
    let cx = Context::new();
    let params = SamplingParams::new(&cx, TraceId::from_int(trace), name, SpanKind::Server);
    sampler.should_sample(&params).decision().is_sampled()
}

#[test]
fn the_sampler_follows_the_strategy_of_its_service() {
    let jaeger = start_jaeger(STRATEGIES);

    let all = sampler_for(&jaeger, "spanlite-all");
    assert_eq!(all.stats().strategy(), StrategyKind::Probabilistic);
    assert_eq!(all.description(), "JaegerRemoteSampler{probabilistic:1}");
    assert!(sampled(&all, "GET /", LOW));

    let limited = sampler_for(&jaeger, "spanlite-limited");
    assert_eq!(limited.stats().strategy(), StrategyKind::RateLimiting);
    assert_eq!(limited.description(), "JaegerRemoteSampler{ratelimiting:5}");
    let started = Instant::now();
    let kept = (0..100)
        .filter(|_| sampled(&limited, "GET /", HIGH))
        .count();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        kept >= 5 && kept as f64 <= 5.0 + (seconds * 5.0).floor(),
        "{kept} in {seconds}s"
    );

    // A service without a strategy of its own gets the default one.
    let other = sampler_for(&jaeger, "someone else");
    assert_eq!(other.description(), "JaegerRemoteSampler{probabilistic:0}");
    assert!(!sampled(&other, "GET /", HIGH));
}

#[test]
fn per_operation_strategies_reach_the_sampler() {
    let jaeger = start_jaeger(STRATEGIES);
    let sampler = sampler_for(&jaeger, "spanlite-ops");
    assert_eq!(sampler.stats().strategy(), StrategyKind::PerOperation);
    assert!(sampled(&sampler, "checkout", LOW));
    assert!(!sampled(&sampler, "health", HIGH));
    // Operations the file does not name use the service's probability.
    assert!(!sampled(&sampler, "browse", HIGH));
    let description = sampler.description();
    assert!(
        description.starts_with("JaegerRemoteSampler{perOperation{default:0,")
            && description.ends_with("operations:2}}"),
        "{description}"
    );
}

#[test]
fn a_rewritten_strategies_file_reaches_the_sampler() {
    let jaeger = start_jaeger(STRATEGIES);
    let sampler = sampler_for(&jaeger, "spanlite-all");
    assert!(sampled(&sampler, "GET /", LOW));

    jaeger
        .set_sampling_strategies(
            r#"{"default_strategy": {"type": "probabilistic", "param": 1.0},
                "service_strategies": [
                  {"service": "spanlite-all", "type": "probabilistic", "param": 0.0}]}"#,
        )
        .unwrap();
    assert!(
        sampler.wait_for_update(1, WAIT),
        "the new file was not seen within {WAIT:?}: {:?}",
        sampler.stats()
    );
    assert_eq!(
        sampler.description(),
        "JaegerRemoteSampler{probabilistic:0}"
    );
    assert!(!sampled(&sampler, "GET /", HIGH));

    jaeger
        .set_sampling_strategies(
            r#"{"default_strategy": {"type": "probabilistic", "param": 0.0},
                "service_strategies": [
                  {"service": "spanlite-all", "type": "ratelimiting", "param": 7}]}"#,
        )
        .unwrap();
    assert!(sampler.wait_for_update(2, WAIT), "{:?}", sampler.stats());
    assert_eq!(sampler.description(), "JaegerRemoteSampler{ratelimiting:7}");
    assert_eq!(sampler.stats().polls_failed(), 0);
}

/// Set in the environment of a child run of this test binary.
const CHILD: &str = "SPANLITE_JAEGER_REMOTE_CHILD";

/// Run by `the_provider_from_the_environment_asks_for_its_resources_service`
/// in a child process, whose environment names the sampler: starts spans
/// until one records (Jaeger's strategy for the service samples all; the
/// initial sampler none), and says whether one did.
#[test]
#[ignore = "a child process of the_provider_from_the_environment_asks_for_its_resources_service"]
fn child_builds_the_provider_from_the_environment() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let provider = TracerProvider::builder().build();
    let tracer = provider.tracer("conformance");
    let recorded = spanlite_conformance::poll(WAIT, POLL, || {
        Ok(tracer.start("GET /").is_recording().then_some(()))
    });
    println!("recorded: {}", matches!(recorded, Ok(Some(()))));
}

#[test]
fn the_provider_from_the_environment_asks_for_its_resources_service() {
    let jaeger = start_jaeger(STRATEGIES);
    let run = |service: &str| {
        let output = std::env::current_exe()
            .and_then(|exe| {
                std::process::Command::new(exe)
                    .args([
                        "--exact",
                        "child_builds_the_provider_from_the_environment",
                        "--ignored",
                        "--nocapture",
                    ])
                    .env(CHILD, "1")
                    .env("OTEL_SERVICE_NAME", service)
                    .env("OTEL_TRACES_SAMPLER", "parentbased_jaeger_remote")
                    .env(
                        "OTEL_TRACES_SAMPLER_ARG",
                        format!(
                            "endpoint={},pollingIntervalMs=100,initialSamplingRate=0",
                            jaeger.sampling_endpoint()
                        ),
                    )
                    .output()
            })
            .expect("the test binary runs again");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let stdout = run("spanlite-all");
    assert!(stdout.contains("recorded: true"), "{stdout}");
}
