//! How calls end and which way they travel: the small status types every layer speaks.

use serde::Serialize;

/// How a call ended, as its caller sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// The handler failed (its error rate, or an injected fault).
    Error,
    /// The instance's queue was full.
    Rejected,
    /// No instance was up to take the call, or the chosen one had crashed.
    Unavailable,
    /// The instance crashed while handling the call.
    Reset,
    /// A downstream call took longer than its timeout.
    Timeout,
    /// A downstream call failed.
    DownstreamError,
    /// The request or its answer was lost in a network partition.
    NetworkError,
    /// The caller's circuit breaker is open: the call was not made.
    ShortCircuited,
    /// The caller's bulkhead for this dependency was full: the call was not made.
    BulkheadFull,
    /// A rate limiter refused the call: the caller's own, or the callee's 429.
    RateLimited,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Ok,
        Status::Error,
        Status::Rejected,
        Status::Unavailable,
        Status::Reset,
        Status::Timeout,
        Status::DownstreamError,
        Status::NetworkError,
        Status::ShortCircuited,
        Status::BulkheadFull,
        Status::RateLimited,
    ];

    pub fn is_ok(self) -> bool {
        self == Status::Ok
    }

    /// The HTTP status a real service would answer with.
    pub fn http_code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::Error => 500,
            Status::Rejected | Status::Unavailable => 503,
            Status::Reset | Status::DownstreamError => 502,
            Status::Timeout | Status::NetworkError => 504,
            Status::ShortCircuited | Status::BulkheadFull => 503,
            Status::RateLimited => 429,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Error => "error",
            Status::Rejected => "rejected",
            Status::Unavailable => "unavailable",
            Status::Reset => "reset",
            Status::Timeout => "timeout",
            Status::DownstreamError => "downstream_error",
            Status::NetworkError => "network_error",
            Status::ShortCircuited => "short_circuited",
            Status::BulkheadFull => "bulkhead_full",
            Status::RateLimited => "rate_limited",
        }
    }

    /// The number the event hash folds for this status.
    pub fn code(self) -> u64 {
        self as u64
    }
}

/// Which way a hop travels: a request towards the callee, or the answer back to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Request,
    Response,
}

/// What a call does for a pattern that owns it, so the map can draw it apart (a saga's
/// compensations run back along the line). The closed list of roles a call can play.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallRole {
    #[default]
    Normal,
    SagaAction,
    SagaCompensation,
}
