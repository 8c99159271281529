//! Fuzzing the inbound wire parser: random multipart frames; signed messages truncated, with the
//! delimiter changed, the signature damaged, a JSON part replaced (signed or not), buffers added;
//! replays; and messages over a small size limit. Decoding never panics, and each outcome is the
//! one the damage calls for.

#[path = "../../../tests/fuzz_config.rs"]
mod fuzz_config;

use super::*;
use fuzz_config::{fuzz_config, ok_or_message};
use proptest::prelude::*;

const KEY: &str = "fuzz-key";

/// Random frames, the delimiter among them at times.
fn random_frames() -> impl Strategy<Value = Vec<Bytes>> {
    let frame = prop_oneof![
        1 => Just(DELIMITER.to_vec()),
        4 => prop::collection::vec(any::<u8>(), 0..40),
        1 => prop::sample::select(vec![&b"{}"[..], b"{", b"null", b"[]", b"\"x\"", b"{\"msg_type\": 1}"]).prop_map(<[u8]>::to_vec),
    ];
    prop::collection::vec(frame.prop_map(Bytes::from), 0..10)
}

/// A signed request with random identities, content and buffers.
fn message() -> impl Strategy<Value = Message> {
    let identity = prop::collection::vec(any::<u8>(), 0..8).prop_map(Bytes::from);
    (prop::collection::vec(identity, 0..3), ".{0,30}", prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16).prop_map(Bytes::from), 0..3))
        .prop_map(|(identities, code, buffers)| Message {
            identities,
            header: json!({"msg_id": uuid::Uuid::new_v4().to_string(), "msg_type": "execute_request", "username": "u", "session": "s"}),
            parent_header: json!({}),
            metadata: json!({}),
            content: json!({"code": code}),
            buffers,
        })
}

/// One damage to the frames of a signed message, and what decoding must say about it.
#[derive(Debug, Clone)]
enum Damage {
    /// Keep only the first frames (fewer than the six after the delimiter).
    Truncate(usize),
    /// Replace the delimiter frame.
    Delimiter(Vec<u8>),
    /// Flip bits in the signature.
    Signature(prop::sample::Index, u8),
    /// Replace a JSON part (0–3) and sign the result: well signed, not JSON.
    SignedGarbage(usize, Vec<u8>),
    /// Replace a JSON part without signing.
    UnsignedChange(usize, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let garbage = prop_oneof![prop::collection::vec(any::<u8>(), 0..20), Just(b"{".to_vec()), Just(b"{\"a\":1,}".to_vec())];
    prop_oneof![
        (0usize..5).prop_map(Damage::Truncate),
        prop_oneof![Just(b"<IDS|MSG".to_vec()), Just(b"<ids|msg>".to_vec()), Just(Vec::new()), prop::collection::vec(any::<u8>(), 1..12)].prop_map(Damage::Delimiter),
        (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(at, bits)| Damage::Signature(at, bits)),
        (0usize..4, garbage.clone().prop_filter("not JSON", |g| serde_json::from_slice::<Value>(g).is_err())).prop_map(|(i, g)| Damage::SignedGarbage(i, g)),
        (0usize..4, garbage).prop_map(|(i, g)| Damage::UnsignedChange(i, g)),
    ]
}

/// The frames of `message` with `damage` done.
fn damaged(session: &Session, message: &Message, damage: &Damage) -> Vec<Bytes> {
    let mut frames = session.encode(message);
    let split = message.identities.len();
    match damage {
        Damage::Truncate(keep) => frames.truncate(split + 1 + keep),
        Damage::Delimiter(replacement) => frames[split] = Bytes::from(replacement.clone()),
        Damage::Signature(at, bits) => {
            let mut signature = frames[split + 1].to_vec();
            let at = at.index(signature.len());
            signature[at] ^= bits;
            frames[split + 1] = Bytes::from(signature);
        }
        Damage::SignedGarbage(part, garbage) | Damage::UnsignedChange(part, garbage) => {
            frames[split + 2 + part] = Bytes::from(garbage.clone());
            if matches!(damage, Damage::SignedGarbage(..)) {
                let signed: Vec<&[u8]> = frames[split + 2..split + 6].iter().map(|f| f.as_ref()).collect();
                frames[split + 1] = Bytes::from(session.signature(&signed));
            }
        }
    }
    frames
}

proptest! {
    #![proptest_config(fuzz_config(500))]

    #[test]
    fn random_frames_are_rejected_without_panic(frames in random_frames(), keyed in any::<bool>()) {
        let session = Session::new(if keyed { KEY } else { "" });
        ok_or_message(session.decode(frames))?;
    }

    #[test]
    fn damaged_messages_are_rejected_for_their_damage(message in message(), damage in damage()) {
        let session = Session::new(KEY);
        let frames = damaged(&session, &message, &damage);
        let outcome = session.decode(frames.clone());
        let delimiter_kept = !matches!(&damage, Damage::Delimiter(d) if d.as_slice() != DELIMITER);
        match &damage {
            Damage::Truncate(_) => prop_assert!(matches!(outcome, Err(WireError::Malformed(_))), "{outcome:?}"),
            // Without the delimiter, an identity frame may still hold it: only a panic is wrong.
            Damage::Delimiter(_) if !delimiter_kept => prop_assert!(outcome.is_err() || message.identities.iter().any(|i| i.as_ref() == DELIMITER)),
            Damage::Delimiter(_) => prop_assert!(outcome.is_ok(), "{outcome:?}"),
            // Hex is read in either case, so a flip of the case bit of a letter keeps the signature.
            Damage::Signature(..) => {
                let split = message.identities.len();
                let (sent, original) = (&frames[split + 1], &session.encode(&message)[split + 1]);
                let same = sent.eq_ignore_ascii_case(original);
                prop_assert!(matches!(outcome, Err(WireError::BadSignature)) || same && outcome.is_ok(), "{outcome:?}");
            }
            Damage::UnsignedChange(part, garbage) => {
                let unchanged = session.encode(&message)[message.identities.len() + 2 + part].as_ref() == garbage.as_slice();
                prop_assert!(unchanged || matches!(outcome, Err(WireError::BadSignature)), "{outcome:?}");
            }
            Damage::SignedGarbage(..) => prop_assert!(matches!(outcome, Err(WireError::Malformed(_))), "{outcome:?}"),
        }
    }

    #[test]
    fn a_message_is_accepted_once(message in message(), replays in 1usize..4) {
        let session = Session::new(KEY);
        let frames = session.encode(&message);
        prop_assert!(session.decode(frames.clone()).is_ok());
        for _ in 0..replays {
            prop_assert!(matches!(session.decode(frames.clone()), Err(WireError::Replayed)));
        }
    }

    #[test]
    fn oversized_messages_are_rejected_before_parsing(message in message(), limit in 0usize..400) {
        let session = Session { max_bytes: limit, ..Session::new(KEY) };
        let frames = session.encode(&message);
        let size: usize = frames.iter().map(Bytes::len).sum();
        let outcome = session.decode(frames);
        if size > limit {
            prop_assert!(matches!(outcome, Err(WireError::TooLarge { size: s, limit: l }) if s == size && l == limit), "{outcome:?}");
        } else {
            prop_assert!(outcome.is_ok(), "{outcome:?}");
        }
    }
}
