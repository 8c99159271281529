//! Anomalous command sessions with MSTICPy's first-order Markov model (commands only;
//! `analysis/anomalous_sequence`, `utils/cmds_only.py`): counts with Laplace smoothing over the
//! `##START##`, `##END##` and `##UNK##` tokens, then the likelihood of every sliding window of a
//! session; the rarest (least likely) window marks the session's oddest stretch.

use std::collections::HashMap;

/// Token before every session.
pub const START_TOKEN: &str = "##START##";
/// Token after every session.
pub const END_TOKEN: &str = "##END##";
/// Token standing for any command not seen in training.
pub const UNKNOWN_TOKEN: &str = "##UNK##";

/// Trained command and transition probabilities.
#[derive(Debug, Clone, Default)]
pub struct MarkovModel {
    prior: HashMap<String, f64>,
    transitions: HashMap<String, HashMap<String, f64>>,
}

/// The least likely window of one session.
#[derive(Debug, Clone, PartialEq)]
pub struct RarestWindow {
    /// The commands of the window (shorter at the session's end, where `##END##` fills in).
    pub window: Vec<String>,
    /// Its likelihood; NaN when the session is shorter than the window.
    pub likelihood: f64,
}

impl MarkovModel {
    /// Trains on `sessions` (each a list of commands) with MSTICPy's Laplace smoothing: one is
    /// added to every (previous, next) pair of known commands plus the three tokens, except
    /// transitions out of `##END##` or into `##START##`.
    pub fn train(sessions: &[Vec<String>]) -> MarkovModel {
        let mut singles: Vec<(String, f64)> = Vec::new(); // insertion order, like a Python dict
        let mut single_index: HashMap<String, usize> = HashMap::new();
        let mut pairs: HashMap<String, HashMap<String, f64>> = HashMap::new();
        let mut add_single = |name: &str, singles: &mut Vec<(String, f64)>| {
            let index = *single_index.entry(name.to_string()).or_insert_with(|| {
                singles.push((name.to_string(), 0.0));
                singles.len() - 1
            });
            singles[index].1 += 1.0;
        };
        for session in sessions {
            let mut previous = START_TOKEN.to_string();
            add_single(START_TOKEN, &mut singles);
            for command in session {
                add_single(command, &mut singles);
                *pairs
                    .entry(previous.clone())
                    .or_default()
                    .entry(command.clone())
                    .or_default() += 1.0;
                previous = command.clone();
            }
            *pairs
                .entry(previous)
                .or_default()
                .entry(END_TOKEN.to_string())
                .or_default() += 1.0;
            add_single(END_TOKEN, &mut singles);
        }
        let mut vocabulary: Vec<String> = singles.iter().map(|(name, _)| name.clone()).collect();
        vocabulary.push(UNKNOWN_TOKEN.to_string());
        for first in &vocabulary {
            for second in &vocabulary {
                if first != END_TOKEN && second != START_TOKEN {
                    add_single(first, &mut singles);
                    *pairs
                        .entry(first.clone())
                        .or_default()
                        .entry(second.clone())
                        .or_default() += 1.0;
                    add_single(second, &mut singles);
                }
            }
        }
        let total: f64 = singles.iter().map(|(_, c)| c).sum();
        let prior = singles
            .into_iter()
            .map(|(name, count)| (name, count / total))
            .collect();
        let transitions = pairs
            .into_iter()
            .map(|(previous, nexts)| {
                let row_total: f64 = nexts.values().sum();
                (
                    previous,
                    nexts
                        .into_iter()
                        .map(|(next, count)| (next, count / row_total))
                        .collect(),
                )
            })
            .collect();
        MarkovModel { prior, transitions }
    }

    /// Probability of `command` on its own (unseen commands take `##UNK##`'s).
    pub fn prior(&self, command: &str) -> f64 {
        self.prior
            .get(command)
            .or_else(|| self.prior.get(UNKNOWN_TOKEN))
            .copied()
            .unwrap_or(0.0)
    }

    /// Probability that `next` follows `previous` (unseen commands on either side take `##UNK##`).
    pub fn transition(&self, previous: &str, next: &str) -> f64 {
        let row = self
            .transitions
            .get(previous)
            .or_else(|| self.transitions.get(UNKNOWN_TOKEN));
        row.and_then(|r| r.get(next).or_else(|| r.get(UNKNOWN_TOKEN)))
            .copied()
            .unwrap_or(0.0)
    }

    /// Likelihood of each sliding window of `window_len` commands (MSTICPy
    /// `compute_likelihood_windows_in_session`): with `use_start_end_tokens` the first window
    /// starts from `##START##` and `##END##` is appended to the session; with `use_geo_mean`
    /// each likelihood is raised to `1 / window_len`.
    pub fn window_likelihoods(
        &self,
        session: &[String],
        window_len: usize,
        use_start_end_tokens: bool,
        use_geo_mean: bool,
    ) -> Vec<f64> {
        let mut commands: Vec<&str> = session.iter().map(String::as_str).collect();
        if use_start_end_tokens {
            commands.push(END_TOKEN);
        }
        if window_len == 0 || commands.len() < window_len {
            return Vec::new();
        }
        (0..=commands.len() - window_len)
            .map(|start| {
                let window = &commands[start..start + window_len];
                let mut likelihood = if start == 0 && use_start_end_tokens {
                    self.transition(START_TOKEN, window[0])
                } else {
                    self.prior(window[0])
                };
                for pair in window.windows(2) {
                    likelihood *= self.transition(pair[0], pair[1]);
                }
                if use_geo_mean {
                    likelihood.powf(1.0 / window_len as f64)
                } else {
                    likelihood
                }
            })
            .collect()
    }

    /// The least likely window of `session` (MSTICPy `rarest_window_session`, with start and
    /// end tokens); the first one wins ties.
    pub fn rarest_window(
        &self,
        session: &[String],
        window_len: usize,
        use_geo_mean: bool,
    ) -> RarestWindow {
        let likelihoods = self.window_likelihoods(session, window_len, true, use_geo_mean);
        let Some((index, &likelihood)) = likelihoods
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(&b.0)))
        else {
            return RarestWindow {
                window: Vec::new(),
                likelihood: f64::NAN,
            };
        };
        let end = (index + window_len).min(session.len());
        RarestWindow {
            window: session[index.min(end)..end].to_vec(),
            likelihood,
        }
    }
}

/// MSTICPy `score_sessions` for command-only sessions: trains on all `sessions` and returns the
/// rarest window of `window_len` for each (the `rarest_window{N}` and
/// `rarest_window{N}_likelihood` columns).
pub fn score_sessions(sessions: &[Vec<String>], window_len: usize) -> Vec<RarestWindow> {
    let model = MarkovModel::train(sessions);
    sessions
        .iter()
        .map(|s| model.rarest_window(s, window_len, false))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Computed with MSTICPy's counting and probability rules (cmds_only.compute_counts,
    // probabilities.compute_cmds_probs, rarest_window_session) on the sessions below.
    const REF_PRIOR_SET_USER: f64 = 0.25;
    const REF_PRIOR_UNK: f64 = 0.14705882352941177;
    const REF_TRANS_USER_USER: f64 = 0.3333333333333333;
    const REF_TRANS_START_MAILBOX: f64 = 0.3333333333333333;
    const REF_TRANS_UNK_USER: f64 = 0.2;
    const REF_RAREST_3: f64 = 0.022467320261437912;
    const REF_RAREST_0: f64 = 0.046296296296296294;

    fn sessions() -> Vec<Vec<String>> {
        let raw: [&[&str]; 4] = [
            &["Set-User", "Set-User"],
            &["Set-Mailbox", "Set-User", "Set-User"],
            &["Set-User", "Set-User"],
            &["Set-Mailbox", "New-InboxRule", "Set-User"],
        ];
        raw.iter()
            .map(|s| s.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    /// Reference values from MSTICPy's `cmds_only` functions on the same sessions.
    #[test]
    fn probabilities_match_msticpy() {
        let model = MarkovModel::train(&sessions());
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(
            close(model.prior("Set-User"), REF_PRIOR_SET_USER),
            "{}",
            model.prior("Set-User")
        );
        assert!(
            close(model.prior("Unseen"), REF_PRIOR_UNK),
            "{}",
            model.prior("Unseen")
        );
        assert!(close(
            model.transition("Set-User", "Set-User"),
            REF_TRANS_USER_USER
        ));
        assert!(close(
            model.transition(START_TOKEN, "Set-Mailbox"),
            REF_TRANS_START_MAILBOX
        ));
        assert!(close(
            model.transition("Unseen", "Set-User"),
            REF_TRANS_UNK_USER
        ));
        let scored = score_sessions(&sessions(), 3);
        assert_eq!(scored[3].window, vec!["New-InboxRule", "Set-User"]);
        assert!(
            close(scored[3].likelihood, REF_RAREST_3),
            "{}",
            scored[3].likelihood
        );
        assert!(
            close(scored[0].likelihood, REF_RAREST_0),
            "{}",
            scored[0].likelihood
        );
    }

    #[test]
    fn short_session_has_no_window() {
        let model = MarkovModel::train(&sessions());
        let result = model.rarest_window(&["Set-User".to_string()], 3, false);
        assert!(result.window.is_empty() && result.likelihood.is_nan());
    }
}
