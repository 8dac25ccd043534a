//! Shared by the fuzz test and the cargo-fuzz targets in propagation/fuzz
//! (which include this directory by path).

pub(crate) mod invariants;
pub(crate) mod rng;
pub(crate) mod targets;
