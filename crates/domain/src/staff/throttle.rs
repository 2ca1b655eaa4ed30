//! Sign-in throttling rules (OWASP's "authentication cheat sheet"): wrong
//! passwords slow down the (account, address) pair that sent them with
//! growing delays, and an address that fails too often is banned; nobody can
//! lock an account out for everyone else.

/// The first delay once an (account, address) pair reaches its threshold.
pub const FIRST_DELAY_SECS: i64 = 15;

/// How long the pair must wait after its last failure before trying again,
/// given `failures` in the counting window and the `threshold` at which
/// delays begin: nothing below it, then [`FIRST_DELAY_SECS`] doubling with
/// every further failure, never more than `cap_secs`.
///
/// ```
/// use domain::staff::throttle::delay_secs;
/// assert_eq!(delay_secs(4, 5, 1800), 0);
/// assert_eq!(delay_secs(5, 5, 1800), 15);
/// assert_eq!(delay_secs(7, 5, 1800), 60);
/// assert_eq!(delay_secs(40, 5, 1800), 1800);
/// ```
pub fn delay_secs(failures: i64, threshold: i64, cap_secs: i64) -> i64 {
    if failures < threshold {
        return 0;
    }
    // 15 << 20 is over a year: further doublings only matter to the cap.
    let doublings = (failures - threshold).min(20) as u32;
    (FIRST_DELAY_SECS << doublings).min(cap_secs.max(0))
}

/// Seconds still to wait at `now` when the last failure was at `last`, or 0.
///
/// ```
/// use domain::staff::throttle::retry_after;
/// assert_eq!(retry_after(5, 5, 1800, Some(100), 110), 5);
/// assert_eq!(retry_after(5, 5, 1800, Some(100), 115), 0);
/// assert_eq!(retry_after(4, 5, 1800, Some(100), 100), 0);
/// ```
pub fn retry_after(
    failures: i64,
    threshold: i64,
    cap_secs: i64,
    last: Option<i64>,
    now: i64,
) -> i64 {
    match last {
        Some(last) => (last + delay_secs(failures, threshold, cap_secs) - now).max(0),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_cap() {
        let cases = [
            // (failures, threshold, cap, delay)
            (0, 5, 1800, 0),
            (4, 5, 1800, 0),
            (5, 5, 1800, 15),
            (6, 5, 1800, 30),
            (8, 5, 1800, 120),
            (11, 5, 1800, 960),
            (12, 5, 1800, 1800),
            (1_000_000, 5, 1800, 1800),
            (3, 3, 60, 15),
            (10, 3, 60, 60),
            (5, 5, 0, 0),
        ];
        for (failures, threshold, cap, want) in cases {
            assert_eq!(
                delay_secs(failures, threshold, cap),
                want,
                "{failures} failures, threshold {threshold}, cap {cap}"
            );
        }
    }

    #[test]
    fn retry_after_counts_from_the_last_failure() {
        assert_eq!(retry_after(6, 5, 1800, Some(1000), 1000), 30);
        assert_eq!(retry_after(6, 5, 1800, Some(1000), 1029), 1);
        assert_eq!(retry_after(6, 5, 1800, Some(1000), 1030), 0);
        assert_eq!(retry_after(6, 5, 1800, None, 1000), 0);
    }
}
