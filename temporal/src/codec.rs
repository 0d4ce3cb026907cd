//! What leaves this process for Temporal is encrypted, and what comes back is read only if it was:
//! a payload codec that seals every payload (workflow input, activity input and result, failure
//! details, heartbeats) with AES-256-GCM before the client or the worker sends it, so the event
//! history, the UI and the server's database hold no task input and no Plaid answer in clear —
//! only ciphertext and the metadata `encoding: binary/encrypted`, the format and the key's id.
//!
//! Sealed layout (format [`FORMAT_VERSION`]): the whole original payload (its metadata and data,
//! protobuf-encoded, as Temporal's sample codecs do) is the plaintext; `data` = 12-byte random
//! nonce || ciphertext+tag. The associated data binds the format version, the encoding and the key
//! id ([`aad`]), so a payload relabelled with another id, format or encoding is refused.
//!
//! The SDK's codec hook does not say which workflow a payload belongs to (its serialization
//! context carries no workflow id in temporalio-common 1.1.1), so the codec cannot bind a payload
//! to its workflow; the task itself names its workflow instead ([`crate::task::Task`]), inside
//! the seal, and the workflow refuses a task sealed for another.
//!
//! Decoding refuses what this format does not protect: a payload that is not encrypted (anyone
//! who may start workflows can write one, with `temporal workflow start`, without the key) and
//! one in the first sealed format (no version in its associated data). [`CodecArgs`]'s migration
//! switch reads both, to drain histories written before this release.
//!
//! Keys form a ring ([`KeyRing`]): the newest ([`KEY_VAR`]) seals, any of them opens, so a key
//! rotates without draining the workflows in flight. Keys come from the environment (a flag's
//! value shows in `ps`), and no message ever quotes a key or a payload: errors name key ids only,
//! and an id read from a payload only as bounded hex.

use std::{collections::HashMap, fmt, sync::Arc};

use clap::Args;
use futures::{future::BoxFuture, FutureExt};
use prost::Message;
use ring::{
    aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN},
    hkdf, hmac,
    rand::{SecureRandom, SystemRandom},
};
use temporalio_common::{
    data_converters::{
        DataConverter, DefaultFailureConverter, PayloadCodec, PayloadConversionError, PayloadConverter,
        SerializationContextData,
    },
    protos::{temporal::api::common::v1::Payload, ENCODING_PAYLOAD_KEY},
};

use crate::error::Error;

/// The environment variable the current key is read from: 64 hex characters (32 bytes).
pub const KEY_VAR: &str = "PLAID_IDV_PAYLOAD_KEY";

/// Older keys, still read but never written with: 64 hex characters each, separated by commas.
pub const OLD_KEYS_VAR: &str = "PLAID_IDV_PAYLOAD_KEYS_OLD";

/// The `encoding` of a sealed payload, as Temporal's sample encryption codecs name it.
pub const ENCRYPTED: &str = "binary/encrypted";

/// The metadata key naming the key a payload was sealed with.
pub const KEY_ID: &str = "encryption-key-id";

/// The metadata key naming the sealed format; the first format had none.
pub const FORMAT: &str = "encryption-format";

/// The format this release writes.
pub const FORMAT_VERSION: &str = "2";

/// The migration switch, shared by `worker` and `submit`.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct CodecArgs {
    /// Migration only: also read payloads written before this release, unencrypted ones and the
    /// first encrypted format. While it is set, anyone who may start workflows on the namespace
    /// can have the worker run a billed retry: unset it once the older workflows have closed.
    #[arg(long)]
    pub read_legacy_payloads: bool,
}

/// A payload key, its id, and the key workflow ids are derived with.
#[derive(Clone)]
pub struct PayloadKey {
    key: Arc<LessSafeKey>,
    /// 8 hex characters of SHA-256 of the key: tells keys apart, reveals nothing usable.
    id: String,
    /// HMAC-SHA256 key for workflow ids, derived from the payload key with HKDF (RFC 5869), so
    /// an id confirms a guessed input only to whoever holds the key.
    workflow_ids: hmac::Key,
}

impl fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayloadKey({})", self.id)
    }
}

impl PayloadKey {
    /// The key from 64 hex characters. Malformed: an error that says how to make one and never
    /// quotes what was found; `name` says where it came from.
    pub fn from_hex(text: &str) -> Result<PayloadKey, Error> {
        PayloadKey::named(text, KEY_VAR)
    }

    fn named(text: &str, name: &str) -> Result<PayloadKey, Error> {
        let bytes = decode_hex(text).filter(|b| b.len() == 32).ok_or_else(|| {
            Error::new(format!(
                "{name} is not 64 hex characters (32 bytes); make one with `openssl rand -hex 32`"
            ))
        })?;
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| Error::new(format!("{name}: not a usable AES-256 key")))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        let id = hex(&digest.as_ref()[..4]);
        let workflow_ids = hkdf::Salt::new(hkdf::HKDF_SHA256, b"plaid-idv-retry")
            .extract(&bytes)
            .expand(&[b"workflow id"], hmac::HMAC_SHA256)
            .map(hmac::Key::from)
            .map_err(|_| Error::new(format!("{name}: cannot derive the workflow id key")))?;
        Ok(PayloadKey { key: Arc::new(LessSafeKey::new(unbound)), id, workflow_ids })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// 128 bits of HMAC-SHA256 of `text` under this key's workflow id key, as hex.
    pub fn workflow_id_digest(&self, text: &str) -> String {
        hex(&hmac::sign(&self.workflow_ids, text.as_bytes()).as_ref()[..16])
    }

    /// The payload sealed: random nonce (96 bits; with a random nonce one key is good for about
    /// 2^32 payloads before a repeat becomes a risk).
    fn seal(&self, random: &SystemRandom, payload: &Payload) -> Result<Payload, String> {
        let mut nonce = [0u8; NONCE_LEN];
        random.fill(&mut nonce).map_err(|_| "no random nonce available".to_owned())?;
        let mut sealed = payload.encode_to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(&self.id)),
                &mut sealed,
            )
            .map_err(|_| "encryption failed".to_owned())?;
        let mut data = nonce.to_vec();
        data.extend_from_slice(&sealed);
        let metadata = HashMap::from([
            (ENCODING_PAYLOAD_KEY.to_owned(), ENCRYPTED.as_bytes().to_vec()),
            (FORMAT.to_owned(), FORMAT_VERSION.as_bytes().to_vec()),
            (KEY_ID.to_owned(), self.id.as_bytes().to_vec()),
        ]);
        Ok(Payload { metadata, data, ..Default::default() })
    }

    /// The original payload, or why not: data that fails authentication (altered, truncated, or
    /// sealed under another id, format or encoding).
    fn open(&self, data: &[u8], associated: Vec<u8>) -> Result<Payload, String> {
        let refused = || format!("payload (key {}) failed authentication: altered or damaged", self.id);
        if data.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, sealed) = data.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut buffer = sealed.to_vec();
        let plain =
            self.key.open_in_place(nonce, Aad::from(associated), &mut buffer).map_err(|_| refused())?;
        Payload::decode(&plain[..]).map_err(|_| refused())
    }
}

/// The associated data of a sealed payload: format, encoding and key id, each named.
fn aad(id: &str) -> Vec<u8> {
    format!("{FORMAT}={FORMAT_VERSION};{ENCODING_PAYLOAD_KEY}={ENCRYPTED};{KEY_ID}={id}").into_bytes()
}

/// The keys a process reads payloads with; the first one writes them.
#[derive(Clone, Debug)]
pub struct KeyRing {
    keys: Vec<PayloadKey>,
}

impl KeyRing {
    /// The current key from [`KEY_VAR`], older ones from [`OLD_KEYS_VAR`]. Missing or malformed:
    /// an error that says how to make one, and never quotes what was found.
    pub fn from_env() -> Result<KeyRing, Error> {
        let text = std::env::var(KEY_VAR).unwrap_or_default();
        if text.trim().is_empty() {
            return Err(Error::new(format!(
                "no payload key: Temporal would store task inputs and Plaid's answers in clear. \
                 Set {KEY_VAR} to 64 hex characters, the same for every worker and submit \
                 (make one with `openssl rand -hex 32`)"
            )));
        }
        let current = PayloadKey::named(text.trim(), KEY_VAR)?;
        let old = std::env::var(OLD_KEYS_VAR).unwrap_or_default();
        let old = old
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .enumerate()
            .map(|(i, k)| PayloadKey::named(k, &format!("{OLD_KEYS_VAR} (entry {})", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KeyRing::new(current, old))
    }

    /// `current` writes; `current` and `old` read. A key listed twice counts once.
    pub fn new(current: PayloadKey, old: Vec<PayloadKey>) -> KeyRing {
        let mut keys = vec![current];
        for key in old {
            if keys.iter().all(|k| k.id != key.id) {
                keys.push(key);
            }
        }
        KeyRing { keys }
    }

    /// The key that seals.
    pub fn current(&self) -> &PayloadKey {
        &self.keys[0]
    }

    /// The keys that are still read, not the current one.
    pub fn old(&self) -> &[PayloadKey] {
        &self.keys[1..]
    }

    /// The key ids, the current one first: what a person compares between processes.
    pub fn ids(&self) -> String {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        ids.join(", ")
    }

    /// Temporal's default JSON conversion and failure conversion, then this codec: what the
    /// client (and the worker built on it) use for every payload.
    pub fn data_converter(&self, args: CodecArgs) -> DataConverter {
        DataConverter::new(
            PayloadConverter::default(),
            DefaultFailureConverter::default(),
            EncryptionCodec {
                ring: self.clone(),
                legacy: args.read_legacy_payloads,
                random: SystemRandom::new(),
            },
        )
    }

    /// The original payload, or why it is refused.
    fn open(&self, payload: Payload, legacy: bool) -> Result<Payload, String> {
        if payload.metadata.get(ENCODING_PAYLOAD_KEY).map(Vec::as_slice) != Some(ENCRYPTED.as_bytes()) {
            if legacy {
                return Ok(payload);
            }
            return Err(format!(
                "refused a payload that is not encrypted: it was written without the payload key \
                 (by `temporal workflow start`, another client, or before encryption), so nothing \
                 runs on it. Start workflows with `plaid-idv-temporal submit`; to drain histories \
                 written before encryption, run with --read-legacy-payloads (keys here: {})",
                self.ids()
            ));
        }
        let first_format = match payload.metadata.get(FORMAT) {
            None => true,
            Some(v) if v.as_slice() == FORMAT_VERSION.as_bytes() => false,
            Some(v) => {
                return Err(format!(
                    "refused a payload in encryption format {}: this release reads format {FORMAT_VERSION}",
                    bounded_hex(v)
                ))
            }
        };
        if first_format && !legacy {
            return Err("refused a payload in the first encryption format (written before this release): \
                 to drain workflows started before the upgrade, run with --read-legacy-payloads"
                .to_owned());
        }
        let sealed_with = payload.metadata.get(KEY_ID).map(Vec::as_slice);
        let Some(key) = self.keys.iter().find(|k| Some(k.id.as_bytes()) == sealed_with) else {
            return Err(format!(
                "payload encrypted with key {}, but this process has key {}: give every worker \
                 and submit the same {KEY_VAR} (and older keys still in use in {OLD_KEYS_VAR})",
                sealed_with.map_or_else(|| "(none)".to_owned(), bounded_hex),
                self.ids()
            ));
        };
        // The first format's associated data was the key id alone.
        let associated = if first_format { key.id.as_bytes().to_vec() } else { aad(&key.id) };
        key.open(&payload.data, associated)
    }
}

/// The codec the data converter applies to every payload on its way to and from the server.
struct EncryptionCodec {
    ring: KeyRing,
    legacy: bool,
    random: SystemRandom,
}

impl PayloadCodec for EncryptionCodec {
    fn encode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let key = self.ring.current();
        let sealed: Result<Vec<_>, _> = payloads.iter().map(|p| key.seal(&self.random, p)).collect();
        async move { sealed.map_err(|e| PayloadConversionError::EncodingError(e.into())) }.boxed()
    }

    fn decode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let opened: Result<Vec<_>, _> =
            payloads.into_iter().map(|p| self.ring.open(p, self.legacy)).collect();
        async move { opened.map_err(|e| PayloadConversionError::EncodingError(e.into())) }.boxed()
    }
}

/// Hex digits only, upper or lower case: `u8::from_str_radix` would also take a sign (`+f`),
/// and a 64-character key of `+` pairs holds a quarter of the bytes.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if text.len() % 2 != 0 {
        return None;
    }
    text.as_bytes().chunks(2).map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?)).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A value read from a payload's metadata, for a message: an id of ours as it is, anything else
/// as the hex of its first 8 bytes (never text someone else chose, never unbounded).
fn bounded_hex(value: &[u8]) -> String {
    let ours = value.len() == 8 && value.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if ours {
        return String::from_utf8_lossy(value).into_owned();
    }
    let more = if value.len() > 8 { "…" } else { "" };
    format!("0x{}{more}", hex(&value[..value.len().min(8)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const OTHER: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn json_payload(text: &str) -> Payload {
        Payload {
            metadata: HashMap::from([(ENCODING_PAYLOAD_KEY.to_owned(), b"json/plain".to_vec())]),
            data: text.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    fn key(hex: &str) -> PayloadKey {
        PayloadKey::from_hex(hex).unwrap()
    }

    fn codec(hex: &str) -> EncryptionCodec {
        ring_codec(KeyRing::new(key(hex), vec![]), false)
    }

    fn ring_codec(ring: KeyRing, legacy: bool) -> EncryptionCodec {
        EncryptionCodec { ring, legacy, random: SystemRandom::new() }
    }

    fn encode(codec: &EncryptionCodec, p: Payload) -> Payload {
        let context = SerializationContextData::None;
        futures::executor::block_on(codec.encode(&context, vec![p])).unwrap().remove(0)
    }

    fn decode(codec: &EncryptionCodec, p: Payload) -> Result<Payload, String> {
        let context = SerializationContextData::None;
        futures::executor::block_on(codec.decode(&context, vec![p]))
            .map(|mut v| v.remove(0))
            .map_err(|e| e.to_string())
    }

    /// A payload sealed as the first format did: no format metadata, the key id alone as the
    /// associated data.
    fn first_format(key: &PayloadKey, payload: &Payload) -> Payload {
        let nonce = [7u8; NONCE_LEN];
        let mut sealed = payload.encode_to_vec();
        key.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(key.id.as_bytes()),
                &mut sealed,
            )
            .unwrap();
        let metadata = HashMap::from([
            (ENCODING_PAYLOAD_KEY.to_owned(), ENCRYPTED.as_bytes().to_vec()),
            (KEY_ID.to_owned(), key.id.as_bytes().to_vec()),
        ]);
        Payload { metadata, data: [&nonce[..], &sealed].concat(), ..Default::default() }
    }

    #[test]
    fn round_trip_hides_data_and_metadata() {
        let codec = codec(KEY);
        let original = json_payload(r#"{"user":{"email_address":"canary@example.com"}}"#);
        let sealed = encode(&codec, original.clone());
        assert_eq!(sealed.metadata[ENCODING_PAYLOAD_KEY], ENCRYPTED.as_bytes());
        assert_eq!(sealed.metadata[KEY_ID], codec.ring.current().id().as_bytes());
        assert_eq!(sealed.metadata[FORMAT], FORMAT_VERSION.as_bytes());
        assert_eq!(codec.ring.current().id().len(), 8);
        assert!(!String::from_utf8_lossy(&sealed.data).contains("canary"));
        assert!(!String::from_utf8_lossy(&sealed.data).contains("json/plain"));
        assert_ne!(encode(&codec, original.clone()).data, sealed.data, "a fresh nonce each time");
        assert_eq!(decode(&codec, sealed).unwrap(), original);
    }

    #[test]
    fn tampered_data_is_refused() {
        let codec = codec(KEY);
        let sealed = encode(&codec, json_payload(r#"{"a":1}"#));
        for at in [0, NONCE_LEN, sealed.data.len() - 1] {
            let mut bad = sealed.clone();
            bad.data[at] ^= 1;
            let e = decode(&codec, bad).unwrap_err();
            assert!(e.contains("failed authentication"), "{e}");
        }
        let mut short = sealed.clone();
        short.data.truncate(5);
        assert!(decode(&codec, short).unwrap_err().contains("failed authentication"));
    }

    #[test]
    fn a_wrong_key_is_refused_naming_both_key_ids_never_the_data() {
        let (ours, theirs) = (codec(KEY), codec(OTHER));
        let (our_id, their_id) = (ours.ring.current().id(), theirs.ring.current().id());
        let sealed = encode(&theirs, json_payload(r#"{"secret":"sk-CANARY"}"#));
        let e = decode(&ours, sealed.clone()).unwrap_err();
        assert!(e.contains(their_id) && e.contains(our_id), "{e}");
        assert!(e.contains(KEY_VAR) && !e.contains("CANARY") && !e.contains(KEY), "{e}");
        // Relabelled with our id, the data still fails: the id is authenticated.
        let mut relabelled = sealed;
        relabelled.metadata.insert(KEY_ID.to_owned(), our_id.as_bytes().to_vec());
        assert!(decode(&ours, relabelled).unwrap_err().contains("failed authentication"));
    }

    /// Issue 19, item 2: the format version and the encoding are authenticated with the id.
    #[test]
    fn the_format_and_the_encoding_are_bound_to_the_ciphertext() {
        let codec = codec(KEY);
        let sealed = encode(&codec, json_payload(r#"{"a":1}"#));
        // The same bytes read as the first format (format metadata removed): refused, with or
        // without the migration switch.
        let mut downgraded = sealed.clone();
        downgraded.metadata.remove(FORMAT);
        assert!(decode(&codec, downgraded.clone()).unwrap_err().contains("first encryption format"));
        let legacy = ring_codec(codec.ring.clone(), true);
        assert!(decode(&legacy, downgraded).unwrap_err().contains("failed authentication"));
        // Another format version: named as bounded hex.
        let mut future = sealed.clone();
        future.metadata.insert(FORMAT.to_owned(), b"3".to_vec());
        let e = decode(&codec, future).unwrap_err();
        assert!(e.contains("format 0x33") && e.contains(FORMAT_VERSION), "{e}");
        // The associated data names the version, the encoding and the id.
        let associated = String::from_utf8(aad(codec.ring.current().id())).unwrap();
        for part in [FORMAT_VERSION, ENCRYPTED, codec.ring.current().id()] {
            assert!(associated.contains(part), "{associated}");
        }
    }

    /// Issue 19, item 1: a payload that is not encrypted is refused, naming the cause; only the
    /// migration switch reads it (and the first sealed format).
    #[test]
    fn plaintext_and_the_first_format_are_read_only_under_the_migration_switch() {
        let plain = json_payload(r#"{"input":{"client_user_id":"CANARY-user"}}"#);
        let e = decode(&codec(KEY), plain.clone()).unwrap_err();
        assert!(e.contains("not encrypted") && e.contains("--read-legacy-payloads"), "{e}");
        assert!(!e.contains("CANARY"), "{e}");
        let ring = KeyRing::new(key(KEY), vec![]);
        let migrating = ring_codec(ring.clone(), true);
        assert_eq!(decode(&migrating, plain.clone()).unwrap(), plain);

        let old = first_format(&key(KEY), &plain);
        let e = decode(&codec(KEY), old.clone()).unwrap_err();
        assert!(e.contains("first encryption format") && e.contains("--read-legacy-payloads"), "{e}");
        assert_eq!(decode(&migrating, old).unwrap(), plain);
        // What the migrating codec writes is the current format.
        assert_eq!(encode(&migrating, plain).metadata[FORMAT], FORMAT_VERSION.as_bytes());
    }

    /// Issue 19, item 2: encrypt with the newest key, decrypt with any in the ring.
    #[test]
    fn a_ring_writes_with_the_newest_key_and_reads_with_any() {
        let (old, new) = (key(KEY), key(OTHER));
        let before = codec(KEY);
        let sealed_before = encode(&before, json_payload(r#"{"a":1}"#));
        let rotated = ring_codec(KeyRing::new(new.clone(), vec![old.clone(), new.clone()]), false);
        assert_eq!(rotated.ring.old().len(), 1, "a key listed twice counts once");
        assert_eq!(rotated.ring.ids(), format!("{}, {}", new.id(), old.id()));
        assert_eq!(decode(&rotated, sealed_before).unwrap(), json_payload(r#"{"a":1}"#));
        let sealed_after = encode(&rotated, json_payload(r#"{"b":2}"#));
        assert_eq!(sealed_after.metadata[KEY_ID], new.id().as_bytes());
        // A process that has only the old key cannot read what the rotated one wrote.
        let e = decode(&before, sealed_after).unwrap_err();
        assert!(e.contains(new.id()) && e.contains(old.id()), "{e}");
    }

    /// Issue 19, item 2: a payload's key id is quoted only as bounded hex.
    #[test]
    fn a_foreign_key_id_is_quoted_only_as_bounded_hex() {
        let codec = codec(KEY);
        let mut sealed = encode(&codec, json_payload("{}"));
        let hostile = format!("\u{1b}[2J{}\nforged log line", "A".repeat(10_000));
        sealed.metadata.insert(KEY_ID.to_owned(), hostile.clone().into_bytes());
        let e = decode(&codec, sealed).unwrap_err();
        assert!(!e.contains('\u{1b}') && !e.contains("forged") && !e.contains("AAAAAAAAA"), "{e}");
        assert!(e.contains("0x1b5b324a41414141…"), "{e}");
        assert!(e.len() < 400, "{} characters", e.len());
    }

    /// Issue 19, item 2: `u8::from_str_radix` took `+f` as a hex pair.
    #[test]
    fn a_key_must_be_64_hex_digits_and_is_never_quoted() {
        assert!(PayloadKey::from_hex(KEY).is_ok());
        assert!(PayloadKey::from_hex(&KEY.to_ascii_uppercase()).is_ok());
        let signed = "+f".repeat(32);
        for bad in [
            "",
            "abc",
            &KEY[..62],
            &format!("{KEY}00"),
            &KEY.replace('0', "g"),
            &signed,
            &KEY.replace("00", "+0"),
        ] {
            let e = PayloadKey::from_hex(bad).unwrap_err().message;
            assert!(e.contains("openssl rand -hex 32"), "{bad}: {e}");
            assert!(bad.is_empty() || !e.contains(bad), "{e}");
        }
        assert_eq!(format!("{:?}", key(KEY)).len(), "PayloadKey()".len() + 8);
    }

    /// Issue 19, item 3: workflow ids need the key.
    #[test]
    fn workflow_id_digests_are_keyed() {
        let (a, b) = (key(KEY), key(OTHER));
        let text = r#"{"client_user_id":"u1"}"#;
        assert_eq!(a.workflow_id_digest(text), a.workflow_id_digest(text));
        assert_eq!(a.workflow_id_digest(text).len(), 32);
        assert_ne!(a.workflow_id_digest(text), b.workflow_id_digest(text));
        let unkeyed = hex(&ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref()[..16]);
        assert_ne!(a.workflow_id_digest(text), unkeyed);
    }
}
