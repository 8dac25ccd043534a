//! The traces a tail-sampling processor holds, the decisions it remembers,
//! and its counts: everything behind its one lock.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::policy::{TailPolicy, TraceView};
use super::stats::TailSamplingStats;
use crate::{SpanData, TraceId};

/// The fixed settings the state is driven by.
#[derive(Debug)]
pub(super) struct Limits {
    pub(super) decision_wait: Duration,
    /// At least 1.
    pub(super) max_traces: usize,
    /// At least 1.
    pub(super) max_spans: usize,
}

/// Why a trace is being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    RootEnded,
    Expired,
    Bound,
    Flush,
}

#[derive(Debug)]
struct Pending {
    spans: Vec<SpanData>,
    /// Position in arrival order, which is also deadline order.
    seq: u64,
    /// `None`: the wait is too long to express, only a bound or a flush
    /// decides it.
    deadline: Option<Instant>,
}

/// Whether `span` is its trace's root in this process.
fn is_local_root(span: &SpanData) -> bool {
    !span.parent_span_id().is_valid() || span.parent_is_remote()
}

#[derive(Debug, Default)]
pub(super) struct State {
    pending: HashMap<TraceId, Pending>,
    /// Pending traces by arrival: the first is the oldest.
    order: BTreeMap<u64, TraceId>,
    next_seq: u64,
    held_spans: usize,
    /// Recent decisions, so that spans ending after their trace was
    /// decided follow it; at most `max_traces`, oldest forgotten first.
    decided: HashMap<TraceId, bool>,
    decided_order: VecDeque<TraceId>,
    pub(super) shut_down: bool,
    counts: TailSamplingStats,
}

impl State {
    /// Takes in one sampled span that ended at `now`; spans of kept traces
    /// are appended to `out`, in end order.
    pub(super) fn on_end(
        &mut self,
        span: &SpanData,
        now: Instant,
        limits: &Limits,
        policies: &[Box<dyn TailPolicy>],
        out: &mut Vec<SpanData>,
    ) {
        self.expire(now, limits, policies, out);
        let trace_id = span.span_context().trace_id();
        let is_root = is_local_root(span);
        loop {
            if let Some(&keep) = self.decided.get(&trace_id) {
                self.follow(keep, span, out);
                return;
            }
            let is_pending = self.pending.contains_key(&trace_id);
            if is_root {
                match self.pending.get_mut(&trace_id) {
                    Some(trace) => {
                        trace.spans.push(span.clone());
                        self.held_spans += 1;
                        self.decide(trace_id, Cause::RootEnded, limits, policies, out);
                    }
                    None => {
                        let spans = std::slice::from_ref(span);
                        let keep = judge(&TraceView::new(trace_id, spans, true), policies);
                        self.record(trace_id, keep, 1, Cause::RootEnded, limits);
                        if keep {
                            out.push(span.clone());
                        }
                    }
                }
                return;
            }
            let full = self.held_spans >= limits.max_spans
                || (!is_pending && self.pending.len() >= limits.max_traces);
            if !full {
                break;
            }
            let Some(oldest) = self.oldest() else {
                break;
            };
            self.decide(oldest, Cause::Bound, limits, policies, out);
        }
        self.hold(trace_id, span.clone(), now, limits);
    }

    /// Decides every trace whose wait has passed at `now`.
    pub(super) fn expire(
        &mut self,
        now: Instant,
        limits: &Limits,
        policies: &[Box<dyn TailPolicy>],
        out: &mut Vec<SpanData>,
    ) {
        while let Some(oldest) = self.oldest() {
            let due = self
                .pending
                .get(&oldest)
                .and_then(|trace| trace.deadline)
                .is_some_and(|deadline| deadline <= now);
            if !due {
                return;
            }
            self.decide(oldest, Cause::Expired, limits, policies, out);
        }
    }

    /// Decides every pending trace now, oldest first.
    pub(super) fn decide_all(
        &mut self,
        limits: &Limits,
        policies: &[Box<dyn TailPolicy>],
        out: &mut Vec<SpanData>,
    ) {
        while let Some(oldest) = self.oldest() {
            self.decide(oldest, Cause::Flush, limits, policies, out);
        }
    }

    /// The counts, with the pending gauges filled in.
    pub(super) fn stats(&self) -> TailSamplingStats {
        TailSamplingStats {
            pending_traces: self.pending.len() as u64,
            pending_spans: self.held_spans as u64,
            ..self.counts
        }
    }

    fn oldest(&self) -> Option<TraceId> {
        self.order.first_key_value().map(|(_, id)| *id)
    }

    fn hold(&mut self, trace_id: TraceId, span: SpanData, now: Instant, limits: &Limits) {
        self.held_spans += 1;
        if let Some(trace) = self.pending.get_mut(&trace_id) {
            trace.spans.push(span);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, trace_id);
        self.pending.insert(
            trace_id,
            Pending {
                spans: vec![span],
                seq,
                deadline: now.checked_add(limits.decision_wait),
            },
        );
    }

    /// Decides a pending trace: asks the policies, forgets its spans or
    /// appends them to `out`.
    fn decide(
        &mut self,
        trace_id: TraceId,
        cause: Cause,
        limits: &Limits,
        policies: &[Box<dyn TailPolicy>],
        out: &mut Vec<SpanData>,
    ) {
        let Some(trace) = self.pending.remove(&trace_id) else {
            return;
        };
        self.order.remove(&trace.seq);
        self.held_spans = self.held_spans.saturating_sub(trace.spans.len());
        let root_ended = cause == Cause::RootEnded;
        let keep = judge(
            &TraceView::new(trace_id, &trace.spans, root_ended),
            policies,
        );
        self.record(trace_id, keep, trace.spans.len(), cause, limits);
        if keep {
            out.extend(trace.spans);
        }
    }

    /// Counts a decision and remembers it for the trace's late spans.
    fn record(
        &mut self,
        trace_id: TraceId,
        keep: bool,
        spans: usize,
        cause: Cause,
        limits: &Limits,
    ) {
        let spans = spans as u64;
        if keep {
            self.counts.traces_kept += 1;
            self.counts.spans_kept += spans;
        } else {
            self.counts.traces_dropped += 1;
            self.counts.spans_dropped += spans;
        }
        match cause {
            Cause::Expired => self.counts.traces_expired += 1,
            Cause::Bound => self.counts.traces_forced_out += 1,
            Cause::RootEnded | Cause::Flush => {}
        }
        while self.decided_order.len() >= limits.max_traces {
            match self.decided_order.pop_front() {
                Some(old) => {
                    self.decided.remove(&old);
                }
                None => break,
            }
        }
        // A trace is decided only while no decision for it is remembered,
        // so each id is in `decided_order` at most once.
        self.decided.insert(trace_id, keep);
        self.decided_order.push_back(trace_id);
    }

    /// A span of an already decided trace goes the same way.
    fn follow(&mut self, keep: bool, span: &SpanData, out: &mut Vec<SpanData>) {
        if keep {
            self.counts.spans_kept += 1;
            out.push(span.clone());
        } else {
            self.counts.spans_dropped += 1;
        }
    }
}

/// Any policy keeping the trace keeps it.
fn judge(trace: &TraceView<'_>, policies: &[Box<dyn TailPolicy>]) -> bool {
    policies.iter().any(|policy| policy.should_keep(trace))
}
