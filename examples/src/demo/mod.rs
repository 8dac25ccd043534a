//! The traced microservices demo: three services in one process, each with
//! its own [`TracerProvider`](spanlite::TracerProvider) and `service.name`,
//! talking HTTP on 127.0.0.1.
//!
//! - `api-gateway`: `GET /api/products/{id}?user={uid}` calls the two
//!   others at the same time and combines their JSON.
//! - `user-service`: `GET /users/{id}` from an embedded SQLite database
//!   (a `SELECT users` CLIENT span).
//! - `product-service`: `GET /products/{id}` from an in-process cache
//!   (`cache hit` / `cache miss` events), else from its SQLite database
//!   (a `SELECT products` CLIENT span).
//!
//! ```no_run
//! use spanlite::InMemoryExporter;
//! use spanlite_examples::demo::{run, DemoConfig, Sink};
//!
//! let spans = InMemoryExporter::new();
//! let outcomes = run(DemoConfig::new(Sink::InMemory(spans.clone()))).expect("the demo runs");
//! assert_eq!(outcomes.len(), 4);
//! assert!(spans.finished_spans().len() > 20);
//! ```

mod config;
mod db;
mod driver;
mod error;
mod gateway;
mod http;
mod products;
mod server;
mod shared_console;
mod telemetry;
mod users;

use std::net::SocketAddr;

pub use config::{DemoConfig, DemoRequest, RequestOutcome, Sink};
pub use error::DemoError;

use server::Server;
use telemetry::Telemetry;

/// The names the three services' resources carry, gateway first.
pub const SERVICES: [&str; 3] = [gateway::SERVICE, users::SERVICE, products::SERVICE];

/// Starts the services, sends the configured requests one after the other,
/// stops the services (waiting for every request to finish), shuts every
/// provider down and, with [`Sink::Console`], prints each trace as a
/// waterfall. Returns what the gateway answered, with each trace id.
pub fn run(config: DemoConfig) -> Result<Vec<RequestOutcome>, DemoError> {
    let mut telemetry = Telemetry::new(config.sink, false);
    let outcomes = runtime()?.block_on(async {
        let services = Services::start(&mut telemetry).await?;
        let outcomes = driver::send_all(services.gateway_addr(), &config.requests).await;
        services.shutdown().await;
        outcomes
    });
    let shutdown = telemetry.shutdown();
    let outcomes = outcomes?;
    shutdown?;
    Ok(outcomes)
}

/// Starts the services, calls `ready` with the gateway's address, and
/// serves until Ctrl-C; with [`Sink::Console`] each trace prints as soon as
/// its gateway span ends.
pub fn serve(config: DemoConfig, ready: impl FnOnce(SocketAddr)) -> Result<(), DemoError> {
    let mut telemetry = Telemetry::new(config.sink, true);
    let served = runtime()?.block_on(async {
        let services = Services::start(&mut telemetry).await?;
        ready(services.gateway_addr());
        let signal = tokio::signal::ctrl_c().await;
        services.shutdown().await;
        signal.map_err(|e| DemoError::new("waiting for Ctrl-C", e))
    });
    let shutdown = telemetry.shutdown();
    served?;
    shutdown
}

fn runtime() -> Result<tokio::runtime::Runtime, DemoError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| DemoError::new("starting the tokio runtime", e))
}

/// The three running servers.
struct Services {
    gateway: Server,
    users: Server,
    products: Server,
}

impl Services {
    async fn start(telemetry: &mut Telemetry) -> Result<Services, DemoError> {
        let users = users::start(telemetry.tracer_for(users::SERVICE)?).await?;
        let products = products::start(telemetry.tracer_for(products::SERVICE)?).await?;
        let gateway = gateway::start(
            telemetry.tracer_for(gateway::SERVICE)?,
            users.addr(),
            products.addr(),
        )
        .await?;
        Ok(Services {
            gateway,
            users,
            products,
        })
    }

    fn gateway_addr(&self) -> SocketAddr {
        self.gateway.addr()
    }

    /// The gateway first, so that its calls to the others are over.
    async fn shutdown(self) {
        self.gateway.shutdown().await;
        tokio::join!(self.users.shutdown(), self.products.shutdown());
    }
}
