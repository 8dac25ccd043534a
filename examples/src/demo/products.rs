//! `product-service`: `GET /products/{id}` from an in-process cache, else
//! from its SQLite database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use spanlite::{Context, KeyValue, Tracer};

use super::db::Database;
use super::http::{error_response, id_after, json_response, Body};
use super::server::{Handler, Server};
use super::DemoError;

/// The service name in the resource.
pub(crate) const SERVICE: &str = "product-service";
/// Stands in for the rest of the work a real handler does (pricing rules).
const WORK: Duration = Duration::from_millis(25);

struct Products {
    tracer: Tracer,
    db: Database,
    cache: Mutex<HashMap<i64, Value>>,
}

impl Products {
    fn cached(&self, id: i64) -> Option<Value> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(&id).cloned()
    }

    fn remember(&self, id: i64, product: Value) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(id, product);
    }
}

/// The route of `path`.
fn route(path: &str) -> Option<&'static str> {
    path.starts_with("/products/").then_some("/products/{id}")
}

/// Seeds the database and starts the server with an empty cache.
pub(crate) async fn start(tracer: Tracer) -> Result<Server, DemoError> {
    let db =
        Database::products().map_err(|e| DemoError::new("seeding the products database", e))?;
    let products = Arc::new(Products {
        tracer: tracer.clone(),
        db,
        cache: Mutex::new(HashMap::new()),
    });
    let handler: Handler = Arc::new(move |request| Box::pin(handle(products.clone(), request)));
    Server::start(tracer, route, handler)
        .await
        .map_err(|e| DemoError::new("starting product-service", e))
}

async fn handle(products: Arc<Products>, request: Request<Incoming>) -> Response<Body> {
    if request.method() != Method::GET {
        return error_response(StatusCode::METHOD_NOT_ALLOWED, "only GET");
    }
    let Some(id) = id_after(request.uri().path(), "/products/") else {
        return error_response(StatusCode::NOT_FOUND, "no such route");
    };
    tokio::time::sleep(WORK).await;
    let key = KeyValue::new("cache.key", format!("product:{id}"));
    let cx = Context::current();
    if let Some(product) = products.cached(id) {
        cx.span().add_event("cache hit", vec![key]);
        return json_response(StatusCode::OK, &product);
    }
    cx.span().add_event("cache miss", vec![key]);
    match products.db.product(&products.tracer, id) {
        Ok(Some(product)) => {
            products.remember(id, product.clone());
            json_response(StatusCode::OK, &product)
        }
        Ok(None) => error_response(StatusCode::NOT_FOUND, format!("product {id} not found")),
        Err(e) => error_response(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
