//! A fixed-size log-linear latency histogram (the HdrHistogram layout with 64 sub-buckets per
//! power of two).
//!
//! Values below 128 µs are counted exactly. Above that, a bucket spans at most 1/64 of its lower
//! bound, and a percentile is reported as its bucket's midpoint, so the relative error of any
//! percentile is at most 1/128 ≈ 0.8 % — inside the 1 % the engine promises. Memory is fixed
//! (≈ 20 KB) however many values are recorded.

use serde::Serialize;

const SUB_BUCKET_BITS: u32 = 6;
const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS; // 64 buckets per octave above the exact range
const EXACT_LIMIT: u64 = 2 * SUB_BUCKETS; // values below 128 get a bucket each
/// Values up to 2^44 µs (about 203 days) are recorded; larger ones go to the last bucket.
const MAX_EXPONENT: u32 = 43;
const BUCKET_COUNT: usize =
    ((MAX_EXPONENT - SUB_BUCKET_BITS) as usize + 1) * SUB_BUCKETS as usize + SUB_BUCKETS as usize;

#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
    sum_us: u128,
    min_us: u64,
    max_us: u64,
}

/// The percentiles every report shows, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_us: f64,
    pub min_us: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p95_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

fn bucket_index(value: u64) -> usize {
    if value < EXACT_LIMIT {
        return value as usize;
    }
    let exponent = (63 - value.leading_zeros()).min(MAX_EXPONENT);
    let shift = exponent - SUB_BUCKET_BITS;
    let top = (value >> shift).min(2 * SUB_BUCKETS - 1); // in 64..128
    (shift as usize) * SUB_BUCKETS as usize + top as usize
}

/// The smallest and largest value a bucket holds.
fn bucket_bounds(index: usize) -> (u64, u64) {
    let index = index as u64;
    if index < EXACT_LIMIT {
        return (index, index);
    }
    let shift = index / SUB_BUCKETS - 1;
    let top = index % SUB_BUCKETS + SUB_BUCKETS;
    let low = top << shift;
    (low, low + (1 << shift) - 1)
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKET_COUNT].into_boxed_slice(),
            total: 0,
            sum_us: 0,
            min_us: u64::MAX,
            max_us: 0,
        }
    }

    pub fn record(&mut self, value_us: u64) {
        self.counts[bucket_index(value_us)] += 1;
        self.total += 1;
        self.sum_us += u128::from(value_us);
        self.min_us = self.min_us.min(value_us);
        self.max_us = self.max_us.max(value_us);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn mean_us(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum_us as f64 / self.total as f64
        }
    }

    /// The value at quantile `q` (0.0–1.0): the midpoint of the bucket holding the ⌈q·n⌉-th value,
    /// clamped to the observed minimum and maximum. Zero when empty.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, high) = bucket_bounds(index);
                let mid = low + (high - low) / 2;
                return mid.clamp(self.min_us, self.max_us);
            }
        }
        self.max_us
    }

    /// How many recorded values are at or above `threshold_us`, counting whole buckets: exact when
    /// no recorded value shares a bucket with the threshold.
    pub fn count_at_or_above(&self, threshold_us: u64) -> u64 {
        let first = bucket_index(threshold_us);
        self.counts[first..].iter().sum()
    }

    pub fn summary(&self) -> LatencySummary {
        if self.total == 0 {
            return LatencySummary::default();
        }
        LatencySummary {
            count: self.total,
            mean_us: self.mean_us(),
            min_us: self.min_us,
            p50_us: self.quantile_us(0.50),
            p90_us: self.quantile_us(0.90),
            p95_us: self.quantile_us(0.95),
            p99_us: self.quantile_us(0.99),
            p999_us: self.quantile_us(0.999),
            max_us: self.max_us,
        }
    }

    /// Adds every value of `other` to this histogram.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
        self.sum_us += other.sum_us;
        self.min_us = self.min_us.min(other.min_us);
        self.max_us = self.max_us.max(other.max_us);
    }
}

/// Milliseconds with the precision a reader wants: `1.25`, `12.5`, `125`.
pub fn format_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// Latency figures in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencyMs {
    #[serde(serialize_with = "super::json::finite")]
    pub mean: f64,
    #[serde(serialize_with = "super::json::finite")]
    pub p50: f64,
    #[serde(serialize_with = "super::json::finite")]
    pub p90: f64,
    #[serde(serialize_with = "super::json::finite")]
    pub p95: f64,
    #[serde(serialize_with = "super::json::finite")]
    pub p99: f64,
    #[serde(serialize_with = "super::json::finite")]
    pub p99_9: f64,
    #[serde(serialize_with = "super::json::finite")]
    pub max: f64,
}

impl From<LatencySummary> for LatencyMs {
    fn from(summary: LatencySummary) -> LatencyMs {
        let ms = |us: u64| us as f64 / 1_000.0;
        LatencyMs {
            mean: summary.mean_us / 1_000.0,
            p50: ms(summary.p50_us),
            p90: ms(summary.p90_us),
            p95: ms(summary.p95_us),
            p99: ms(summary.p99_us),
            p99_9: ms(summary.p999_us),
            max: ms(summary.max_us),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::SimRng;

    #[test]
    fn buckets_tile_the_range_without_gaps() {
        let mut expected_low = 0;
        for index in 0..BUCKET_COUNT {
            let (low, high) = bucket_bounds(index);
            assert_eq!(low, expected_low, "bucket {index}");
            assert!(high >= low);
            assert_eq!(bucket_index(low), index);
            assert_eq!(bucket_index(high), index);
            if low >= EXACT_LIMIT {
                assert!((high - low + 1) as f64 / low as f64 <= 1.0 / 64.0 + 1e-12);
            }
            expected_low = high + 1;
        }
    }

    #[test]
    fn percentiles_within_one_percent_of_exact() {
        let mut rng = SimRng::derive(5, "histogram");
        let mut hist = Histogram::new();
        let mut values = Vec::new();
        for _ in 0..200_000 {
            // log-uniform over 10 µs .. 100 s: every octave gets exercised
            let v = libm::exp(libm::log(10.0) + rng.next_f64() * libm::log(1e7)) as u64;
            hist.record(v);
            values.push(v);
        }
        values.sort_unstable();
        for q in [0.5, 0.9, 0.95, 0.99, 0.999] {
            let rank = ((q * values.len() as f64).ceil() as usize).max(1);
            let exact = values[rank - 1] as f64;
            let approx = hist.quantile_us(q) as f64;
            assert!(
                (approx / exact - 1.0).abs() <= 0.01,
                "q {q}: exact {exact} approx {approx}"
            );
        }
    }

    #[test]
    fn small_values_are_exact() {
        let mut hist = Histogram::new();
        for v in 1..=100 {
            hist.record(v);
        }
        assert_eq!(hist.quantile_us(0.5), 50);
        assert_eq!(hist.quantile_us(0.99), 99);
        assert_eq!(hist.summary().min_us, 1);
        assert_eq!(hist.summary().max_us, 100);
        assert!((hist.mean_us() - 50.5).abs() < 1e-9);
    }

    #[test]
    fn counts_above_a_threshold() {
        let mut hist = Histogram::new();
        for v in [10, 20, 30_000, 500_000, 600_000] {
            hist.record(v);
        }
        assert_eq!(hist.count_at_or_above(250_000), 2);
        assert_eq!(hist.count_at_or_above(0), 5);
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record(10);
        b.record(1_000_000);
        a.merge(&b);
        assert_eq!(a.count(), 2);
        assert_eq!(a.summary().max_us, 1_000_000);
    }
}
