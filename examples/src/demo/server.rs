//! A traced hyper 1 server on 127.0.0.1 that shuts down gracefully.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use spanlite::Tracer;
use spanlite_instrumentation::http::{ClientAddress, HttpRoute, HttpServerLayer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceBuilder;

use super::http::Body;

/// A boxed response future.
pub(crate) type ResponseFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;
/// Answers one request; runs with the request's SERVER span current.
pub(crate) type Handler = Arc<dyn Fn(Request<Incoming>) -> ResponseFuture + Send + Sync>;
/// The route template a path matches, if any.
pub(crate) type Router = fn(&str) -> Option<&'static str>;

/// A running server. [`Server::shutdown`] waits for every connection, so
/// once it returns every SERVER span of this server has ended.
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Server {
    /// Listens on a free port of 127.0.0.1 and serves `handler`, each
    /// request in a SERVER span named after its `router` route.
    pub(crate) async fn start(
        tracer: Tracer,
        router: Router,
        handler: Handler,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let site = Site {
            tracer,
            router,
            handler,
        };
        let task = tokio::spawn(accept_loop(listener, site, stopped));
        Ok(Server { addr, stop, task })
    }

    /// Where the server listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, closes every
    /// connection and waits for them.
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// What every connection of a server shares.
#[derive(Clone)]
struct Site {
    tracer: Tracer,
    router: Router,
    handler: Handler,
}

async fn accept_loop(listener: TcpListener, site: Site, mut stopped: watch::Receiver<bool>) {
    let for_connections = stopped.clone();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stop_requested(&mut stopped) => break,
            accepted = listener.accept() => {
                // A failed accept (a peer that hung up early) ends only that
                // connection.
                if let Ok((stream, peer)) = accepted {
                    connections.spawn(serve_connection(
                        stream,
                        peer,
                        site.clone(),
                        for_connections.clone(),
                    ));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    site: Site,
    mut stopped: watch::Receiver<bool>,
) {
    let Site {
        tracer,
        router,
        handler,
    } = site;
    let service = ServiceBuilder::new()
        .map_request(move |mut request: Request<Incoming>| {
            if let Some(route) = router(request.uri().path()) {
                request.extensions_mut().insert(HttpRoute(route.to_owned()));
            }
            request.extensions_mut().insert(ClientAddress(peer));
            request
        })
        .layer(HttpServerLayer::new(tracer))
        .service_fn(move |request: Request<Incoming>| {
            let response = handler(request);
            async move { Ok::<_, Infallible>(response.await) }
        });
    let connection = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = stop_requested(&mut stopped) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Returns once the server is told to stop (or its handle is gone).
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not live across an await.
    let _ = stopped.wait_for(|stop| *stop).await.map(|_| ());
}
