//! Resilience policies on the call edges between services: timeout, retry, circuit breaker,
//! bulkhead, client-side rate limiter and fallback, plus server-side rate limits on services.
//! Semantics and defaults follow Resilience4j, Envoy and Kong (`../shared/docs/semantics.md`
//! §1–§3). Each policy is a pure state machine here; `sim.rs` drives them on the call path in
//! Resilience4j's order: Fallback(Retry(CircuitBreaker(RateLimiter(TimeLimiter(Bulkhead(call)))))).

pub mod breaker;
pub mod bulkhead;
pub mod policy;
pub mod rate_limit;
pub mod retry;

pub use breaker::{
    BreakerConfig, BreakerState, CircuitBreaker, Transition, TransitionReason, WindowKind,
};
pub use bulkhead::{Admission, Bulkhead, BulkheadConfig};
pub use policy::{EdgeCounters, EdgePolicy, Fallback, PolicyChange};
pub use rate_limit::{
    ClientLimiter, ClientLimiterConfig, Permit, ServerLimiter, ServerLimiterConfig,
};
pub use retry::{Backoff, BudgetTracker, RetryBudget, RetryConfig};
