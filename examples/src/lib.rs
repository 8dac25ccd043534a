//! Runnable programs that show spanlite at work; see `src/bin/`. The
//! traced microservices demo is also a library, [`demo`], so tests can run
//! it.

pub mod demo;
