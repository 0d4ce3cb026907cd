//! The input as borrowed structs.
//!
//! `deny_unknown_fields` is the schema's `additionalProperties: false`; a borrowed `&str` fails on
//! an escaped string, and serde refuses a duplicate key: all of these fall back.

use std::marker::PhantomData;

use serde::{de, Deserialize, Deserializer};

use crate::validate::warnings::Facts;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Input<'a> {
    pub(super) client_user_id: &'a str,
    pub(super) template_id: &'a str,
    pub(super) strategy: &'a str,
    #[serde(default)]
    pub(super) steps: Member<Object<Steps>>,
    #[serde(default)]
    #[allow(dead_code)] // read for its type only: any boolean or null is valid
    pub(super) is_shareable: Member<bool>,
    #[serde(default, borrow)]
    pub(super) user: Member<Object<User<'a>>>,
    #[serde(default, borrow)]
    pub(super) client_id: Member<&'a str>,
    #[serde(default, borrow)]
    pub(super) secret: Member<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for their types only; only selfie_check matters, to a warning
pub(super) struct Steps {
    pub(super) verify_sms: bool,
    pub(super) kyc_check: bool,
    pub(super) documentary_verification: bool,
    pub(super) selfie_check: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct User<'a> {
    #[serde(default, borrow)]
    pub(super) email_address: Member<&'a str>,
    #[serde(default, borrow)]
    pub(super) phone_number: Member<&'a str>,
    #[serde(default, borrow)]
    pub(super) date_of_birth: Member<&'a str>,
    #[serde(default, borrow)]
    pub(super) name: Member<Object<Name<'a>>>,
    #[serde(default, borrow)]
    pub(super) address: Member<Object<Address<'a>>>,
    #[serde(default, borrow)]
    pub(super) id_number: Member<Object<IdNumber<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Name<'a> {
    pub(super) given_name: &'a str,
    pub(super) family_name: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Address<'a> {
    #[serde(default, borrow)]
    pub(super) street: Member<&'a str>,
    #[serde(default, borrow)]
    pub(super) street2: Member<&'a str>,
    #[serde(default, borrow)]
    pub(super) city: Member<&'a str>,
    #[serde(default, borrow)]
    pub(super) region: Member<&'a str>,
    #[serde(default, borrow)]
    pub(super) postal_code: Member<&'a str>,
    pub(super) country: &'a str,
}

/// The address's members besides its country, in the order of `Address::members`.
pub(super) const ADDRESS_MEMBERS: [&str; 5] = ["street", "street2", "city", "region", "postal_code"];

impl<'a> Address<'a> {
    pub(super) fn members(&self) -> [&Member<&'a str>; 5] {
        [&self.street, &self.street2, &self.city, &self.region, &self.postal_code]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IdNumber<'a> {
    pub(super) r#type: &'a str,
    pub(super) value: &'a str,
}

impl Input<'_> {
    pub(super) fn facts(&self) -> Facts<'_> {
        let user = self.user.given().map(|u| &u.0);
        Facts {
            selfie_check: self.steps.given().map(|s| s.0.selfie_check),
            client_user_id: Some(self.client_user_id),
            template_id: Some(self.template_id),
            id_type: user.and_then(|u| u.id_number.given()).map(|i| i.0.r#type),
            address_country: user.and_then(|u| u.address.given()).map(|a| a.0.country),
        }
    }
}

/// An optional member: absent and null differ, since `properties: {x: false}` refuses even a
/// null. Used with `#[serde(default)]`.
#[derive(Default)]
pub(super) enum Member<T> {
    #[default]
    Absent,
    Null,
    Given(T),
}

impl<T> Member<T> {
    pub(super) fn given(&self) -> Option<&T> {
        match self {
            Member::Given(t) => Some(t),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Member<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(|v| v.map_or(Member::Null, Member::Given))
    }
}

/// A struct read from a JSON object only: serde would also read one from an array.
pub(super) struct Object<T>(pub(super) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Members<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> de::Visitor<'de> for Members<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Members(PhantomData)).map(Object)
    }
}
