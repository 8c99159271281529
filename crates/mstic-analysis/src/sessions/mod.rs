//! Anomalous sessions with MSTICPy's first-order Markov model (`analysis/anomalous_sequence`):
//! sessions of commands, of commands with parameter sets, or of commands with parameter values
//! ([`SessionKind`]). Training counts commands, transitions, parameters and values with Laplace
//! smoothing over the `##START##`, `##END##` and `##UNK##` tokens ([`MarkovModel`]); scoring
//! computes the likelihood of every sliding window of a session, and the rarest (least likely)
//! window marks the session's oddest stretch ([`RarestWindow`]). [`SessionScorer`] does it on a
//! frame of sessions.

mod frame;
mod model;

#[allow(deprecated)]
pub use frame::{SessionScorer, score_sessions_frame};
pub use model::MarkovModel;

use mstic_core::{Result, interrupt};
use std::fmt;

/// Token before every session.
pub const START_TOKEN: &str = "##START##";
/// Token after every session.
pub const END_TOKEN: &str = "##END##";
/// Token standing for any command, parameter or value not seen in training.
pub const UNKNOWN_TOKEN: &str = "##UNK##";

/// What a session's elements carry (MSTICPy's `SessionType`); [`SessionScorer`] chooses it from
/// the columns it is given.
///
/// # Example
///
/// ```
/// # use mstic_analysis::{SessionKind, SessionScorer};
/// assert_eq!(SessionScorer::new("Operation_list").kind(), SessionKind::Commands);
/// let with_values = SessionScorer::new("Operation_list").param_values("Parameters_list");
/// assert_eq!(with_values.kind(), SessionKind::ParamValues);
/// assert_eq!(SessionKind::default(), SessionKind::Commands);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionKind {
    /// Command names only (`cmds_only`).
    #[default]
    Commands,
    /// Commands with the set of parameter names they were given (`cmds_params_only`).
    ParamSets,
    /// Commands with parameter names and values (`cmds_params_values`).
    ParamValues,
}

/// One session element: a command and its parameters (MSTICPy's `Cmd`); the values are used by
/// [`SessionKind::ParamValues`] only.
///
/// # Example
///
/// ```
/// # use mstic_analysis::Cmd;
/// let set_user = Cmd::with_values("Set-User", [("Identity", "bob")]);
/// assert_eq!(set_user.to_string(), "Cmd(name='Set-User', params={'Identity': 'bob'})");
/// assert_eq!(Cmd::with_params("Set-User", ["Identity"]).to_string(), "Cmd(name='Set-User', params={'Identity'})");
/// assert_eq!(Cmd::from("Get-User").params.len(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cmd {
    /// The command name, e.g. `Set-Mailbox`.
    pub name: String,
    /// Parameter names in order, each with its value when known.
    pub params: Vec<(String, Option<String>)>,
}

impl Cmd {
    /// A command without parameters.
    pub fn new(name: impl Into<String>) -> Cmd {
        Cmd {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// A command with a set of parameter names.
    pub fn with_params<S: Into<String>>(
        name: impl Into<String>,
        params: impl IntoIterator<Item = S>,
    ) -> Cmd {
        Cmd {
            name: name.into(),
            params: params.into_iter().map(|p| (p.into(), None)).collect(),
        }
    }

    /// A command with parameter names and values.
    pub fn with_values<K: Into<String>, V: Into<String>>(
        name: impl Into<String>,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Cmd {
        Cmd {
            name: name.into(),
            params: params
                .into_iter()
                .map(|(k, v)| (k.into(), Some(v.into())))
                .collect(),
        }
    }
}

impl From<&str> for Cmd {
    fn from(name: &str) -> Cmd {
        Cmd::new(name)
    }
}

/// MSTICPy's `Cmd` text: `Cmd(name='Set-User', params={'Identity', 'Force'})`, or with values
/// `Cmd(name='Set-User', params={'Identity': 'bob'})`.
impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with_values = self.params.iter().any(|(_, v)| v.is_some());
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(name, value)| match (with_values, value) {
                (true, Some(v)) => format!("'{name}': '{v}'"),
                (true, None) => format!("'{name}': None"),
                _ => format!("'{name}'"),
            })
            .collect();
        let params = match (params.is_empty(), with_values) {
            (true, _) => "{}".to_string(),
            _ => format!("{{{}}}", params.join(", ")),
        };
        write!(f, "Cmd(name='{}', params={params})", self.name)
    }
}

/// The least likely window of one session.
#[derive(Debug, Clone, PartialEq)]
pub struct RarestWindow {
    /// The elements of the window (shorter at the session's end, where `##END##` fills in).
    pub window: Vec<Cmd>,
    /// Its likelihood; NaN when the session (plus `##END##`) is shorter than the window.
    pub likelihood: f64,
}

impl RarestWindow {
    /// The command names of the window.
    pub fn commands(&self) -> Vec<&str> {
        self.window.iter().map(|c| c.name.as_str()).collect()
    }
}

impl MarkovModel {
    /// Likelihood of each sliding window of `window_len` elements (MSTICPy
    /// `compute_likelihood_windows_in_session`): with `use_start_end_tokens` the first window
    /// starts from `##START##` and `##END##` is appended to the session; each element's
    /// parameter probability multiplies in; with `use_geo_mean` each likelihood is raised to
    /// `1 / window_len`.
    pub fn window_likelihoods(
        &self,
        session: &[Cmd],
        window_len: usize,
        use_start_end_tokens: bool,
        use_geo_mean: bool,
    ) -> Vec<f64> {
        let end = Cmd::new(END_TOKEN);
        let mut elements: Vec<&Cmd> = session.iter().collect();
        if use_start_end_tokens {
            elements.push(&end);
        }
        if window_len == 0 || elements.len() < window_len {
            return Vec::new();
        }
        (0..=elements.len() - window_len)
            .map(|start| {
                let window = &elements[start..start + window_len];
                let first = if start == 0 && use_start_end_tokens {
                    self.transition(START_TOKEN, &window[0].name)
                } else {
                    self.prior(&window[0].name)
                };
                let mut likelihood = first * self.params_probability(window[0]);
                for pair in window.windows(2) {
                    likelihood *= self.transition(&pair[0].name, &pair[1].name);
                    likelihood *= self.params_probability(pair[1]);
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
        session: &[Cmd],
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

/// MSTICPy `score_sessions` on in-memory sessions of any kind: trains on all `sessions` and
/// returns the rarest window of `window_len` for each. An interrupt of the cell stops the
/// scoring with `Error::Interrupted`.
pub fn score_cmd_sessions(
    sessions: &[Vec<Cmd>],
    kind: SessionKind,
    window_len: usize,
    use_geo_mean: bool,
) -> Result<Vec<RarestWindow>> {
    interrupt::check(SCORING)?;
    let model = MarkovModel::train_sessions(sessions, kind);
    rarest_windows(&model, sessions, window_len, use_geo_mean)
}

/// What an interrupted scoring reports as stopped.
const SCORING: &str = "scoring the sessions";
/// Sessions scored between two checks for an interrupt of the cell.
const INTERRUPT_CHECK_SESSIONS: usize = 256;

/// The rarest window of each session under `model`, checking for an interrupt as it goes.
pub(crate) fn rarest_windows(
    model: &MarkovModel,
    sessions: &[Vec<Cmd>],
    window_len: usize,
    use_geo_mean: bool,
) -> Result<Vec<RarestWindow>> {
    let mut scored = Vec::with_capacity(sessions.len());
    for (index, session) in sessions.iter().enumerate() {
        if index % INTERRUPT_CHECK_SESSIONS == 0 {
            interrupt::check(SCORING)?;
        }
        scored.push(model.rarest_window(session, window_len, use_geo_mean));
    }
    Ok(scored)
}

/// MSTICPy `score_sessions` for command-only sessions: trains on all `sessions` and returns the
/// rarest window of `window_len` for each (the `rarest_window{N}` and
/// `rarest_window{N}_likelihood` columns).
pub fn score_sessions(sessions: &[Vec<String>], window_len: usize) -> Result<Vec<RarestWindow>> {
    let sessions: Vec<Vec<Cmd>> = sessions
        .iter()
        .map(|s| s.iter().map(|c| Cmd::new(c.as_str())).collect())
        .collect();
    score_cmd_sessions(&sessions, SessionKind::Commands, window_len, false)
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
        let scored = score_sessions(&sessions(), 3).unwrap();
        assert_eq!(scored[3].commands(), vec!["New-InboxRule", "Set-User"]);
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
        let result = model.rarest_window(&[Cmd::new("Set-User")], 3, false);
        assert!(result.window.is_empty() && result.likelihood.is_nan());
    }
}
