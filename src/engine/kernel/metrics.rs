//! Metrics: counters, latency histograms and one-second time series, all of bounded size.
//!
//! Counters and histograms cover the whole run (fixed memory). Time series keep the last
//! `window_seconds` points in a ring. Each one-second point's percentiles are exact while the second
//! holds at most `EXACT_SAMPLES` latencies and fall back to the histogram (≤ 0.8 % error) above that,
//! so memory per second is bounded whatever the rate.

use crate::engine::core::histogram::{Histogram, LatencySummary};
use crate::engine::core::time::{MICROS_PER_SECOND, SimTime};
use serde::Serialize;
use std::collections::VecDeque;

/// How requests (or calls) ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub arrived: u64,
    pub completed: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
    /// Of the completed: answered by a fallback somewhere below (successful, but degraded).
    pub degraded: u64,
}

impl Counters {
    /// Arrived and not yet ended one way or another.
    pub fn in_flight(&self) -> u64 {
        self.arrived
            .saturating_sub(self.completed + self.failed + self.rejected + self.timed_out)
    }

    /// Everything that did not complete successfully, as a share of what ended.
    pub fn error_ratio(&self) -> f64 {
        let ended = self.completed + self.failed + self.rejected + self.timed_out;
        if ended == 0 {
            0.0
        } else {
            (self.failed + self.rejected + self.timed_out) as f64 / ended as f64
        }
    }
}

/// One second of one series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct SecondPoint {
    /// The second this point covers: [second, second + 1).
    pub second: u64,
    pub arrived: u32,
    pub completed: u32,
    pub failed: u32,
    pub rejected: u32,
    pub timed_out: u32,
    pub latency_p50_us: u64,
    pub latency_p95_us: u64,
    pub latency_p99_us: u64,
    /// Time-averaged busy workers (services) or requests in flight (clients) over the second.
    pub busy_avg: f64,
    /// Time-averaged queue length over the second (services only).
    pub queue_avg: f64,
}

impl SecondPoint {
    pub fn error_ratio(&self) -> f64 {
        let ended = self.completed + self.failed + self.rejected + self.timed_out;
        if ended == 0 {
            0.0
        } else {
            f64::from(self.failed + self.rejected + self.timed_out) / f64::from(ended)
        }
    }
}

const EXACT_SAMPLES: usize = 4_096;

/// A quantity that changes at instants, integrated over time (worker·µs), for time averages.
#[derive(Clone, Debug, Default)]
pub struct Gauge {
    pub current: u64,
    last_change: SimTime,
    /// Area since the start of the current second.
    area_in_second: u128,
    /// Area since the start of the run.
    pub area_total: u128,
}

impl Gauge {
    pub fn set(&mut self, now: SimTime, value: u64) {
        self.advance(now);
        self.current = value;
    }

    pub fn add(&mut self, now: SimTime, delta: i64) {
        debug_assert!(
            delta >= 0 || self.current >= delta.unsigned_abs(),
            "a gauge below zero: {} {delta}",
            self.current
        );
        let value = self.current.saturating_add_signed(delta);
        self.set(now, value);
    }

    /// The area up to `now`, including the stretch since the last change.
    pub fn area_until(&self, now: SimTime) -> u128 {
        self.area_total
            + u128::from(self.current) * u128::from(now.0.saturating_sub(self.last_change.0))
    }

    fn advance(&mut self, now: SimTime) {
        let elapsed = u128::from(now.0.saturating_sub(self.last_change.0));
        let area = u128::from(self.current) * elapsed;
        self.area_in_second += area;
        self.area_total += area;
        self.last_change = now.max(self.last_change);
    }

    /// The average over the second ending at `boundary`, then starts the next second.
    fn close_second(&mut self, boundary: SimTime) -> f64 {
        self.advance(boundary);
        let average = self.area_in_second as f64 / MICROS_PER_SECOND as f64;
        self.area_in_second = 0;
        average
    }
}

/// What happens within the current second, before it becomes a point.
#[derive(Clone, Debug, Default)]
struct SecondAccumulator {
    arrived: u32,
    completed: u32,
    failed: u32,
    rejected: u32,
    timed_out: u32,
    samples: Vec<u64>,
    overflow: Option<Box<Histogram>>,
}

impl SecondAccumulator {
    fn record_latency(&mut self, latency_us: u64) {
        if let Some(histogram) = &mut self.overflow {
            histogram.record(latency_us);
        } else if self.samples.len() < EXACT_SAMPLES {
            self.samples.push(latency_us);
        } else {
            let mut histogram = Box::new(Histogram::new());
            for &sample in &self.samples {
                histogram.record(sample);
            }
            histogram.record(latency_us);
            self.overflow = Some(histogram);
        }
    }

    fn percentiles(&mut self) -> (u64, u64, u64) {
        if let Some(histogram) = &self.overflow {
            return (
                histogram.quantile_us(0.50),
                histogram.quantile_us(0.95),
                histogram.quantile_us(0.99),
            );
        }
        if self.samples.is_empty() {
            return (0, 0, 0);
        }
        // The nearest-rank order statistics, found by selection instead of a sort (this runs
        // for every tracker every simulated second): the largest rank first, then each smaller
        // one within the part left of it.
        let n = self.samples.len();
        let index = |q: f64| ((q * n as f64).ceil() as usize).max(1) - 1;
        let (i50, i95, i99) = (index(0.50), index(0.95), index(0.99));
        let (below_99, &mut p99, _) = self.samples.select_nth_unstable(i99);
        let (below_95, p95) = if i95 == i99 {
            (below_99, p99)
        } else {
            let (below, &mut p95, _) = below_99.select_nth_unstable(i95);
            (below, p95)
        };
        let p50 = if i50 == i95 {
            p95
        } else {
            *below_95.select_nth_unstable(i50).1
        };
        (p50, p95, p99)
    }

    fn take_point(&mut self, second: u64, busy_avg: f64, queue_avg: f64) -> SecondPoint {
        let (p50, p95, p99) = self.percentiles();
        let point = SecondPoint {
            second,
            arrived: self.arrived,
            completed: self.completed,
            failed: self.failed,
            rejected: self.rejected,
            timed_out: self.timed_out,
            latency_p50_us: p50,
            latency_p95_us: p95,
            latency_p99_us: p99,
            busy_avg,
            queue_avg,
        };
        self.arrived = 0;
        self.completed = 0;
        self.failed = 0;
        self.rejected = 0;
        self.timed_out = 0;
        self.samples.clear();
        self.overflow = None;
        point
    }
}

/// Counters, a whole-run histogram, gauges, and a rolling one-second series.
#[derive(Clone, Debug)]
pub struct Tracker {
    pub counters: Counters,
    pub latency: Histogram,
    /// Busy workers (services) or requests in flight (clients).
    pub busy: Gauge,
    pub queued: Gauge,
    pending: SecondAccumulator,
    series: VecDeque<SecondPoint>,
    window_seconds: usize,
}

impl Tracker {
    pub fn new(window_seconds: u32) -> Tracker {
        Tracker {
            counters: Counters::default(),
            latency: Histogram::new(),
            busy: Gauge::default(),
            queued: Gauge::default(),
            pending: SecondAccumulator::default(),
            series: VecDeque::with_capacity(window_seconds as usize),
            window_seconds: window_seconds as usize,
        }
    }

    pub fn arrived(&mut self) {
        self.counters.arrived += 1;
        self.pending.arrived += 1;
    }

    /// A successful answer after `latency_us`; only successes enter the latency figures.
    pub fn completed(&mut self, latency_us: u64) {
        self.counters.completed += 1;
        self.pending.completed += 1;
        self.latency.record(latency_us);
        self.pending.record_latency(latency_us);
    }

    pub fn failed(&mut self) {
        self.counters.failed += 1;
        self.pending.failed += 1;
    }

    pub fn rejected(&mut self) {
        self.counters.rejected += 1;
        self.pending.rejected += 1;
    }

    pub fn timed_out(&mut self) {
        self.counters.timed_out += 1;
        self.pending.timed_out += 1;
    }

    /// A completion (already counted) that a fallback served.
    pub fn degraded(&mut self) {
        self.counters.degraded += 1;
    }

    pub fn summary(&self) -> LatencySummary {
        self.latency.summary()
    }

    /// Turns the second ending at `boundary` into a point.
    fn close_second(&mut self, second: u64, boundary: SimTime) {
        let busy_avg = self.busy.close_second(boundary);
        let queue_avg = self.queued.close_second(boundary);
        let point = self.pending.take_point(second, busy_avg, queue_avg);
        if self.series.len() == self.window_seconds {
            self.series.pop_front();
        }
        self.series.push_back(point);
    }

    /// The last `window_seconds` closed seconds, oldest first.
    pub fn series(&self) -> &VecDeque<SecondPoint> {
        &self.series
    }

    /// The most recent closed second, if any.
    pub fn last_second(&self) -> Option<&SecondPoint> {
        self.series.back()
    }
}

/// All trackers of a run, and the clock that closes their seconds together.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// What clients see, over all entry endpoints.
    pub client: Tracker,
    /// What clients see, per entry endpoint (indexed like `workload.mix.endpoints`).
    pub client_by_entry: Vec<Tracker>,
    /// Server side, per service.
    pub services: Vec<Tracker>,
    /// Server side, per endpoint.
    pub endpoints: Vec<Tracker>,
    /// Per caller→callee edge, as the caller sees its logical calls.
    pub edges: Vec<Tracker>,
    /// The next second boundary to close.
    next_second: u64,
    window_seconds: u32,
}

impl Metrics {
    pub fn new(
        entries: usize,
        services: usize,
        endpoints: usize,
        edges: usize,
        window_seconds: u32,
    ) -> Metrics {
        Metrics {
            client: Tracker::new(window_seconds),
            client_by_entry: (0..entries).map(|_| Tracker::new(window_seconds)).collect(),
            services: (0..services)
                .map(|_| Tracker::new(window_seconds))
                .collect(),
            endpoints: (0..endpoints)
                .map(|_| Tracker::new(window_seconds))
                .collect(),
            edges: (0..edges).map(|_| Tracker::new(window_seconds)).collect(),
            next_second: 1,
            window_seconds,
        }
    }

    /// Closes every whole second that ends at or before `now`. Cheap when no boundary has passed.
    #[inline]
    pub fn roll(&mut self, now: SimTime) {
        if now.0 >= self.next_second * MICROS_PER_SECOND {
            self.roll_slow(now);
        }
    }

    fn roll_slow(&mut self, now: SimTime) {
        let last_closable = now.0 / MICROS_PER_SECOND;
        // A long quiet stretch: only the last `window` seconds can still be seen, so skip ahead.
        let window = u64::from(self.window_seconds);
        if last_closable > self.next_second + window {
            let skip_to = last_closable - window;
            self.for_each_tracker(|tracker| {
                tracker.close_second(skip_to - 1, SimTime::from_secs(skip_to));
                tracker.series.clear();
            });
            self.next_second = skip_to + 1;
        }
        while self.next_second <= last_closable {
            let second = self.next_second - 1;
            let boundary = SimTime::from_secs(self.next_second);
            self.for_each_tracker(|tracker| tracker.close_second(second, boundary));
            self.next_second += 1;
        }
    }

    fn for_each_tracker(&mut self, mut f: impl FnMut(&mut Tracker)) {
        f(&mut self.client);
        self.client_by_entry.iter_mut().for_each(&mut f);
        self.services.iter_mut().for_each(&mut f);
        self.endpoints.iter_mut().for_each(&mut f);
        self.edges.iter_mut().for_each(&mut f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_close_with_counts_and_exact_percentiles() {
        let mut metrics = Metrics::new(0, 1, 0, 0, 10);
        let tracker = &mut metrics.services[0];
        for latency in 1..=100 {
            tracker.arrived();
            tracker.completed(latency * 1_000);
        }
        tracker.failed();
        metrics.roll(SimTime(1_000_000));
        let point = *metrics.services[0].last_second().expect("one point");
        assert_eq!(point.second, 0);
        assert_eq!(point.arrived, 100);
        assert_eq!(point.completed, 100);
        assert_eq!(point.failed, 1);
        assert_eq!(point.latency_p50_us, 50_000);
        assert_eq!(point.latency_p99_us, 99_000);
    }

    #[test]
    fn selected_percentiles_are_the_nearest_rank_ones_of_the_sorted_samples() {
        let mut rng = crate::engine::core::rng::SimRng::derive(5, "percentiles");
        for n in 1..=300 {
            let samples: Vec<u64> = (0..n).map(|_| rng.below(50)).collect();
            let mut sorted = samples.clone();
            sorted.sort_unstable();
            let rank = |q: f64| sorted[((q * n as f64).ceil() as usize).max(1) - 1];
            let mut second = SecondAccumulator {
                samples,
                ..SecondAccumulator::default()
            };
            assert_eq!(
                second.percentiles(),
                (rank(0.50), rank(0.95), rank(0.99)),
                "{n} samples"
            );
        }
    }

    #[test]
    fn the_series_keeps_only_the_window() {
        let mut metrics = Metrics::new(0, 1, 0, 0, 10);
        metrics.roll(SimTime::from_secs(25));
        let series = metrics.services[0].series();
        assert_eq!(series.len(), 10);
        assert_eq!(series.back().map(|p| p.second), Some(24));
        metrics.roll(SimTime::from_secs(1_000_000));
        let series = metrics.services[0].series();
        assert_eq!(series.len(), 10);
        assert_eq!(series.back().map(|p| p.second), Some(999_999));
        assert_eq!(series.front().map(|p| p.second), Some(999_990));
    }

    #[test]
    fn gauges_average_over_time() {
        let mut metrics = Metrics::new(0, 1, 0, 0, 10);
        let gauge = &mut metrics.services[0].busy;
        gauge.set(SimTime(0), 2);
        gauge.set(SimTime(500_000), 4);
        metrics.roll(SimTime(1_000_000));
        let point = metrics.services[0]
            .last_second()
            .copied()
            .unwrap_or_default();
        assert!((point.busy_avg - 3.0).abs() < 1e-9, "{}", point.busy_avg);
        assert_eq!(
            metrics.services[0].busy.area_total,
            2 * 500_000 + 4 * 500_000
        );
    }

    #[test]
    fn many_samples_in_one_second_stay_bounded_and_close() {
        let mut metrics = Metrics::new(0, 1, 0, 0, 10);
        for latency in 1..=100_000u64 {
            metrics.services[0].completed(latency);
        }
        metrics.roll(SimTime(1_000_000));
        let point = metrics.services[0]
            .last_second()
            .copied()
            .unwrap_or_default();
        assert!((point.latency_p99_us as f64 / 99_000.0 - 1.0).abs() < 0.01);
    }
}
