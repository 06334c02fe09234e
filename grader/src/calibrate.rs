//! How much slower than the reference machine this one is, right now: the
//! factor every timeout is multiplied by. QEMU under TCG is CPU-bound, so a
//! fixed CPU loop, run on as many threads as boots run at once, predicts
//! how a boot's time stretches on a slow or busy machine.

use std::time::{Duration, Instant};

/// The loop's time (optimized) on the machine the base timeouts were chosen on (two
/// cores shared with other builds, no KVM).
const BASELINE: Duration = Duration::from_millis(70);
const ROUNDS: u64 = 40_000_000;

fn spin() -> Duration {
    let start = Instant::now();
    let mut x = std::hint::black_box(0x9e37_79b9_7f4a_7c15u64);
    for _ in 0..ROUNDS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    std::hint::black_box(x);
    start.elapsed()
}

/// The slowest of the parallel loops against the baseline, kept within [1, 10]:
/// timeouts never shrink below the base, and never grow without bound.
pub fn measure() -> f64 {
    let times: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..crate::pool::WORKERS).map(|_| s.spawn(spin)).collect();
        handles.into_iter().map(|h| h.join().unwrap_or(BASELINE)).collect()
    });
    let slowest = times.into_iter().max().unwrap_or(BASELINE);
    clamp(slowest.as_secs_f64() / BASELINE.as_secs_f64())
}

pub fn clamp(scale: f64) -> f64 {
    if scale.is_nan() { 1.0 } else { scale.clamp(1.0, 10.0) }
}

/// `--timeout-scale`, else `QEMU_TIMEOUT_SCALE`, else a measurement. An
/// explicit factor is taken as given (it may shrink the timeouts).
pub fn scale(explicit: Option<f64>) -> (f64, &'static str) {
    if let Some(s) = explicit {
        return (s, "--timeout-scale");
    }
    if let Some(s) = std::env::var("QEMU_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
    {
        return (s, "QEMU_TIMEOUT_SCALE");
    }
    (measure(), "calibrated")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scale_is_clamped() {
        assert_eq!(super::clamp(0.2), 1.0);
        assert_eq!(super::clamp(3.5), 3.5);
        assert_eq!(super::clamp(40.0), 10.0);
        assert_eq!(super::clamp(f64::NAN), 1.0);
        let measured = super::measure();
        assert!((1.0..=10.0).contains(&measured));
    }
}
