//! The Jupyter wire format (messaging spec 5.3): multipart frames `identities…, <IDS|MSG>, hmac,
//! header, parent_header, metadata, content, buffers…`, signed with HMAC-SHA256.
//!
//! This is the only module that knows the frame layout; the rest of the kernel works on [`Message`].

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::sync::{Arc, RwLock};

/// Protocol version announced in every header.
pub const PROTOCOL_VERSION: &str = "5.3";
const DELIMITER: &[u8] = b"<IDS|MSG>";

/// One Jupyter message, with JSON parts kept as values.
#[derive(Debug, Clone)]
pub struct Message {
    /// ZeroMQ routing identities (ROUTER sockets) or the topic (IOPub).
    pub identities: Vec<Bytes>,
    /// `header` (msg_id, session, username, date, msg_type, version).
    pub header: Value,
    /// `parent_header` — the request this message answers, or `{}`.
    pub parent_header: Value,
    /// `metadata`.
    pub metadata: Value,
    /// `content`.
    pub content: Value,
    /// Extra binary buffers (not signed).
    pub buffers: Vec<Bytes>,
}

impl Message {
    /// The message type from the header.
    pub fn msg_type(&self) -> &str {
        self.header["msg_type"].as_str().unwrap_or("")
    }
}

/// Why an inbound multipart message was rejected.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// No `<IDS|MSG>` delimiter or too few frames.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The HMAC did not match (or was missing while a key is set).
    #[error("bad or missing signature")]
    BadSignature,
    /// The signature was seen before: a replayed message.
    #[error("replayed message (its signature was already used)")]
    Replayed,
    /// The message is larger than the kernel accepts.
    #[error("message of {size} bytes is over the {limit}-byte limit (MSTIC_MAX_MESSAGE_BYTES)")]
    TooLarge { size: usize, limit: usize },
}

/// Largest inbound message (all frames) the kernel processes: `MSTIC_MAX_MESSAGE_BYTES`, default
/// 256 MiB. Cells and widget updates are far smaller; a larger message is dropped with a log line.
pub fn max_message_bytes() -> usize {
    std::env::var("MSTIC_MAX_MESSAGE_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(256 << 20)
}

/// How many signatures are remembered to recognise replays (jupyter_client's `Session` keeps the
/// same number and forgets the oldest tenth when full).
const SIGNATURE_HISTORY: usize = 65_536;

/// Signatures of accepted messages, to drop a message whose signature was already used.
#[derive(Default)]
struct SeenSignatures {
    set: std::collections::HashSet<Vec<u8>>,
    order: std::collections::VecDeque<Vec<u8>>,
}

impl SeenSignatures {
    /// Records `signature`; false when it was already seen.
    fn insert(&mut self, signature: &[u8]) -> bool {
        if signature.is_empty() {
            return true;
        }
        if !self.set.insert(signature.to_vec()) {
            return false;
        }
        self.order.push_back(signature.to_vec());
        if self.order.len() > SIGNATURE_HISTORY {
            for _ in 0..SIGNATURE_HISTORY / 10 {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
        true
    }
}

/// Signing and message construction for one kernel session.
#[derive(Clone)]
pub struct Session {
    key: Arc<RwLock<Vec<u8>>>,
    seen: Arc<std::sync::Mutex<SeenSignatures>>,
    /// Largest inbound message accepted (see [`max_message_bytes`]).
    max_bytes: usize,
    /// This kernel's session id (header `session`).
    pub session_id: String,
}

impl Session {
    /// A session signing with `key` (empty key: signing disabled, as the spec says).
    pub fn new(key: &str) -> Self {
        Self {
            key: Arc::new(RwLock::new(key.as_bytes().to_vec())),
            seen: Arc::default(),
            max_bytes: max_message_bytes(),
            session_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Sets the signing key of this session and all its clones (a standby engine learns its
    /// connection only when a kernel start adopts it).
    pub fn set_key(&self, key: &str) {
        *self.key.write().unwrap_or_else(|e| e.into_inner()) = key.as_bytes().to_vec();
    }

    fn key(&self) -> Vec<u8> {
        self.key.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn signature(&self, parts: &[&[u8]]) -> String {
        let key = self.key();
        if key.is_empty() {
            return String::new();
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC accepts any key length");
        for part in parts {
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify(&self, signature: &[u8], parts: &[&[u8]]) -> bool {
        let key = self.key();
        if key.is_empty() {
            return true;
        }
        let Ok(expected) = hex::decode(signature) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC accepts any key length");
        for part in parts {
            mac.update(part);
        }
        mac.verify_slice(&expected).is_ok()
    }

    /// Parses and verifies the frames of an inbound message: size limit, signature, replay.
    pub fn decode(&self, frames: Vec<Bytes>) -> Result<Message, WireError> {
        let size: usize = frames.iter().map(Bytes::len).sum();
        let limit = self.max_bytes;
        if size > limit {
            return Err(WireError::TooLarge { size, limit });
        }
        let split = frames
            .iter()
            .position(|f| f.as_ref() == DELIMITER)
            .ok_or_else(|| WireError::Malformed("no <IDS|MSG> delimiter".into()))?;
        if frames.len() < split + 6 {
            return Err(WireError::Malformed(format!("{} frames after the delimiter", frames.len() - split - 1)));
        }
        let signed: Vec<&[u8]> = frames[split + 2..split + 6].iter().map(|f| f.as_ref()).collect();
        if !self.verify(&frames[split + 1], &signed) {
            return Err(WireError::BadSignature);
        }
        if !self.seen.lock().unwrap_or_else(|e| e.into_inner()).insert(&frames[split + 1]) {
            return Err(WireError::Replayed);
        }
        let parse = |i: usize, what: &str| -> Result<Value, WireError> {
            serde_json::from_slice(&frames[split + 2 + i])
                .map_err(|e| WireError::Malformed(format!("{what} is not JSON: {e}")))
        };
        Ok(Message {
            identities: frames[..split].to_vec(),
            header: parse(0, "header")?,
            parent_header: parse(1, "parent_header")?,
            metadata: parse(2, "metadata")?,
            content: parse(3, "content")?,
            buffers: frames[split + 6..].to_vec(),
        })
    }

    /// Serialises and signs a message into frames.
    pub fn encode(&self, message: &Message) -> Vec<Bytes> {
        let json_parts: Vec<Vec<u8>> = [&message.header, &message.parent_header, &message.metadata, &message.content]
            .iter()
            .map(|v| serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec()))
            .collect();
        let refs: Vec<&[u8]> = json_parts.iter().map(|p| p.as_slice()).collect();
        let signature = self.signature(&refs);
        let mut frames = message.identities.clone();
        frames.push(Bytes::from_static(DELIMITER));
        frames.push(Bytes::from(signature));
        frames.extend(json_parts.into_iter().map(Bytes::from));
        frames.extend(message.buffers.iter().cloned());
        frames
    }

    /// A new message of `msg_type` answering `parent` (routed back to the parent's identities).
    pub fn reply(&self, parent: &Message, msg_type: &str, content: Value) -> Message {
        Message {
            identities: parent.identities.clone(),
            header: self.header(msg_type, parent),
            parent_header: parent.header.clone(),
            metadata: json!({}),
            content,
            buffers: Vec::new(),
        }
    }

    /// A new IOPub message of `msg_type` caused by `parent` (or by nothing).
    pub fn broadcast(&self, parent: Option<&Message>, msg_type: &str, content: Value) -> Message {
        let topic = format!("kernel.{}.{}", self.session_id, msg_type);
        Message {
            identities: vec![Bytes::from(topic)],
            header: match parent {
                Some(p) => self.header(msg_type, p),
                None => self.bare_header(msg_type, "kernel"),
            },
            parent_header: parent.map(|p| p.header.clone()).unwrap_or_else(|| Value::Object(Map::new())),
            metadata: json!({}),
            content,
            buffers: Vec::new(),
        }
    }

    fn header(&self, msg_type: &str, parent: &Message) -> Value {
        let username = parent.header["username"].as_str().unwrap_or("kernel");
        self.bare_header(msg_type, username)
    }

    fn bare_header(&self, msg_type: &str, username: &str) -> Value {
        json!({
            "msg_id": uuid::Uuid::new_v4().to_string(),
            "session": self.session_id,
            "username": username,
            "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "msg_type": msg_type,
            "version": PROTOCOL_VERSION,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(session: &Session) -> Message {
        let parent = Message {
            identities: vec![Bytes::from_static(b"client")],
            header: json!({"msg_id": "1", "msg_type": "kernel_info_request", "username": "u"}),
            parent_header: json!({}),
            metadata: json!({}),
            content: json!({}),
            buffers: vec![],
        };
        session.reply(&parent, "kernel_info_request", json!({"a": 1}))
    }

    #[test]
    fn signed_round_trip() {
        let session = Session::new("secret");
        let frames = session.encode(&request(&session));
        let decoded = session.decode(frames).unwrap();
        assert_eq!(decoded.content["a"], 1);
        assert_eq!(decoded.identities[0].as_ref(), b"client");
    }

    #[test]
    fn wrong_key_is_rejected() {
        let frames = Session::new("secret").encode(&request(&Session::new("secret")));
        assert!(matches!(Session::new("other").decode(frames), Err(WireError::BadSignature)));
    }

    #[test]
    fn missing_signature_is_rejected_when_keyed() {
        let frames = Session::new("").encode(&request(&Session::new("")));
        assert!(matches!(Session::new("secret").decode(frames), Err(WireError::BadSignature)));
    }

    #[test]
    fn a_replayed_message_is_rejected() {
        let session = Session::new("secret");
        let frames = session.encode(&request(&session));
        assert!(session.decode(frames.clone()).is_ok());
        assert!(matches!(session.decode(frames), Err(WireError::Replayed)));
        let fresh = session.encode(&request(&session));
        assert!(session.decode(fresh).is_ok(), "a new message (new msg_id, new signature) is accepted");
    }

    #[test]
    fn signatures_are_forgotten_oldest_first_when_the_history_is_full() {
        let mut seen = SeenSignatures::default();
        for i in 0..=SIGNATURE_HISTORY {
            assert!(seen.insert(format!("{i:08}").as_bytes()));
        }
        assert!(seen.order.len() <= SIGNATURE_HISTORY);
        assert!(seen.insert(b"00000000"), "the oldest signatures were forgotten");
        assert!(!seen.insert(format!("{SIGNATURE_HISTORY:08}").as_bytes()), "the newest are remembered");
    }

    #[test]
    fn an_oversized_message_is_rejected() {
        let session = Session::new("secret");
        let mut message = request(&session);
        message.content = json!({"code": "x".repeat(2048)});
        let frames = session.encode(&message);
        let small = Session { max_bytes: 1024, ..session.clone() };
        let outcome = small.decode(frames.clone());
        assert!(matches!(outcome, Err(WireError::TooLarge { limit: 1024, .. })), "{outcome:?}");
        assert!(session.decode(frames).is_ok(), "the default limit takes it");
    }

    #[test]
    fn missing_delimiter_is_malformed() {
        let frames = vec![Bytes::from_static(b"x")];
        assert!(matches!(Session::new("k").decode(frames), Err(WireError::Malformed(_))));
    }
}

#[cfg(test)]
mod fuzz;
