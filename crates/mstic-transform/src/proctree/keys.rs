//! Process keys without building strings: a key `name|pid|time` is held as two interned text
//! ids and the time in 10 µs steps, compared and hashed as integers; the text is written only
//! for the output columns. Two keys are equal exactly when their texts are (names and ids
//! without `|`, as process names and ids are).

use super::columns::KeyTimeWriter;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// The time part of a key without a time (the text is empty).
const NO_TIME: i64 = i64::MIN;

/// A process key: the ids of its name and process id texts and its rounded time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    name: u32,
    pid: u32,
    time: i64,
}

/// Interned texts of one kind of key part, so each distinct text is hashed and lowered once.
#[derive(Default)]
pub(crate) struct Interner<'a> {
    ids: FxHashMap<Cow<'a, str>, u32>,
    texts: Vec<Cow<'a, str>>,
    lowered: FxHashMap<&'a str, u32>,
}

impl<'a> Interner<'a> {
    /// The id of `text` as it is.
    pub fn id(&mut self, text: &'a str) -> u32 {
        self.id_of(Cow::Borrowed(text))
    }

    fn id_of(&mut self, text: Cow<'a, str>) -> u32 {
        if let Some(&id) = self.ids.get(text.as_ref()) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(text.clone());
        self.ids.insert(text, id);
        id
    }

    /// The id of `text` in lower case (Unicode lowering, as Python's `str.lower`).
    pub fn lower_id(&mut self, text: &'a str) -> u32 {
        if let Some(&id) = self.lowered.get(text) {
            return id;
        }
        let lower = if text.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(text.to_lowercase())
        };
        let id = self.id_of(lower);
        self.lowered.insert(text, id);
        id
    }

    /// The text of an id.
    pub fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }
}

/// The interned parts of all keys of one tree: names (lowered) and process ids.
#[derive(Default)]
pub(crate) struct KeyParts<'a> {
    /// Lowered process names.
    pub names: Interner<'a>,
    /// Process ids as the key shows them.
    pub pids: Interner<'a>,
}

impl KeyParts<'_> {
    /// A key of interned parts and a time in nanoseconds (`None`: no time part).
    pub fn key(name: u32, pid: u32, nanos: Option<i64>) -> Key {
        Key { name, pid, time: nanos.map_or(NO_TIME, super::columns::round_key_time) }
    }

    /// Appends the key's text `name|pid|time` to `out`.
    pub fn write(&self, out: &mut String, key: Key, times: &mut KeyTimeWriter) {
        out.push_str(self.names.text(key.name));
        out.push('|');
        out.push_str(self.pids.text(key.pid));
        out.push('|');
        if key.time != NO_TIME {
            times.write(out, key.time);
        }
    }
}
