//! How an optional field of a document reads: present in the document, it is `Some`, even as
//! `null` (serde alone reads `null` as left out). Where `T` cannot be `null` (a `String`), a
//! field that may be left out but, when present, must not be `null`; where it can (a `Value`,
//! an `Option`), one whose `null` is kept apart from its absence.

/// `#[serde(default, deserialize_with = "present")]`.
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{json, Value};

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Document {
        #[serde(default, deserialize_with = "present")]
        name: Option<String>,
        #[serde(default, deserialize_with = "present")]
        code: Option<Value>,
    }

    #[test]
    fn null_is_present_or_refused_absent_is_none() {
        let read = |v: Value| serde_json::from_value::<Document>(v);
        assert_eq!(read(json!({})).unwrap(), Document { name: None, code: None });
        assert_eq!(read(json!({"code": null})).unwrap(), Document { name: None, code: Some(Value::Null) });
        assert_eq!(read(json!({"name": "a"})).unwrap().name.as_deref(), Some("a"));
        assert!(read(json!({"name": null})).is_err(), "a String is never null");
    }
}
