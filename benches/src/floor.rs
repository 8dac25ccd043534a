//! The least a sampled span can cost on this machine, for reading the
//! per-span targets against: a span that is only its data.
//!
//! [`MinimalTracer`] has no API surface, sampler, limits, context or
//! processor. A span is two TSC clock reads, three ids from a per-thread
//! generator, a static name and three static attributes, written into a
//! batch that a thread of its own reads, every field, on the other core:
//! the one thing every SDK's batch pipeline must also do. Batches go to
//! that thread through a bounded channel and come back empty, so the steady
//! state allocates nothing, as spanlite's records do not.
//!
//! Two more floors bound what the design can reach:
//! - [`no_export_provider`]: spanlite's whole span API (sampler, ids,
//!   clock, attributes under limits, end) with a processor that keeps
//!   nothing, so no record ever leaves the producing core: what a root span
//!   would cost with a free export path.
//! - [`layer_protocol_dispatch`]: the `tracing` registry with a layer that
//!   does only what a bridge keeping its spans in the registry's extensions
//!   does (look the span up and keep a value in its extensions at the
//!   start, look it up and take the value back at the close), and nothing
//!   else: the part of a bridged span tracing-opentelemetry's design cannot
//!   avoid. spanlite's layer keeps its spans in a table of its own instead.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use spanlite::{PipelineError, SpanData, SpanProcessor, TracerProvider};
use tracing::span::{Attributes, Id};
use tracing::Dispatch;
use tracing::Subscriber;
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Spans per batch handed to the reading thread.
const BATCH: usize = 512;

/// An attribute value, as small as it can be.
#[derive(Debug, Clone, Copy)]
enum Value {
    Str(&'static str),
    Int(i64),
    Bool(bool),
}

/// One finished span.
#[derive(Debug, Clone, Copy)]
struct Slot {
    trace_id: u128,
    span_id: u64,
    start: fastant::Instant,
    end: fastant::Instant,
    name: &'static str,
    attributes: [(&'static str, Value); 3],
}

/// Batches of spans in flight to the reading thread, and back.
#[derive(Debug)]
pub struct MinimalTracer {
    batch: Vec<Slot>,
    rng: Cell<u64>,
    full: Option<SyncSender<Vec<Slot>>>,
    empty: Receiver<Vec<Slot>>,
    /// Joins with the number of spans read.
    reader: Option<JoinHandle<u64>>,
}

impl Default for MinimalTracer {
    fn default() -> Self {
        MinimalTracer::new()
    }
}

impl MinimalTracer {
    /// A tracer with its reading thread started.
    pub fn new() -> MinimalTracer {
        let (full, to_read) = sync_channel::<Vec<Slot>>(4);
        let (give_back, empty) = sync_channel::<Vec<Slot>>(8);
        let reader = std::thread::spawn(move || {
            let (mut spans, mut checksum) = (0u64, 0u64);
            for mut batch in to_read {
                for slot in &batch {
                    checksum = checksum.wrapping_add(read(slot));
                }
                spans += batch.len() as u64;
                black_box(checksum);
                batch.clear();
                // The producer may have gone; the batch is then freed.
                let _ = give_back.try_send(batch);
            }
            spans
        });
        MinimalTracer {
            batch: Vec::with_capacity(BATCH),
            rng: Cell::new(0x9e37_79b9_7f4a_7c15),
            full: Some(full),
            empty,
            reader: Some(reader),
        }
    }

    /// One root span with three attributes, started and ended.
    #[inline]
    pub fn root_span(&mut self) {
        let start = fastant::Instant::now();
        let trace_id = (u128::from(self.next_id()) << 64) | u128::from(self.next_id());
        let span_id = self.next_id();
        let name = black_box("GET /api/products/{id}");
        let attributes = [
            ("http.route", Value::Str(black_box(crate::ROUTE))),
            ("http.response.status_code", Value::Int(black_box(200))),
            ("cache.hit", Value::Bool(black_box(true))),
        ];
        self.batch.push(Slot {
            trace_id,
            span_id,
            start,
            end: fastant::Instant::now(),
            name,
            attributes,
        });
        if self.batch.len() == BATCH {
            self.hand_off();
        }
    }

    #[cold]
    fn hand_off(&mut self) {
        let next = self
            .empty
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(sender) = &self.full {
            // Blocks while the reader is behind: nothing is dropped.
            let _ = sender.send(full);
        }
    }

    #[inline]
    fn next_id(&self) -> u64 {
        let s = self.rng.get().wrapping_add(0xa076_1d64_78bd_642f);
        self.rng.set(s);
        let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
        (t as u64) ^ ((t >> 64) as u64)
    }
}

impl Drop for MinimalTracer {
    fn drop(&mut self) {
        self.full = None;
        if let Some(reader) = self.reader.take() {
            let _ = black_box(reader.join());
        }
    }
}

/// Adds one to a counter that one benchmark thread writes: a plain store,
/// no locked read-modify-write, so the floor is not raised by the counting.
fn count(counter: &AtomicU64) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// A processor that counts ended spans and keeps none, so their records
/// go straight back to the producing thread's pool.
#[derive(Debug, Clone, Default)]
pub struct NoExport(Arc<AtomicU64>);

impl NoExport {
    /// Spans ended so far.
    pub fn ended(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl SpanProcessor for NoExport {
    fn on_end(&self, _span: &SpanData) {
        count(&self.0);
    }

    fn force_flush(&self, _timeout: Duration) -> Result<(), PipelineError> {
        Ok(())
    }

    fn shutdown(&self, _timeout: Duration) -> Result<(), PipelineError> {
        Ok(())
    }
}

/// An AlwaysOn provider whose only processor is [`NoExport`].
pub fn no_export_provider() -> (TracerProvider, NoExport) {
    let processor = NoExport::default();
    let provider = TracerProvider::builder()
        .with_sampler(spanlite::AlwaysOn)
        .with_span_processor(processor.clone())
        .build();
    (provider, processor)
}

/// The value [`LayerProtocol`] keeps per span: the size of the spanlite
/// bridge's (a [`spanlite::Context`]).
struct Kept([u64; 8]);

/// A layer doing only the registry work of a bridge that keeps its spans
/// in the registry's extensions: an extension kept from a span's start to
/// its close.
#[derive(Debug, Clone, Default)]
pub struct LayerProtocol(Arc<AtomicU64>);

impl LayerProtocol {
    /// Spans whose kept value was found again at their close.
    pub fn taken_back(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl<S> Layer<S> for LayerProtocol
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Kept([id.into_u64(); 8]));
        }
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let kept = span.extensions_mut().remove::<Kept>();
        if let Some(kept) = kept {
            if kept.0[7] == id.into_u64() {
                count(&self.0);
            }
        }
    }
}

/// A dispatcher over the `tracing` registry with [`LayerProtocol`] alone.
pub fn layer_protocol_dispatch() -> (Dispatch, LayerProtocol) {
    let layer = LayerProtocol::default();
    (
        Dispatch::new(tracing_subscriber::registry().with(layer.clone())),
        layer,
    )
}

/// A dispatcher over the `tracing` registry alone: what `tracing` costs
/// before any layer does anything.
pub fn registry_dispatch() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry())
}

/// Reads every field of a span, as an exporter encoding it would.
fn read(slot: &Slot) -> u64 {
    let mut sum = (slot.trace_id as u64) ^ slot.span_id ^ slot.name.len() as u64;
    sum ^= slot.end.duration_since(slot.start).as_nanos() as u64;
    for (key, value) in &slot.attributes {
        sum ^= key.len() as u64;
        sum ^= match value {
            Value::Str(s) => s.len() as u64,
            Value::Int(i) => *i as u64,
            Value::Bool(b) => u64::from(*b),
        };
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_span_reaches_the_reader_and_batches_come_back() {
        let mut tracer = MinimalTracer::new();
        for _ in 0..BATCH * 20 {
            tracer.root_span();
        }
        // At least one emptied batch came back for reuse.
        assert!(tracer.empty.recv().is_ok());
        let full = tracer.full.take().unwrap();
        drop(full);
        let reader = tracer.reader.take().unwrap();
        // Every full batch was read whole; the partial one never left.
        assert_eq!(reader.join().unwrap(), (BATCH * 20) as u64);
        assert!(tracer.batch.is_empty());
    }

    #[test]
    fn a_span_without_export_is_recorded_and_ended() {
        let (provider, processor) = no_export_provider();
        let tracer = provider.tracer("floor");
        for _ in 0..100 {
            crate::spanlite_peer::root_span(&tracer);
        }
        assert_eq!(processor.ended(), 100);
    }

    #[test]
    fn the_layer_protocol_takes_back_what_each_span_kept() {
        let (dispatch, layer) = layer_protocol_dispatch();
        tracing::dispatcher::with_default(&dispatch, || {
            for _ in 0..100 {
                crate::tracing_bridge::span_with_three_fields();
            }
        });
        assert_eq!(layer.taken_back(), 100);
    }
}
