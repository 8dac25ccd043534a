//! `user-service`: `GET /users/{id}` from its SQLite database.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use spanlite::Tracer;

use super::db::Database;
use super::http::{error_response, id_after, json_response, Body};
use super::server::{Handler, Server};
use super::DemoError;

/// The service name in the resource.
pub(crate) const SERVICE: &str = "user-service";
/// Stands in for the rest of the work a real handler does (auth, mapping).
const WORK: Duration = Duration::from_millis(15);

struct Users {
    tracer: Tracer,
    db: Database,
}

/// The route of `path`.
fn route(path: &str) -> Option<&'static str> {
    path.starts_with("/users/").then_some("/users/{id}")
}

/// Seeds the database and starts the server.
pub(crate) async fn start(tracer: Tracer) -> Result<Server, DemoError> {
    let db = Database::users().map_err(|e| DemoError::new("seeding the users database", e))?;
    let users = Arc::new(Users {
        tracer: tracer.clone(),
        db,
    });
    let handler: Handler = Arc::new(move |request| Box::pin(handle(users.clone(), request)));
    Server::start(tracer, route, handler)
        .await
        .map_err(|e| DemoError::new("starting user-service", e))
}

async fn handle(users: Arc<Users>, request: Request<Incoming>) -> Response<Body> {
    if request.method() != Method::GET {
        return error_response(StatusCode::METHOD_NOT_ALLOWED, "only GET");
    }
    let Some(id) = id_after(request.uri().path(), "/users/") else {
        return error_response(StatusCode::NOT_FOUND, "no such route");
    };
    tokio::time::sleep(WORK).await;
    match users.db.user(&users.tracer, id) {
        Ok(Some(user)) => json_response(StatusCode::OK, &user),
        Ok(None) => error_response(StatusCode::NOT_FOUND, format!("user {id} not found")),
        Err(e) => error_response(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
