//! Distributed tracing: a span tree for every sampled request (semantics.md §8).
//!
//! Every request gets a W3C trace id (16 bytes) and every span an id (8 bytes), both computed from
//! the run seed and the request's or call's number by SplitMix64, a bijection: ids are unique,
//! reproducible, and computing them draws from no random stream, so tracing never changes a run.
//! A call has a CLIENT span at the caller (from sending to hearing the answer or giving up) and,
//! once it reaches a live instance, a SERVER span at the callee (from arrival, through queueing
//! and work, to sending the answer). A saga run has an INTERNAL span at its orchestrator; its
//! steps' calls are that span's children. The header a call carries is `traceparent`
//! `00-<trace id>-<client span id>-<flags>`; the sampled flag is the head decision, made once at
//! the root by `TraceIdRatioBased` on the trace id and followed by every hop (`ParentBased`).
//!
//! Spans of a sampled trace are buffered until the trace's last span ends. Then the tail policy
//! decides (any span in error, slower than a threshold, or a share by trace id, as the collector's
//! `tail_sampling` processor does) and the trace joins the store: the most recent `recent` traces,
//! plus up to `kept` that the tail policy chose. Both are bounded rings, so memory stays flat.

use crate::engine::core::arena::Arena;
use crate::engine::core::attributes::RequestAttributes;
use crate::engine::core::ids::{
    CallId, EdgeId, EndpointId, InstanceId, RequestId, SagaId, ServiceId, StationId, TraceRef,
    TraceSlot,
};
use crate::engine::core::rng::splitmix64;
use crate::engine::core::status::{CallRole, Status};
use crate::engine::patterns::resilience::model::BreakerState;
use crate::engine::scenario::model::TracingSettings;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

/// A W3C trace id: 16 bytes, never all zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TraceId(pub u128);

/// A span id: 8 bytes, never all zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpanId(pub u64);

impl fmt::Display for TraceId {
    /// 32 lowercase hex digits, as `traceparent` and OTLP/JSON write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Display for SpanId {
    /// 16 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

const TRACE_KEY: u64 = 0x7472_6163_655F_6964; // "trace_id"
const SPAN_KEY: u64 = 0x7370_616E_5F69_6473; // "span_ids"

/// The trace id of `request` in a run seeded with `seed`.
pub fn trace_id_for(seed: u64, request: RequestId) -> TraceId {
    // `splitmix64` is a bijection, so distinct requests get distinct high halves.
    let high = splitmix64(splitmix64(seed ^ TRACE_KEY) ^ request.0);
    let low = splitmix64(high ^ 0x5851_F42D_4C95_7F2D);
    let id = (u128::from(high) << 64) | u128::from(low);
    TraceId(id.max(1))
}

/// What a span id is computed from: unique per run.
#[derive(Clone, Copy, Debug)]
pub enum SpanSource {
    Client(CallId),
    Server(CallId),
    Saga(u64),
}

/// The id of the span `source` in a run seeded with `seed`.
pub fn span_id_for(seed: u64, source: SpanSource) -> SpanId {
    let (number, tag) = match source {
        SpanSource::Client(call) => (call.0, 0),
        SpanSource::Server(call) => (call.0, 1),
        SpanSource::Saga(run) => (run, 2),
    };
    SpanId(splitmix64(splitmix64(seed ^ SPAN_KEY) ^ ((number << 2) | tag)).max(1))
}

/// The head decision: `TraceIdRatioBased`, on the trace id's low 63 bits as OpenTelemetry's SDKs do.
pub fn head_sampled(trace: TraceId, ratio: f64) -> bool {
    if ratio >= 1.0 {
        return true;
    }
    if ratio <= 0.0 {
        return false;
    }
    let bound = (ratio * (1u64 << 63) as f64) as u64;
    ((trace.0 as u64) & (u64::MAX >> 1)) < bound
}

/// The W3C `traceparent` header value.
pub fn traceparent(trace: TraceId, parent: SpanId, sampled: bool) -> String {
    format!("00-{trace}-{parent}-{:02x}", u8::from(sampled))
}

/// OpenTelemetry's span kinds that Lokal uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    Internal,
    Server,
    Client,
}

impl SpanKind {
    /// The OTLP enum value (`SPAN_KIND_INTERNAL` = 1, `SERVER` = 2, `CLIENT` = 3).
    pub fn otlp(self) -> u8 {
        match self {
            SpanKind::Internal => 1,
            SpanKind::Server => 2,
            SpanKind::Client => 3,
        }
    }

    /// The `span.kind` tag Jaeger uses.
    pub fn key(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
        }
    }
}

/// What a span did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A call of an endpoint (client or server side).
    Call(EndpointId),
    /// A saga run, at its orchestrator.
    Saga(SagaId),
}

/// Something that happened during a span, at a moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpanEventKind {
    /// The caller will try again: `attempt` is the next attempt's number.
    Retry { attempt: u32, wait_us: u64 },
    /// The caller stopped waiting.
    Timeout,
    /// The handler failed (its error rate or an injected fault), its instance crashed, or a
    /// message was lost in a partition.
    Fault { status: Status },
    /// A call was not made: the breaker was open, the bulkhead full or the limiter empty.
    NotPermitted { edge: EdgeId, reason: Status },
    /// Every attempt failed and the fallback answered.
    Fallback { edge: EdgeId },
    /// A saga step's action began.
    SagaStep { step: u16, attempt: u32 },
    /// A saga step's compensation began.
    Compensation { step: u16, attempt: u32 },
    /// The request read a record that an in-flight saga holds under a semantic lock.
    LockObserved { run: u64, step: u16 },
}

impl SpanEventKind {
    /// The event's name in exports.
    pub fn name(&self) -> &'static str {
        match self {
            SpanEventKind::Retry { .. } => "retry",
            SpanEventKind::Timeout => "timeout",
            SpanEventKind::Fault { .. } => "fault",
            SpanEventKind::NotPermitted { .. } => "call_not_permitted",
            SpanEventKind::Fallback { .. } => "fallback",
            SpanEventKind::SagaStep { .. } => "saga_step",
            SpanEventKind::Compensation { .. } => "compensation",
            SpanEventKind::LockObserved { .. } => "semantic_lock_observed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpanEvent {
    pub t_us: u64,
    pub kind: SpanEventKind,
}

/// One span. Times are virtual microseconds since the run began.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub id: SpanId,
    pub parent: Option<SpanId>,
    pub kind: SpanKind,
    pub operation: Operation,
    /// Where the span runs: `None` is the workload's client.
    pub service: Option<ServiceId>,
    pub instance: Option<InstanceId>,
    pub station: StationId,
    /// Client spans: the station called (so the map can light the hop).
    pub peer_station: Option<StationId>,
    pub call: Option<CallId>,
    pub start_us: u64,
    /// Server spans: when a worker took the call (later than `start_us` if it queued).
    pub work_start_us: Option<u64>,
    pub end_us: Option<u64>,
    pub status: Option<Status>,
    pub attempt: u32,
    /// Client spans on an edge with a breaker: its state when the attempt left.
    pub breaker: Option<BreakerState>,
    pub role: CallRole,
    /// Saga spans and the calls of a saga's steps: which saga, which run, which step.
    pub saga: Option<SagaId>,
    pub saga_run: Option<u64>,
    pub saga_step: Option<u16>,
    pub events: Vec<SpanEvent>,
}

impl Span {
    pub fn is_error(&self) -> bool {
        self.status.is_some_and(|s| !s.is_ok())
    }
}

/// Why the tail policy kept a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepReason {
    Error,
    Slow,
    Ratio,
}

impl KeepReason {
    pub fn key(self) -> &'static str {
        match self {
            KeepReason::Error => "error",
            KeepReason::Slow => "slow",
            KeepReason::Ratio => "ratio",
        }
    }
}

/// A request's trace: its spans in the order they started.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub id: TraceId,
    pub request: RequestId,
    pub endpoint: EndpointId,
    pub attributes: RequestAttributes,
    pub spans: Vec<Span>,
    /// Set when the trace completed and the tail policy kept it.
    pub keep: Option<KeepReason>,
    pub complete: bool,
    /// Completion order in the run (0 while open).
    pub sequence: u64,
}

impl Trace {
    pub fn start_us(&self) -> u64 {
        self.spans.first().map_or(0, |s| s.start_us)
    }

    /// The latest end of any span (or `now_us` for spans still open).
    pub fn end_us(&self, now_us: u64) -> u64 {
        self.spans
            .iter()
            .map(|s| s.end_us.unwrap_or(now_us))
            .max()
            .unwrap_or(0)
    }

    /// The whole trace's duration, as Jaeger shows it: earliest start to latest end.
    pub fn duration_us(&self, now_us: u64) -> u64 {
        self.end_us(now_us).saturating_sub(self.start_us())
    }

    /// The root span: the client's call.
    pub fn root(&self) -> Option<&Span> {
        self.spans.first()
    }

    /// The request's outcome as its client saw it (none while it is in flight).
    pub fn root_status(&self) -> Option<Status> {
        self.root().and_then(|s| s.status)
    }

    pub fn has_error(&self) -> bool {
        self.spans.iter().any(Span::is_error)
    }

    pub fn span_index(&self, id: SpanId) -> Option<usize> {
        self.spans.iter().position(|s| s.id == id)
    }

    /// How deep the span tree goes (the root alone is depth 1).
    pub fn depth(&self) -> usize {
        let mut depths = vec![1usize; self.spans.len()];
        for index in 0..self.spans.len() {
            if let Some(parent) = self.spans[index].parent.and_then(|p| self.span_index(p)) {
                depths[index] = depths[parent] + 1;
            }
        }
        depths.into_iter().max().unwrap_or(0)
    }

    /// Each span's depth in the tree and the order a waterfall lists them: depth first, children
    /// by start time.
    pub fn tree_order(&self) -> Vec<(usize, usize)> {
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.spans.len()];
        let mut roots = Vec::new();
        for (index, span) in self.spans.iter().enumerate() {
            match span.parent.and_then(|p| self.span_index(p)) {
                Some(parent) => children[parent].push(index),
                None => roots.push(index),
            }
        }
        for list in &mut children {
            list.sort_by_key(|&i| (self.spans[i].start_us, i));
        }
        let mut order = Vec::with_capacity(self.spans.len());
        let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|r| (r, 0)).collect();
        while let Some((index, depth)) = stack.pop() {
            order.push((index, depth));
            for &child in children[index].iter().rev() {
                stack.push((child, depth + 1));
            }
        }
        order
    }

    /// The critical path, as Jaeger computes it: from the root's end, walk back through the
    /// child that finished last, then the one that finished last before that child started, and
    /// so on; time no child covers belongs to the span itself. Children are clipped to their
    /// parent. Returns (span index, start, end) segments, latest first.
    pub fn critical_path(&self, now_us: u64) -> Vec<(usize, u64, u64)> {
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); self.spans.len()];
        for (index, span) in self.spans.iter().enumerate() {
            if let Some(parent) = span.parent.and_then(|p| self.span_index(p)) {
                children[parent].push(index);
            }
        }
        let mut segments = Vec::new();
        if !self.spans.is_empty() {
            let root = &self.spans[0];
            let end = root.end_us.unwrap_or(now_us);
            self.critical_walk(0, root.start_us, end, &children, now_us, &mut segments);
        }
        segments
    }

    fn critical_walk(
        &self,
        index: usize,
        start: u64,
        end: u64,
        children: &[Vec<usize>],
        now_us: u64,
        segments: &mut Vec<(usize, u64, u64)>,
    ) {
        let mut cursor = end;
        let mut used = vec![false; children[index].len()];
        loop {
            // The child that finished last before the cursor (clipped to it).
            let best = children[index]
                .iter()
                .enumerate()
                .filter(|&(k, &child)| !used[k] && self.spans[child].start_us < cursor)
                .map(|(k, &child)| {
                    let span = &self.spans[child];
                    (k, child, span.end_us.unwrap_or(now_us).min(cursor))
                })
                .max_by_key(|&(k, child, clipped_end)| {
                    (clipped_end, self.spans[child].start_us, k)
                });
            let Some((k, child, child_end)) = best else {
                break;
            };
            used[k] = true;
            if child_end < cursor {
                segments.push((index, child_end, cursor));
            }
            let child_start = self.spans[child].start_us.max(start);
            self.critical_walk(child, child_start, child_end, children, now_us, segments);
            cursor = child_start;
            if cursor <= start {
                break;
            }
        }
        if cursor > start {
            segments.push((index, start, cursor));
        }
    }

    /// Well-formedness: ids non-zero and unique, the root has no parent, every other span's parent
    /// is in the trace and it starts within the parent's time, and nothing ends before it starts.
    /// A child may end after its parent: a callee outlives a caller that timed out.
    pub fn check(&self) -> Result<(), String> {
        if self.id.0 == 0 {
            return Err("trace id is zero".into());
        }
        let Some(root) = self.spans.first() else {
            return Err(format!("trace {}: no spans", self.id));
        };
        if root.parent.is_some() {
            return Err(format!("trace {}: the root span has a parent", self.id));
        }
        for (index, span) in self.spans.iter().enumerate() {
            if span.id.0 == 0 {
                return Err(format!("trace {}: span {index} has id zero", self.id));
            }
            if self.spans[..index].iter().any(|other| other.id == span.id) {
                return Err(format!("trace {}: span id {} repeats", self.id, span.id));
            }
            if let Some(end) = span.end_us
                && end < span.start_us
            {
                return Err(format!(
                    "trace {}: span {} ends before it starts",
                    self.id, span.id
                ));
            }
            if self.complete && span.end_us.is_none() {
                return Err(format!("trace {}: span {} never ended", self.id, span.id));
            }
            if index == 0 {
                continue;
            }
            let Some(parent_id) = span.parent else {
                return Err(format!("trace {}: span {} has no parent", self.id, span.id));
            };
            let Some(parent) = self.spans.iter().find(|p| p.id == parent_id) else {
                return Err(format!(
                    "trace {}: span {}'s parent {parent_id} is missing",
                    self.id, span.id
                ));
            };
            let within_end = parent.end_us.is_none_or(|end| span.start_us <= end);
            if span.start_us < parent.start_us || !within_end {
                return Err(format!(
                    "trace {}: span {} starts at {} µs, outside its parent {} ({} – {:?} µs)",
                    self.id, span.id, span.start_us, parent.id, parent.start_us, parent.end_us
                ));
            }
        }
        Ok(())
    }
}

/// Totals of the trace store (also in the run report).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TraceCounters {
    /// Requests whose head decision said "record".
    pub sampled: u64,
    /// Requests not recorded (the head decision said no).
    pub unsampled: u64,
    /// Sampled traces whose last span ended.
    pub completed: u64,
    pub kept_error: u64,
    pub kept_slow: u64,
    pub kept_ratio: u64,
    pub spans: u64,
}

/// A trace whose spans have not all ended.
#[derive(Clone, Debug)]
pub struct OpenTrace {
    open_spans: u32,
    trace: Trace,
}

/// Open traces, and the bounded store of completed ones.
#[derive(Clone, Debug)]
pub struct TraceStore {
    pub settings: TracingSettings,
    open: Arena<OpenTrace, TraceSlot>,
    recent: VecDeque<Arc<Trace>>,
    kept: VecDeque<Arc<Trace>>,
    pub counters: TraceCounters,
    /// Span buffers of traces that left the store, emptied, for the next traces to fill: a
    /// traced request then costs no allocation for its spans.
    spare_spans: Vec<Vec<Span>>,
}

/// How many emptied span buffers the store keeps for reuse.
const SPARE_SPAN_BUFFERS: usize = 64;

impl TraceStore {
    pub fn new(settings: TracingSettings) -> TraceStore {
        TraceStore {
            settings,
            open: Arena::default(),
            recent: VecDeque::new(),
            kept: VecDeque::new(),
            counters: TraceCounters::default(),
            spare_spans: Vec::new(),
        }
    }

    /// A request starts: its trace buffer, if the head decision samples it.
    pub fn begin(
        &mut self,
        id: TraceId,
        request: RequestId,
        endpoint: EndpointId,
        attributes: RequestAttributes,
    ) -> Option<TraceRef> {
        if !head_sampled(id, self.settings.head_sampling) {
            self.counters.unsampled += 1;
            return None;
        }
        self.counters.sampled += 1;
        let trace = Trace {
            id,
            request,
            endpoint,
            attributes,
            spans: self.spare_spans.pop().unwrap_or_default(),
            keep: None,
            complete: false,
            sequence: 0,
        };
        Some(self.open.alloc(OpenTrace {
            open_spans: 0,
            trace,
        }))
    }

    fn entry(&mut self, trace: TraceRef) -> Option<&mut OpenTrace> {
        self.open.get_mut(trace)
    }

    /// Opens `span`; returns its index in the trace.
    pub fn open_span(&mut self, trace: TraceRef, span: Span) -> Option<u32> {
        let entry = self.entry(trace)?;
        entry.open_spans += 1;
        entry.trace.spans.push(span);
        self.counters.spans += 1;
        Some((self.open[trace].trace.spans.len() - 1) as u32)
    }

    /// A span's id and its service and instance (to parent a child on).
    pub fn span(&mut self, trace: TraceRef, index: u32) -> Option<&mut Span> {
        let entry = self.entry(trace)?;
        entry
            .trace
            .spans
            .get_mut(index as usize)
            .filter(|s| s.end_us.is_none())
    }

    pub fn add_event(&mut self, trace: TraceRef, index: u32, t_us: u64, kind: SpanEventKind) {
        if let Some(span) = self.span(trace, index) {
            span.events.push(SpanEvent { t_us, kind });
        }
    }

    /// Ends a span (once); the trace completes when its last open span ends.
    pub fn close_span(&mut self, trace: TraceRef, index: u32, t_us: u64, status: Status) {
        let Some(span) = self.span(trace, index) else {
            return;
        };
        debug_assert!(span.end_us.is_none(), "a span closed twice");
        debug_assert!(t_us >= span.start_us, "a span ends before it starts");
        span.end_us = Some(t_us);
        span.status = Some(status);
        let entry = &mut self.open[trace];
        debug_assert!(entry.open_spans > 0, "a trace with no open span");
        entry.open_spans -= 1;
        if entry.open_spans == 0 {
            self.complete(trace);
        }
    }

    fn complete(&mut self, handle: TraceRef) {
        let Some(OpenTrace { mut trace, .. }) = self.open.free(handle) else {
            return;
        };
        trace.complete = true;
        self.counters.completed += 1;
        trace.sequence = self.counters.completed;
        let settings = &self.settings;
        let end = trace.end_us(0);
        trace.keep = if settings.keep_errors && trace.has_error() {
            self.counters.kept_error += 1;
            Some(KeepReason::Error)
        } else if settings
            .keep_slower_than
            .is_some_and(|limit| trace.duration_us(end) > limit.0)
        {
            self.counters.kept_slow += 1;
            Some(KeepReason::Slow)
        } else if head_sampled(TraceId(trace.id.0 >> 64), settings.keep_ratio)
            && settings.keep_ratio > 0.0
        {
            // The share decides on the id's high half: independent of the head decision's bits.
            self.counters.kept_ratio += 1;
            Some(KeepReason::Ratio)
        } else {
            None
        };
        let (kept_capacity, recent_capacity) = (settings.kept as usize, settings.recent as usize);
        let trace = Arc::new(trace);
        if trace.keep.is_some() && kept_capacity > 0 {
            if self.kept.len() == kept_capacity {
                let evicted = self.kept.pop_front();
                self.recycle(evicted);
            }
            self.kept.push_back(Arc::clone(&trace));
        }
        if self.recent.len() == recent_capacity {
            let evicted = self.recent.pop_front();
            self.recycle(evicted);
        }
        self.recent.push_back(trace);
    }

    /// Keeps the span buffer of a trace that left the store, if nothing else holds the trace.
    fn recycle(&mut self, evicted: Option<Arc<Trace>>) {
        if self.spare_spans.len() < SPARE_SPAN_BUFFERS
            && let Some(trace) = evicted.and_then(|trace| Arc::try_unwrap(trace).ok())
        {
            let mut spans = trace.spans;
            spans.clear();
            self.spare_spans.push(spans);
        }
    }

    /// Every retained trace once, in the order they completed.
    pub fn retained(&self) -> Vec<Arc<Trace>> {
        let mut all: Vec<Arc<Trace>> = self.recent.iter().cloned().collect();
        // Kept traces that have left the recent ring: older than all of it.
        let oldest_recent = self.recent.front().map_or(u64::MAX, |t| t.sequence);
        let older: Vec<Arc<Trace>> = self
            .kept
            .iter()
            .filter(|t| t.sequence < oldest_recent)
            .cloned()
            .collect();
        all.splice(0..0, older);
        all
    }

    /// The trace of `request`: in the store, or still open (a copy of what it has so far).
    pub fn find(&self, request: RequestId) -> Option<Arc<Trace>> {
        if let Some((_, open)) = self
            .open
            .iter()
            .find(|(_, entry)| entry.trace.request == request)
        {
            return Some(Arc::new(open.trace.clone()));
        }
        self.recent
            .iter()
            .chain(self.kept.iter())
            .find(|trace| trace.request == request)
            .cloned()
    }

    /// Requests whose traces are still open, with their ids (for a moving dot's trace link).
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Bookkeeping: each open trace counts its unended spans right, and the newest completed
    /// trace is well-formed. (Cheap enough to run after every event; a test checks every
    /// retained trace in full.)
    pub fn check(&self) -> Result<(), String> {
        for (_, entry) in self.open.iter() {
            let unended = entry
                .trace
                .spans
                .iter()
                .filter(|s| s.end_us.is_none())
                .count();
            if unended != entry.open_spans as usize || unended == 0 {
                return Err(format!(
                    "open trace {}: {} spans not ended, but {} counted open",
                    entry.trace.id, unended, entry.open_spans
                ));
            }
        }
        match self.recent.back() {
            Some(newest) => newest.check(),
            None => Ok(()),
        }
    }
}

/// Where a new call's CLIENT span hangs in its trace.
#[derive(Clone, Copy, Debug)]
pub struct SpanParent {
    pub trace: Option<TraceRef>,
    /// The parent span's index in the trace and its id (none for a request's root).
    pub span: Option<(u32, SpanId)>,
    /// The caller's service and instance (none for the workload's client).
    pub service: Option<ServiceId>,
    pub instance: Option<InstanceId>,
    /// A saga step's call: the saga, the run and the step.
    pub saga: Option<(SagaId, u64, u16)>,
}

impl SpanParent {
    /// A request's root: no parent span.
    pub fn root(trace: Option<TraceRef>) -> SpanParent {
        SpanParent {
            trace,
            span: None,
            service: None,
            instance: None,
            saga: None,
        }
    }
}

/// A span index meaning "no span".
pub const NO_SPAN: u32 = u32::MAX;
