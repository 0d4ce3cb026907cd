//! What leaves this process for Temporal is encrypted: a payload codec that seals every payload
//! (workflow input, activity input and result, failure details, heartbeats) with AES-256-GCM
//! before the client or the worker sends it, so the event history, the UI and the server's
//! database hold no task input and no Plaid answer in clear — only ciphertext, metadata
//! `encoding: binary/encrypted` and the key's id.
//!
//! Sealed layout: the whole original payload (its metadata and data, protobuf-encoded, as
//! Temporal's sample codecs do) is the plaintext; `data` = 12-byte random nonce || ciphertext+tag.
//! The key id is the associated data, so a payload relabelled with another key id is refused.
//! Decoding passes a payload that is not `binary/encrypted` through unchanged: histories written
//! before the codec still replay.
//!
//! The key comes from [`KEY_VAR`] (a flag's value shows in `ps`), and no message ever quotes it
//! or a payload: errors name key ids only.

use std::{collections::HashMap, fmt, sync::Arc};

use futures::{future::BoxFuture, FutureExt};
use prost::Message;
use ring::{
    aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN},
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

/// The environment variable the key is read from: 64 hex characters (32 bytes).
pub const KEY_VAR: &str = "PLAID_IDV_PAYLOAD_KEY";

/// The `encoding` of a sealed payload, as Temporal's sample encryption codecs name it.
pub const ENCRYPTED: &str = "binary/encrypted";

/// The metadata key naming the key a payload was sealed with.
pub const KEY_ID: &str = "encryption-key-id";

/// A payload key and its id.
#[derive(Clone)]
pub struct PayloadKey {
    key: Arc<LessSafeKey>,
    /// 8 hex characters of SHA-256 of the key: tells keys apart, reveals nothing usable.
    id: String,
}

impl fmt::Debug for PayloadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PayloadKey({})", self.id)
    }
}

impl PayloadKey {
    /// The key from [`KEY_VAR`]. Missing or malformed: an error that says how to make one, and
    /// never quotes what was found.
    pub fn from_env() -> Result<PayloadKey, Error> {
        let text = std::env::var(KEY_VAR).unwrap_or_default();
        if text.is_empty() {
            return Err(Error::new(format!(
                "no payload key: Temporal would store task inputs and Plaid's answers in clear. \
                 Set {KEY_VAR} to 64 hex characters, the same for every worker and submit \
                 (make one with `openssl rand -hex 32`)"
            )));
        }
        PayloadKey::from_hex(text.trim())
    }

    pub fn from_hex(text: &str) -> Result<PayloadKey, Error> {
        let bytes = decode_hex(text).filter(|b| b.len() == 32).ok_or_else(|| {
            Error::new(format!(
                "{KEY_VAR} is not 64 hex characters (32 bytes); make one with `openssl rand -hex 32`"
            ))
        })?;
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| Error::new(format!("{KEY_VAR}: not a usable AES-256 key")))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        let id = digest.as_ref()[..4].iter().map(|b| format!("{b:02x}")).collect();
        Ok(PayloadKey { key: Arc::new(LessSafeKey::new(unbound)), id })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Temporal's default JSON conversion and failure conversion, then this codec: what the
    /// client (and the worker built on it) use for every payload.
    pub fn data_converter(&self) -> DataConverter {
        DataConverter::new(
            PayloadConverter::default(),
            DefaultFailureConverter::default(),
            EncryptionCodec { key: self.clone(), random: SystemRandom::new() },
        )
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
                Aad::from(self.id.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| "encryption failed".to_owned())?;
        let mut data = nonce.to_vec();
        data.extend_from_slice(&sealed);
        let metadata = HashMap::from([
            (ENCODING_PAYLOAD_KEY.to_owned(), ENCRYPTED.as_bytes().to_vec()),
            (KEY_ID.to_owned(), self.id.as_bytes().to_vec()),
        ]);
        Ok(Payload { metadata, data, ..Default::default() })
    }

    /// The original payload, or why not: a wrong key (naming both ids) or data that fails
    /// authentication (altered, truncated, or sealed under another id).
    fn open(&self, payload: Payload) -> Result<Payload, String> {
        if payload.metadata.get(ENCODING_PAYLOAD_KEY).map(Vec::as_slice) != Some(ENCRYPTED.as_bytes()) {
            return Ok(payload);
        }
        let sealed_with = payload.metadata.get(KEY_ID).map(|id| String::from_utf8_lossy(id).into_owned());
        let sealed_with = sealed_with.unwrap_or_else(|| "(none)".to_owned());
        if sealed_with != self.id {
            return Err(format!(
                "payload encrypted with key {sealed_with}, but this process has key {}: \
                 give every worker and submit the same {KEY_VAR}",
                self.id
            ));
        }
        let refused = || format!("payload (key {}) failed authentication: altered or damaged", self.id);
        if payload.data.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, sealed) = payload.data.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut buffer = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(self.id.as_bytes()), &mut buffer)
            .map_err(|_| refused())?;
        Payload::decode(&plain[..]).map_err(|_| refused())
    }
}

/// The codec the data converter applies to every payload on its way to and from the server.
struct EncryptionCodec {
    key: PayloadKey,
    random: SystemRandom,
}

impl PayloadCodec for EncryptionCodec {
    fn encode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let sealed: Result<Vec<_>, _> = payloads.iter().map(|p| self.key.seal(&self.random, p)).collect();
        async move { sealed.map_err(|e| PayloadConversionError::EncodingError(e.into())) }.boxed()
    }

    fn decode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let opened: Result<Vec<_>, _> = payloads.into_iter().map(|p| self.key.open(p)).collect();
        async move { opened.map_err(|e| PayloadConversionError::EncodingError(e.into())) }.boxed()
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
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

    fn codec(hex: &str) -> EncryptionCodec {
        EncryptionCodec { key: PayloadKey::from_hex(hex).unwrap(), random: SystemRandom::new() }
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

    #[test]
    fn round_trip_hides_data_and_metadata() {
        let codec = codec(KEY);
        let original = json_payload(r#"{"user":{"email_address":"canary@example.com"}}"#);
        let sealed = encode(&codec, original.clone());
        assert_eq!(sealed.metadata[ENCODING_PAYLOAD_KEY], ENCRYPTED.as_bytes());
        assert_eq!(sealed.metadata[KEY_ID], codec.key.id().as_bytes());
        assert_eq!(codec.key.id().len(), 8);
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
        let sealed = encode(&theirs, json_payload(r#"{"secret":"sk-CANARY"}"#));
        let e = decode(&ours, sealed.clone()).unwrap_err();
        assert!(e.contains(theirs.key.id()) && e.contains(ours.key.id()), "{e}");
        assert!(e.contains(KEY_VAR) && !e.contains("CANARY") && !e.contains(KEY), "{e}");
        // Relabelled with our id, the data still fails: the id is authenticated.
        let mut relabelled = sealed;
        relabelled.metadata.insert(KEY_ID.to_owned(), ours.key.id().as_bytes().to_vec());
        assert!(decode(&ours, relabelled).unwrap_err().contains("failed authentication"));
    }

    #[test]
    fn plaintext_from_before_passes_through() {
        let plain = json_payload(r#"{"input":{}}"#);
        assert_eq!(decode(&codec(KEY), plain.clone()).unwrap(), plain);
    }

    #[test]
    fn a_key_must_be_64_hex_characters_and_is_never_quoted() {
        assert!(PayloadKey::from_hex(KEY).is_ok());
        for bad in ["", "abc", &KEY[..62], &format!("{KEY}00"), &KEY.replace('0', "g")] {
            let e = PayloadKey::from_hex(bad).unwrap_err().message;
            assert!(e.contains("openssl rand -hex 32"), "{e}");
            assert!(bad.is_empty() || !e.contains(bad), "{e}");
        }
        assert_eq!(format!("{:?}", PayloadKey::from_hex(KEY).unwrap()).len(), "PayloadKey()".len() + 8);
    }
}
