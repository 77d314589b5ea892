//! Instantaneous rates for INFO (`instantaneous_ops_per_sec`, `instantaneous_input_kbps`, …), sampled
//! like Redis's `trackInstantaneousMetric`: every cron tick records the rate since the previous
//! tick in a ring of 16 samples, and INFO reports their mean.

const SAMPLES: usize = 16;

#[derive(Default, Clone)]
pub struct RateMeter {
    samples: [f64; SAMPLES],
    next: usize,
    last_value: u64,
    last_ms: i64,
}

impl RateMeter {
    /// Records the rate (per second) of `value` since the previous call.
    pub fn track(&mut self, value: u64, now_ms: i64) {
        if self.last_ms > 0 && now_ms > self.last_ms {
            let per_sec = value.saturating_sub(self.last_value) as f64 * 1000.0
                / (now_ms - self.last_ms) as f64;
            self.samples[self.next] = per_sec;
            self.next = (self.next + 1) % SAMPLES;
        }
        self.last_value = value;
        self.last_ms = now_ms;
    }

    /// Mean of the recorded samples.
    pub fn rate(&self) -> f64 {
        self.samples.iter().sum::<f64>() / SAMPLES as f64
    }
}

/// The rates INFO stats reports.
#[derive(Default, Clone)]
pub struct Rates {
    pub ops: RateMeter,
    pub net_input: RateMeter,
    pub net_output: RateMeter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_rate_over_samples() {
        let mut m = RateMeter::default();
        for i in 0..=SAMPLES as i64 {
            m.track(i as u64 * 100, 1_000 + i * 100);
        }
        assert!((m.rate() - 1000.0).abs() < 1e-9);
    }
}
