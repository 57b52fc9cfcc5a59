//! Duration distributions for service times, network latency and think times.
//!
//! Values are in microseconds. A sample is rounded to a whole microsecond; the largest sample is
//! capped at one day so a heavy tail can never push time past what a run can represent.

use super::rng::SimRng;
use super::time::{SimDuration, round_to_u64};
use serde::Serialize;

/// The 99th percentile of the standard normal distribution, Φ⁻¹(0.99).
pub const Z_99: f64 = 2.326_347_874_040_841;

const MAX_SAMPLE_US: f64 = 86_400_000_000.0;

/// A validated distribution of durations.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Distribution {
    Constant {
        value_us: f64,
    },
    Uniform {
        low_us: f64,
        high_us: f64,
    },
    Exponential {
        mean_us: f64,
    },
    /// Log-normal given its median and 99th percentile: μ = ln(median), σ = ln(p99 / median) / z₀.₉₉.
    LogNormal {
        median_us: f64,
        p99_us: f64,
        mu: f64,
        sigma: f64,
    },
    /// A weighted mixture, e.g. a bimodal service that is usually fast and sometimes very slow.
    Mixture {
        /// Ascending cumulative weights; the last one is the total.
        cumulative_weights: Vec<f64>,
        components: Vec<Distribution>,
    },
}

impl Distribution {
    pub fn constant_us(value_us: f64) -> Distribution {
        Distribution::Constant { value_us }
    }

    pub fn log_normal(median_us: f64, p99_us: f64) -> Distribution {
        let mu = libm::log(median_us);
        let sigma = libm::log(p99_us / median_us) / Z_99;
        Distribution::LogNormal {
            median_us,
            p99_us,
            mu,
            sigma,
        }
    }

    pub fn mixture(weighted: Vec<(f64, Distribution)>) -> Distribution {
        let mut total = 0.0;
        let mut cumulative_weights = Vec::with_capacity(weighted.len());
        let mut components = Vec::with_capacity(weighted.len());
        for (weight, component) in weighted {
            total += weight;
            cumulative_weights.push(total);
            components.push(component);
        }
        Distribution::Mixture {
            cumulative_weights,
            components,
        }
    }

    /// True when every sample is the same value (no random draw is needed).
    pub fn is_constant(&self) -> bool {
        matches!(self, Distribution::Constant { .. })
    }

    /// Draws one duration.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        SimDuration(round_to_u64(self.sample_us(rng).min(MAX_SAMPLE_US)))
    }

    fn sample_us(&self, rng: &mut SimRng) -> f64 {
        match self {
            Distribution::Constant { value_us } => *value_us,
            Distribution::Uniform { low_us, high_us } => {
                low_us + (high_us - low_us) * rng.next_f64()
            }
            Distribution::Exponential { mean_us } => -mean_us * libm::log(rng.next_f64_open_zero()),
            Distribution::LogNormal { mu, sigma, .. } => {
                libm::exp(mu + sigma * rng.standard_normal())
            }
            Distribution::Mixture {
                cumulative_weights,
                components,
            } => {
                let index = rng.weighted_index(cumulative_weights);
                components[index].sample_us(rng)
            }
        }
    }

    /// The mean in microseconds (used for utilisation hints and sanity checks, never for sampling).
    pub fn mean_us(&self) -> f64 {
        match self {
            Distribution::Constant { value_us } => *value_us,
            Distribution::Uniform { low_us, high_us } => (low_us + high_us) / 2.0,
            Distribution::Exponential { mean_us } => *mean_us,
            Distribution::LogNormal { mu, sigma, .. } => libm::exp(mu + sigma * sigma / 2.0),
            Distribution::Mixture {
                cumulative_weights,
                components,
            } => {
                let total = cumulative_weights.last().copied().unwrap_or(1.0);
                let mut previous = 0.0;
                let mut mean = 0.0;
                for (cumulative, component) in cumulative_weights.iter().zip(components) {
                    mean += (cumulative - previous) / total * component.mean_us();
                    previous = *cumulative;
                }
                mean
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_many(dist: &Distribution, n: usize) -> Vec<f64> {
        let mut rng = SimRng::derive(11, "dist-test");
        let mut samples: Vec<f64> = (0..n).map(|_| dist.sample(&mut rng).0 as f64).collect();
        samples.sort_by(f64::total_cmp);
        samples
    }

    fn mean(samples: &[f64]) -> f64 {
        samples.iter().sum::<f64>() / samples.len() as f64
    }

    #[test]
    fn exponential_mean_matches() {
        let dist = Distribution::Exponential { mean_us: 100_000.0 };
        let samples = sample_many(&dist, 200_000);
        let m = mean(&samples);
        assert!((m / 100_000.0 - 1.0).abs() < 0.01, "mean {m}");
    }

    #[test]
    fn lognormal_median_and_p99_match() {
        let dist = Distribution::log_normal(20_000.0, 200_000.0);
        let samples = sample_many(&dist, 200_000);
        let median = samples[samples.len() / 2];
        let p99 = samples[samples.len() * 99 / 100];
        assert!((median / 20_000.0 - 1.0).abs() < 0.02, "median {median}");
        assert!((p99 / 200_000.0 - 1.0).abs() < 0.03, "p99 {p99}");
        let analytic = dist.mean_us();
        assert!((mean(&samples) / analytic - 1.0).abs() < 0.03);
    }

    #[test]
    fn uniform_stays_in_bounds() {
        let dist = Distribution::Uniform {
            low_us: 5_000.0,
            high_us: 15_000.0,
        };
        let samples = sample_many(&dist, 50_000);
        assert!(samples[0] >= 5_000.0 && samples[samples.len() - 1] <= 15_000.0);
        assert!((mean(&samples) / 10_000.0 - 1.0).abs() < 0.01);
    }

    #[test]
    fn mixture_weights_split_samples() {
        let dist = Distribution::mixture(vec![
            (99.0, Distribution::constant_us(1_000.0)),
            (1.0, Distribution::constant_us(1_000_000.0)),
        ]);
        let samples = sample_many(&dist, 100_000);
        let slow = samples.iter().filter(|&&s| s > 1_000.0).count();
        assert!((800..1200).contains(&slow), "slow {slow}");
        assert!((dist.mean_us() - (0.99 * 1_000.0 + 0.01 * 1_000_000.0)).abs() < 1e-6);
    }
}
