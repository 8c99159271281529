//! Training of MSTICPy's session Markov model (`anomalous_sequence/model.py` with
//! `utils/{cmds_only,cmds_params_only,cmds_params_values,laplace_smooth,probabilities}.py`):
//! raw counts, Laplace smoothing with the start, end and unknown tokens, then probabilities.

use super::{Cmd, END_TOKEN, START_TOKEN, SessionKind, UNKNOWN_TOKEN};
use std::collections::{HashMap, HashSet};

/// Counts that remember the order keys were first seen (like a Python dict), so products over a
/// row multiply in MSTICPy's order.
#[derive(Debug, Clone, Default)]
struct Counter {
    order: Vec<String>,
    counts: HashMap<String, f64>,
}

impl Counter {
    fn add(&mut self, key: &str, amount: f64) {
        match self.counts.get_mut(key) {
            Some(count) => *count += amount,
            None => {
                self.order.push(key.to_string());
                self.counts.insert(key.to_string(), amount);
            }
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.counts.contains_key(key)
    }

    fn total(&self) -> f64 {
        self.order.iter().map(|k| self.counts[k]).sum()
    }

    fn entries(&self) -> impl Iterator<Item = (&String, f64)> {
        self.order.iter().map(|k| (k, self.counts[k]))
    }
}

/// Nested counts (`previous → next`, `command → parameter`, `parameter → value`).
type Nested = HashMap<String, Counter>;

fn add_nested(nested: &mut Nested, outer: &str, inner: &str, amount: f64) {
    nested
        .entry(outer.to_string())
        .or_default()
        .add(inner, amount);
}

/// Trained probabilities of MSTICPy's session model: commands (prior and transitions) and, for
/// the richer session kinds, parameters given a command and values given a parameter.
#[derive(Debug, Clone, Default)]
pub struct MarkovModel {
    pub(super) kind: SessionKind,
    prior: HashMap<String, f64>,
    transitions: HashMap<String, HashMap<String, f64>>,
    params_given_command: HashMap<String, Vec<(String, f64)>>,
    values_given_param: HashMap<String, HashMap<String, f64>>,
    modellable_params: HashSet<String>,
}

/// MSTICPy `get_params_to_model_values`: parameters whose values are worth modelling — at most
/// 20 distinct values, seen at least 20 times, distinct values at most 10% of the uses.
fn params_to_model_values(param_counts: &Counter, param_values: &Nested) -> HashSet<String> {
    param_values
        .iter()
        .filter(|(param, values)| {
            let distinct = values.order.len() as f64;
            let uses = param_counts.counts.get(*param).copied().unwrap_or(0.0);
            distinct <= 20.0 && 20.0 <= uses && 100.0 * distinct / uses <= 10.0
        })
        .map(|(param, _)| param.clone())
        .collect()
}

impl MarkovModel {
    /// Trains the model of `kind` on `sessions`: counts of single commands and of (previous,
    /// next) pairs with `##START##`/`##END##` around every session, of parameters per command
    /// and values per parameter; Laplace smoothing adds one to every pair of known commands and
    /// `##UNK##` (none out of `##END##` or into `##START##`), to every seen (command, parameter)
    /// and (parameter, value) and an `##UNK##` parameter and value everywhere.
    pub fn train_sessions(sessions: &[Vec<Cmd>], kind: SessionKind) -> MarkovModel {
        let mut singles = Counter::default();
        let mut pairs = Nested::new();
        let mut param_counts = Counter::default();
        let mut command_params = Nested::new();
        let mut value_counts = Counter::default();
        let mut param_values = Nested::new();
        for session in sessions {
            let mut previous = START_TOKEN;
            singles.add(START_TOKEN, 1.0);
            for cmd in session {
                singles.add(&cmd.name, 1.0);
                add_nested(&mut pairs, previous, &cmd.name, 1.0);
                previous = &cmd.name;
                if kind == SessionKind::Commands {
                    continue;
                }
                for (param, value) in &cmd.params {
                    param_counts.add(param, 1.0);
                    add_nested(&mut command_params, &cmd.name, param, 1.0);
                    match value {
                        Some(value) if kind == SessionKind::ParamValues && !value.is_empty() => {
                            value_counts.add(value, 1.0);
                            add_nested(&mut param_values, param, value, 1.0);
                        }
                        _ => {}
                    }
                }
            }
            add_nested(&mut pairs, previous, END_TOKEN, 1.0);
            singles.add(END_TOKEN, 1.0);
        }
        let modellable_params = if kind == SessionKind::ParamValues {
            params_to_model_values(&param_counts, &param_values)
        } else {
            HashSet::new()
        };
        let mut commands: Vec<String> = singles.order.clone();
        commands.push(UNKNOWN_TOKEN.to_string());
        let mut params: Vec<String> = param_counts.order.clone();
        params.push(UNKNOWN_TOKEN.to_string());
        let mut values: Vec<String> = value_counts.order.clone();
        values.push(UNKNOWN_TOKEN.to_string());

        for first in &commands {
            for second in &commands {
                if first != END_TOKEN && second != START_TOKEN {
                    singles.add(first, 1.0);
                    add_nested(&mut pairs, first, second, 1.0);
                    singles.add(second, 1.0);
                }
            }
        }
        let mut model = MarkovModel {
            kind,
            modellable_params,
            ..MarkovModel::default()
        };
        let total = singles.total();
        model.prior = singles
            .entries()
            .map(|(k, c)| (k.clone(), c / total))
            .collect();
        model.transitions = normalise_rows(&pairs);
        if kind == SessionKind::Commands {
            return model;
        }
        for command in &commands {
            for param in &params {
                let row = command_params.entry(command.clone()).or_default();
                if row.contains(param) || param == UNKNOWN_TOKEN {
                    row.add(param, 1.0);
                }
            }
        }
        let command_count = |command: &str| {
            singles
                .counts
                .get(command)
                .or_else(|| singles.counts.get(UNKNOWN_TOKEN))
                .copied()
                .unwrap_or(1.0)
        };
        model.params_given_command = command_params
            .iter()
            .map(|(command, row)| {
                let n = command_count(command);
                let probs = row.entries().map(|(p, c)| (p.clone(), c / n)).collect();
                (command.clone(), probs)
            })
            .collect();
        if kind == SessionKind::ParamValues {
            for param in &params {
                for value in &values {
                    let row = param_values.entry(param.clone()).or_default();
                    if row.contains(value) || value == UNKNOWN_TOKEN {
                        row.add(value, 1.0);
                    }
                }
            }
            model.values_given_param = normalise_rows(&param_values);
        }
        model
    }

    /// Commands-only training on plain command names (MSTICPy `Model` with string sessions).
    pub fn train(sessions: &[Vec<String>]) -> MarkovModel {
        let sessions: Vec<Vec<Cmd>> = sessions
            .iter()
            .map(|s| s.iter().map(|c| Cmd::new(c.as_str())).collect())
            .collect();
        MarkovModel::train_sessions(&sessions, SessionKind::Commands)
    }

    /// The session kind the model was trained for.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// Parameters whose values are modelled (kind [`SessionKind::ParamValues`] only).
    pub fn modellable_params(&self) -> Vec<String> {
        let mut params: Vec<String> = self.modellable_params.iter().cloned().collect();
        params.sort();
        params
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

    /// Probability that the command carries exactly its parameters (MSTICPy
    /// `compute_prob_setofparams_given_cmd`, geometric mean over the command's known parameters
    /// plus, for parameter values, the modelled values): 1 for commands-only models and for
    /// commands without parameters.
    pub fn params_probability(&self, cmd: &Cmd) -> f64 {
        if self.kind == SessionKind::Commands || cmd.params.is_empty() {
            return 1.0;
        }
        let Some(known) = self
            .params_given_command
            .get(&cmd.name)
            .or_else(|| self.params_given_command.get(UNKNOWN_TOKEN))
        else {
            return 1.0;
        };
        let mut likelihood = 1.0;
        let mut modelled_values = 0;
        for (param, prob) in known {
            match cmd.params.iter().find(|(name, _)| name == param) {
                Some((_, value)) => {
                    likelihood *= prob;
                    if self.modellable_params.contains(param) {
                        modelled_values += 1;
                        likelihood *= self.value_probability(param, value.as_deref());
                    }
                }
                None => likelihood *= 1.0 - prob,
            }
        }
        let k = known.len() + modelled_values;
        if k > 0 {
            likelihood.powf(1.0 / k as f64)
        } else {
            likelihood
        }
    }

    fn value_probability(&self, param: &str, value: Option<&str>) -> f64 {
        let row = self
            .values_given_param
            .get(param)
            .or_else(|| self.values_given_param.get(UNKNOWN_TOKEN));
        row.and_then(|r| {
            value
                .and_then(|v| r.get(v))
                .or_else(|| r.get(UNKNOWN_TOKEN))
        })
        .copied()
        .unwrap_or(0.0)
    }
}

fn normalise_rows(rows: &Nested) -> HashMap<String, HashMap<String, f64>> {
    rows.iter()
        .map(|(outer, row)| {
            let total = row.total();
            let probs = row.entries().map(|(k, c)| (k.clone(), c / total)).collect();
            (outer.clone(), probs)
        })
        .collect()
}
