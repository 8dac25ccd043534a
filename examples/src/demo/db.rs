//! An embedded SQLite database per service, each query a CLIENT span
//! named and described by the database semantic conventions.

use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::{json, Value};
use spanlite::{KeyValue, SpanKind, Status, Tracer};

const SELECT_USER: &str = "SELECT id, name, email FROM users WHERE id = ?1";
const SELECT_PRODUCT: &str = "SELECT id, name, price_cents FROM products WHERE id = ?1";

/// An in-memory SQLite database, created and seeded at start.
#[derive(Debug)]
pub(crate) struct Database {
    connection: Mutex<Connection>,
}

impl Database {
    /// The user-service database: a `users` table with three users.
    pub(crate) fn users() -> rusqlite::Result<Database> {
        Database::seeded(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
             INSERT INTO users VALUES
               (1, 'Ada Lovelace', 'ada@example.com'),
               (2, 'Alan Turing', 'alan@example.com'),
               (3, 'Grace Hopper', 'grace@example.com');",
        )
    }

    /// The product-service database: a `products` table with three products.
    pub(crate) fn products() -> rusqlite::Result<Database> {
        Database::seeded(
            "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL);
             INSERT INTO products VALUES
               (1, 'Mechanical keyboard', 12900),
               (2, 'Trackball', 5900),
               (3, 'USB-C dock', 18900);",
        )
    }

    fn seeded(script: &str) -> rusqlite::Result<Database> {
        let connection = Connection::open_in_memory()?;
        connection.execute_batch(script)?;
        Ok(Database {
            connection: Mutex::new(connection),
        })
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The user `id` as JSON, in a `SELECT users` span.
    pub(crate) fn user(&self, tracer: &Tracer, id: i64) -> rusqlite::Result<Option<Value>> {
        self.select_by_id(tracer, "users", SELECT_USER, id, |row| {
            Ok(json!({ "id": row.get::<_, i64>(0)?, "name": row.get::<_, String>(1)?, "email": row.get::<_, String>(2)? }))
        })
    }

    /// The product `id` as JSON, in a `SELECT products` span.
    pub(crate) fn product(&self, tracer: &Tracer, id: i64) -> rusqlite::Result<Option<Value>> {
        self.select_by_id(tracer, "products", SELECT_PRODUCT, id, |row| {
            let cents: i64 = row.get(2)?;
            Ok(json!({ "id": row.get::<_, i64>(0)?, "name": row.get::<_, String>(1)?, "price": cents as f64 / 100.0 }))
        })
    }

    /// Runs `query` for one row of `table`, in a CLIENT span that is a
    /// child of the current span.
    fn select_by_id(
        &self,
        tracer: &Tracer,
        table: &'static str,
        query: &'static str,
        id: i64,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<Value>,
    ) -> rusqlite::Result<Option<Value>> {
        let mut span = tracer
            .span_builder(format!("SELECT {table}"))
            .with_kind(SpanKind::Client)
            .with_attributes([
                KeyValue::new("db.system.name", "sqlite"),
                KeyValue::new("db.namespace", "main"),
                KeyValue::new("db.operation.name", "SELECT"),
                KeyValue::new("db.collection.name", table),
                KeyValue::new("db.query.text", query),
            ])
            .start();
        let result = self.connection().query_row(query, [id], map).optional();
        match &result {
            Ok(found) => span.set_attribute(KeyValue::new(
                "db.response.returned_rows",
                i64::from(found.is_some()),
            )),
            Err(error) => {
                span.record_exception(error);
                span.set_attribute(KeyValue::new("error.type", "rusqlite::Error"));
                span.set_status(Status::error(error.to_string()));
            }
        }
        span.end();
        result
    }
}
