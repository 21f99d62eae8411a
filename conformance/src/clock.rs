//! The suite's clock: seconds since the Unix epoch, as tokens count `iat`, `nbf` and `exp`.
//! Every token the suite signs, forges or judges is dated by it.

/// Seconds since the Unix epoch (0 for a clock before it), signed so that a token can be
/// dated before now.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
