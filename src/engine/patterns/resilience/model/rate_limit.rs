//! Rate limiters (semantics.md §2, §3).
//!
//! - **Client side**, Resilience4j's `AtomicRateLimiter`: time is cut into cycles of
//!   `refresh_period`; each cycle tops the permits up to `limit_for_period` (no carry-over above
//!   it). A call that finds no permit learns how long until one frees; if that is within
//!   `timeout` it reserves the permit (the count may go negative) and waits, else it is refused
//!   at once.
//! - **Server side**, answering 429 with a Retry-After: a token bucket (Envoy's local rate limit:
//!   `max_tokens`, also the starting fill, `tokens_per_fill` every `fill_interval`), a fixed window
//!   (Kong: counters per aligned window), or a sliding window counter (Cloudflare's estimate:
//!   previous × (1 − elapsed/window) + current).

use crate::engine::core::time::{SimDuration, SimTime};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientLimiterConfig {
    pub limit_for_period: u32,
    pub refresh_period: SimDuration,
    pub timeout: SimDuration,
}

impl Default for ClientLimiterConfig {
    /// Resilience4j's defaults: 50 permits per 500 ns (represented as 1 µs, the engine's
    /// resolution), wait up to 5 s.
    fn default() -> Self {
        ClientLimiterConfig {
            limit_for_period: 50,
            refresh_period: SimDuration(1),
            timeout: SimDuration::from_secs(5),
        }
    }
}

/// The verdict on one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permit {
    /// Go now.
    Now,
    /// A permit is reserved; go after this wait.
    After(SimDuration),
    /// Refused (RequestNotPermitted / 429); for server-side limiters, when to retry.
    Refused { retry_after: Option<SimDuration> },
}

#[derive(Clone, Debug)]
pub struct ClientLimiter {
    config: ClientLimiterConfig,
    cycle: u64,
    permits: i64,
}

impl ClientLimiter {
    pub fn new(config: ClientLimiterConfig) -> ClientLimiter {
        ClientLimiter {
            permits: i64::from(config.limit_for_period),
            config,
            cycle: 0,
        }
    }

    pub fn config(&self) -> &ClientLimiterConfig {
        &self.config
    }

    /// Permits left in the current cycle (negative: reserved ahead).
    pub fn permits(&self) -> i64 {
        self.permits
    }

    fn refresh(&mut self, now: SimTime) {
        let period = self.config.refresh_period.0.max(1);
        let cycle = now.0 / period;
        if cycle > self.cycle {
            let limit = i64::from(self.config.limit_for_period);
            let elapsed = (cycle - self.cycle).min(i64::MAX as u64 / limit.max(1) as u64) as i64;
            self.permits = (self.permits + elapsed * limit).min(limit);
            self.cycle = cycle;
        }
    }

    pub fn acquire(&mut self, now: SimTime) -> Permit {
        self.refresh(now);
        if self.permits >= 1 {
            self.permits -= 1;
            return Permit::Now;
        }
        let period = self.config.refresh_period.0.max(1);
        let limit = i64::from(self.config.limit_for_period.max(1));
        let to_next_cycle = (self.cycle + 1) * period - now.0;
        // Permits at the start of the next cycle, and whole cycles after that still needed.
        let at_next_cycle = self.permits + limit;
        let more_cycles = if at_next_cycle >= 1 {
            0
        } else {
            (1 - at_next_cycle + limit - 1) / limit
        };
        let wait = SimDuration(to_next_cycle + more_cycles as u64 * period);
        if wait <= self.config.timeout {
            self.permits -= 1;
            Permit::After(wait)
        } else {
            Permit::Refused { retry_after: None }
        }
    }

    pub fn reconfigure(&mut self, config: ClientLimiterConfig) {
        self.permits = self.permits.min(i64::from(config.limit_for_period));
        self.config = config;
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ServerLimiterConfig {
    TokenBucket {
        max_tokens: u32,
        tokens_per_fill: u32,
        fill_interval: SimDuration,
    },
    FixedWindow {
        limit: u32,
        window: SimDuration,
    },
    SlidingWindow {
        limit: u32,
        window: SimDuration,
    },
}

#[derive(Clone, Debug)]
pub struct ServerLimiter {
    config: ServerLimiterConfig,
    /// Token bucket: tokens now and the fill they were counted at.
    tokens: u32,
    last_fill: u64,
    /// Windows: the current window's index and count, and the previous window's count.
    window_index: u64,
    current: u32,
    previous: u32,
}

/// The bucket or window fill for the gauge on the map.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LimiterView {
    pub used: f64,
    pub capacity: f64,
}

impl ServerLimiter {
    pub fn new(config: ServerLimiterConfig) -> ServerLimiter {
        let tokens = match &config {
            ServerLimiterConfig::TokenBucket { max_tokens, .. } => *max_tokens,
            _ => 0,
        };
        ServerLimiter {
            config,
            tokens,
            last_fill: 0,
            window_index: 0,
            current: 0,
            previous: 0,
        }
    }

    pub fn config(&self) -> &ServerLimiterConfig {
        &self.config
    }

    fn roll(&mut self, now: SimTime) {
        match &self.config {
            ServerLimiterConfig::TokenBucket {
                max_tokens,
                tokens_per_fill,
                fill_interval,
            } => {
                let fills = now.0 / fill_interval.0.max(1);
                if fills > self.last_fill {
                    let added =
                        (fills - self.last_fill).saturating_mul(u64::from(*tokens_per_fill));
                    self.tokens =
                        (u64::from(self.tokens) + added).min(u64::from(*max_tokens)) as u32;
                    self.last_fill = fills;
                }
            }
            ServerLimiterConfig::FixedWindow { window, .. }
            | ServerLimiterConfig::SlidingWindow { window, .. } => {
                let index = now.0 / window.0.max(1);
                if index > self.window_index {
                    self.previous = if index == self.window_index + 1 {
                        self.current
                    } else {
                        0
                    };
                    self.current = 0;
                    self.window_index = index;
                }
            }
        }
    }

    /// Admits or refuses one request at `now`; a refusal says when to retry.
    pub fn admit(&mut self, now: SimTime) -> Permit {
        self.roll(now);
        match &self.config {
            ServerLimiterConfig::TokenBucket { fill_interval, .. } => {
                if self.tokens > 0 {
                    self.tokens -= 1;
                    Permit::Now
                } else {
                    let interval = fill_interval.0.max(1);
                    let next_fill = (self.last_fill + 1) * interval;
                    Permit::Refused {
                        retry_after: Some(SimDuration(next_fill - now.0)),
                    }
                }
            }
            ServerLimiterConfig::FixedWindow { limit, window } => {
                if self.current < *limit {
                    self.current += 1;
                    Permit::Now
                } else {
                    let end = (self.window_index + 1) * window.0.max(1);
                    Permit::Refused {
                        retry_after: Some(SimDuration(end - now.0)),
                    }
                }
            }
            ServerLimiterConfig::SlidingWindow { limit, window } => {
                let length = window.0.max(1);
                let elapsed = (now.0 - self.window_index * length) as f64 / length as f64;
                let estimate = f64::from(self.previous) * (1.0 - elapsed) + f64::from(self.current);
                if estimate + 1.0 <= f64::from(*limit) {
                    self.current += 1;
                    Permit::Now
                } else {
                    let end = (self.window_index + 1) * length;
                    Permit::Refused {
                        retry_after: Some(SimDuration(end - now.0)),
                    }
                }
            }
        }
    }

    pub fn view(&self, now: SimTime) -> LimiterView {
        match &self.config {
            ServerLimiterConfig::TokenBucket { max_tokens, .. } => LimiterView {
                used: f64::from(max_tokens - self.tokens.min(*max_tokens)),
                capacity: f64::from(*max_tokens),
            },
            ServerLimiterConfig::FixedWindow { limit, .. } => LimiterView {
                used: f64::from(self.current),
                capacity: f64::from(*limit),
            },
            ServerLimiterConfig::SlidingWindow { limit, window } => {
                let length = window.0.max(1);
                let elapsed = (now.0.saturating_sub(self.window_index * length) as f64
                    / length as f64)
                    .min(1.0);
                LimiterView {
                    used: f64::from(self.previous) * (1.0 - elapsed) + f64::from(self.current),
                    capacity: f64::from(*limit),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> SimTime {
        SimTime(value * 1_000)
    }

    #[test]
    fn client_limiter_tops_up_each_cycle_and_reserves_within_the_timeout() {
        let mut limiter = ClientLimiter::new(ClientLimiterConfig {
            limit_for_period: 2,
            refresh_period: SimDuration::from_millis(100),
            timeout: SimDuration::from_millis(150),
        });
        assert_eq!(limiter.acquire(ms(0)), Permit::Now);
        assert_eq!(limiter.acquire(ms(10)), Permit::Now);
        // Cycle 0 is spent: the next permit comes with cycle 1, 90 ms away.
        assert_eq!(
            limiter.acquire(ms(10)),
            Permit::After(SimDuration::from_millis(90))
        );
        assert_eq!(
            limiter.acquire(ms(10)),
            Permit::After(SimDuration::from_millis(90))
        );
        // Cycle 1's two permits are reserved: the next is cycle 2, 190 ms away > 150 ms.
        assert_eq!(
            limiter.acquire(ms(10)),
            Permit::Refused { retry_after: None }
        );
        assert_eq!(limiter.permits(), -2, "a refusal reserves nothing");
        // In cycle 3 the count is back to the limit, never above it.
        assert_eq!(limiter.acquire(ms(350)), Permit::Now);
        assert_eq!(limiter.permits(), 1);
    }

    #[test]
    fn client_limiter_defaults_are_resilience4js() {
        let config = ClientLimiterConfig::default();
        assert_eq!(config.limit_for_period, 50);
        assert_eq!(config.timeout, SimDuration::from_secs(5));
    }

    #[test]
    fn token_bucket_allows_a_burst_then_one_per_fill() {
        let mut limiter = ServerLimiter::new(ServerLimiterConfig::TokenBucket {
            max_tokens: 3,
            tokens_per_fill: 1,
            fill_interval: SimDuration::from_millis(100),
        });
        let verdicts: Vec<Permit> = (0..4).map(|_| limiter.admit(ms(10))).collect();
        assert_eq!(&verdicts[..3], &[Permit::Now, Permit::Now, Permit::Now]);
        assert_eq!(
            verdicts[3],
            Permit::Refused {
                retry_after: Some(SimDuration::from_millis(90))
            }
        );
        assert_eq!(limiter.admit(ms(100)), Permit::Now, "one token per fill");
        assert!(matches!(limiter.admit(ms(150)), Permit::Refused { .. }));
        // Long idle: refilled to the cap, not beyond.
        assert_eq!(limiter.view(ms(10_000)).capacity, 3.0);
        let burst = (0..5)
            .filter(|_| limiter.admit(ms(10_000)) == Permit::Now)
            .count();
        assert_eq!(burst, 3);
    }

    #[test]
    fn fixed_window_resets_at_the_boundary_allowing_a_double_burst() {
        let mut limiter = ServerLimiter::new(ServerLimiterConfig::FixedWindow {
            limit: 5,
            window: SimDuration::from_secs(1),
        });
        let late = (0..6)
            .filter(|_| limiter.admit(ms(990)) == Permit::Now)
            .count();
        assert_eq!(late, 5);
        assert_eq!(
            limiter.admit(ms(990)),
            Permit::Refused {
                retry_after: Some(SimDuration::from_millis(10))
            }
        );
        let early = (0..6)
            .filter(|_| limiter.admit(ms(1_010)) == Permit::Now)
            .count();
        assert_eq!(
            early, 5,
            "10 requests in 20 ms across the boundary: Kong's known burst"
        );
    }

    #[test]
    fn sliding_window_weighs_the_previous_window() {
        let mut limiter = ServerLimiter::new(ServerLimiterConfig::SlidingWindow {
            limit: 10,
            window: SimDuration::from_secs(1),
        });
        let first = (0..10)
            .filter(|_| limiter.admit(ms(900)) == Permit::Now)
            .count();
        assert_eq!(first, 10);
        // 250 ms into the next window: estimate = 10 × 0.75 = 7.5, so only 2 more fit.
        let second = (0..10)
            .filter(|_| limiter.admit(ms(1_250)) == Permit::Now)
            .count();
        assert_eq!(second, 2);
        assert!(matches!(
            limiter.admit(ms(1_250)),
            Permit::Refused {
                retry_after: Some(_)
            }
        ));
    }
}
