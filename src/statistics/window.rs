//! A window of samples with percentiles: a log-linear histogram (values
//! below 16 exact, above in 8 buckets per power of two, so a percentile
//! is within 1/8 of the value), plus the exact min, max, sum and sum of
//! squares. Recording is a few instructions; no allocation after `new`.

use super::WindowStatistics;

/// Sub-buckets per power of two.
const SUB: u32 = 8;
/// Values up to 2^40 (microseconds: 12 days) are bucketed.
const TOP_BIT: u32 = 40;
const BUCKETS: usize = (16 + (TOP_BIT - 4) * SUB) as usize;

/// Samples since the last [`Window::take`].
#[derive(Debug, Clone)]
pub(crate) struct Window {
    counts: Box<[u32; BUCKETS]>,
    cnt: u64,
    sum: u64,
    sum_sq: u128,
    min: u64,
    max: u64,
    outofrange: u64,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            counts: Box::new([0; BUCKETS]),
            cnt: 0,
            sum: 0,
            sum_sq: 0,
            min: u64::MAX,
            max: 0,
            outofrange: 0,
        }
    }
}

fn bucket(v: u64) -> Option<usize> {
    if v < 16 {
        return Some(v as usize);
    }
    let bit = 63 - v.leading_zeros(); // >= 4
    if bit >= TOP_BIT {
        return None;
    }
    let sub = (v >> (bit - 3)) & u64::from(SUB - 1);
    Some((16 + (bit - 4) * SUB) as usize + sub as usize)
}

/// The largest value in bucket `i`.
fn upper(i: usize) -> u64 {
    if i < 16 {
        return i as u64;
    }
    let i = i as u64 - 16;
    let bit = i / u64::from(SUB) + 4;
    let sub = i % u64::from(SUB);
    let width = 1u64 << (bit - 3);
    (1u64 << bit) + (sub + 1) * width - 1
}

impl Window {
    /// Adds one sample.
    pub(crate) fn record(&mut self, v: u64) {
        self.cnt += 1;
        self.sum = self.sum.saturating_add(v);
        self.sum_sq = self.sum_sq.saturating_add(u128::from(v) * u128::from(v));
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        match bucket(v) {
            Some(i) => self.counts[i] = self.counts[i].saturating_add(1),
            None => self.outofrange += 1,
        }
    }

    /// The window in librdkafka's shape.
    pub(crate) fn statistics(&self) -> WindowStatistics {
        let cnt = self.cnt;
        if cnt == 0 {
            return WindowStatistics {
                hdrsize: std::mem::size_of::<[u32; BUCKETS]>() as i64,
                ..Default::default()
            };
        }
        let mean = self.sum as f64 / cnt as f64;
        let var = (self.sum_sq as f64 / cnt as f64 - mean * mean).max(0.0);
        let pct = |p: f64| -> i64 {
            let in_range = cnt - self.outofrange;
            if in_range == 0 {
                return 0;
            }
            let rank = ((p / 100.0) * in_range as f64).ceil().max(1.0) as u64;
            let mut seen = 0u64;
            for (i, &c) in self.counts.iter().enumerate() {
                seen += u64::from(c);
                if seen >= rank {
                    return upper(i).min(self.max) as i64;
                }
            }
            self.max as i64
        };
        WindowStatistics {
            min: self.min as i64,
            max: self.max as i64,
            avg: mean.round() as i64,
            sum: self.sum as i64,
            cnt: cnt as i64,
            stddev: var.sqrt().round() as i64,
            hdrsize: std::mem::size_of::<[u32; BUCKETS]>() as i64,
            p50: pct(50.0),
            p75: pct(75.0),
            p90: pct(90.0),
            p95: pct(95.0),
            p99: pct(99.0),
            p99_99: pct(99.99),
            outofrange: self.outofrange as i64,
        }
    }

    /// Empties the window.
    pub(crate) fn reset(&mut self) {
        *self = Window::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_their_values_and_stay_within_an_eighth() {
        for v in [
            0u64,
            1,
            15,
            16,
            17,
            31,
            32,
            100,
            1000,
            12_345,
            1 << 30,
            (1 << 40) - 1,
        ] {
            let i = bucket(v).expect("in range");
            assert!(upper(i) >= v, "{v} above its bucket's bound {}", upper(i));
            assert!(upper(i) - v <= v / 8, "{v}: bound {} too far", upper(i));
            if i > 0 {
                assert!(upper(i - 1) < v, "{v} belongs below");
            }
        }
        assert_eq!(bucket(1 << 40), None);
    }

    #[test]
    fn percentiles_mean_and_deviation_of_known_samples() {
        let mut w = Window::default();
        for v in 1..=1000u64 {
            w.record(v);
        }
        let s = w.statistics();
        assert_eq!((s.min, s.max, s.cnt, s.sum), (1, 1000, 1000, 500_500));
        assert_eq!(s.avg, 501); // 500.5 rounded
        assert_eq!(s.stddev, 289); // sqrt((1000^2 - 1) / 12)
        for (p, exact) in [(s.p50, 500), (s.p90, 900), (s.p99, 990), (s.p99_99, 1000)] {
            assert!(p >= exact && p <= exact + exact / 8, "{p} vs {exact}");
        }
        w.record(1 << 41);
        assert_eq!(w.statistics().outofrange, 1);
        w.reset();
        assert_eq!(w.statistics().cnt, 0);
        assert_eq!(w.statistics().p99, 0);
    }
}
