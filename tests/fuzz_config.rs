//! Settings shared by every property-based fuzz harness of the workspace (`tests/fuzz_*.rs` of
//! the crates, the kernel's `wire` fuzz module), included by each with `#[path]`.
//!
//! A normal `cargo test` runs each harness with its small default number of cases and a fixed
//! seed, so CI runs are reproducible, and writes no failure files into the tree. Long runs scale
//! every harness at once: `MSTIC_FUZZ_CASES=<n>` sets the number of cases, `MSTIC_FUZZ_SEED=<n>`
//! explores other inputs.

use proptest::test_runner::{Config, RngSeed};

/// The seed used when `MSTIC_FUZZ_SEED` is not set.
const DEFAULT_SEED: u64 = 0x4d53_5449_435f_4655;

/// A whole number from the environment variable `name`; a value that is not one stops the run
/// with a message naming the variable.
fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(text.trim().parse().unwrap_or_else(|_| panic!("{name}={text:?} is not a whole number")))
}

/// The proptest settings of a harness whose normal run takes `default_cases` cases.
pub fn fuzz_config(default_cases: u32) -> Config {
    let cases = env_number("MSTIC_FUZZ_CASES").map_or(default_cases, |n| u32::try_from(n).unwrap_or(u32::MAX));
    Config {
        cases,
        rng_seed: RngSeed::Fixed(env_number("MSTIC_FUZZ_SEED").unwrap_or(DEFAULT_SEED)),
        failure_persistence: None,
        ..Config::default()
    }
}

/// The property of every fallible call under fuzzing: it returns `Ok`, or an error whose message
/// says something. The value, when there is one, is handed back for further checks.
pub fn ok_or_message<T, E: std::fmt::Display + std::fmt::Debug>(outcome: Result<T, E>) -> Result<Option<T>, proptest::test_runner::TestCaseError> {
    match outcome {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.to_string().trim().is_empty() => Err(proptest::test_runner::TestCaseError::fail(format!("an error without a message: {e:?}"))),
        Err(_) => Ok(None),
    }
}
