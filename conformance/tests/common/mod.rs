//! Helpers shared by the conformance test files (`mod common;`). Each test
//! file uses part of them.
#![allow(dead_code)]

pub(crate) mod every_field;
pub(crate) mod jaeger_thrift_fields;
pub(crate) mod round_trip;
