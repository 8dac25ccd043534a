//! Runnable programs that show spanlite at work; see `src/bin/`.
