//! The common case answered fast: an input that is certainly valid and draws no warning is
//! recognised from its text, without building a `Value` tree or walking the general validator.
//! Building the tree and walking the schema's two hundred-odd conditions cost most of a
//! validate call; this path reads the text into borrowed structs and applies the same rules.
//!
//! It only ever says "valid, nothing to warn about" or "not sure": anything it does not
//! recognise (an unknown or duplicate key, an escaped string, a wrong type, a failed rule, a
//! warning) falls back to the general path, which writes every report that is not the empty
//! one. So error reports never come from here.
//!
//! The rules are the embedded schema's, read from it at first use, never restated: each string
//! field is judged by its own subschema (`Leaf`: lengths, enum, patterns translated and compiled
//! as jsonschema does them, formats by jsonschema itself), and the conditional rules (countries,
//! ID types, subdivisions) are taken from the schema's `allOf`s in the shapes schema/generate.py
//! writes. A shape this module does not know turns the fast path off rather than guess.
//!
//! The proof, in `tests`: the fast verdict is the general one on the whole case table, the
//! validate fuzzer's inputs, and generated addresses and ID numbers of every country and type;
//! and every leaf judges generated strings as jsonschema does.

use std::{
    collections::BTreeMap,
    marker::PhantomData,
    sync::{Arc, LazyLock},
};

use jsonschema::Validator;
use serde::{de, Deserialize, Deserializer};
use serde_json::Value;

use super::warnings::{self, Facts};
use crate::schema;

/// True when `text` is certainly a valid input that draws no warning; false means "not sure".
/// The caller has checked the size cap.
pub(super) fn accepts(text: &str) -> bool {
    let Some(rules) = RULES.as_ref() else { return false };
    let Ok(Object(input)) = serde_json::from_str::<Object<Input>>(text) else { return false };
    rules.input(&input) && warnings::of(&input.facts()).is_empty()
}

// ---- the input, as borrowed structs ----
//
// `deny_unknown_fields` is the schema's `additionalProperties: false`; a borrowed `&str` fails on
// an escaped string, and serde refuses a duplicate key: all of these fall back.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input<'a> {
    client_user_id: &'a str,
    template_id: &'a str,
    strategy: &'a str,
    #[serde(default)]
    steps: Member<Object<Steps>>,
    #[serde(default)]
    #[allow(dead_code)] // read for its type only: any boolean or null is valid
    is_shareable: Member<bool>,
    #[serde(default, borrow)]
    user: Member<Object<User<'a>>>,
    #[serde(default, borrow)]
    client_id: Member<&'a str>,
    #[serde(default, borrow)]
    secret: Member<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read for their types only; only selfie_check matters, to a warning
struct Steps {
    verify_sms: bool,
    kyc_check: bool,
    documentary_verification: bool,
    selfie_check: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct User<'a> {
    #[serde(default, borrow)]
    email_address: Member<&'a str>,
    #[serde(default, borrow)]
    phone_number: Member<&'a str>,
    #[serde(default, borrow)]
    date_of_birth: Member<&'a str>,
    #[serde(default, borrow)]
    name: Member<Object<Name<'a>>>,
    #[serde(default, borrow)]
    address: Member<Object<Address<'a>>>,
    #[serde(default, borrow)]
    id_number: Member<Object<IdNumber<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Name<'a> {
    given_name: &'a str,
    family_name: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Address<'a> {
    #[serde(default, borrow)]
    street: Member<&'a str>,
    #[serde(default, borrow)]
    street2: Member<&'a str>,
    #[serde(default, borrow)]
    city: Member<&'a str>,
    #[serde(default, borrow)]
    region: Member<&'a str>,
    #[serde(default, borrow)]
    postal_code: Member<&'a str>,
    country: &'a str,
}

/// The address's members besides its country, in the order of `Address::members`.
const ADDRESS_MEMBERS: [&str; 5] = ["street", "street2", "city", "region", "postal_code"];

impl<'a> Address<'a> {
    fn members(&self) -> [&Member<&'a str>; 5] {
        [&self.street, &self.street2, &self.city, &self.region, &self.postal_code]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdNumber<'a> {
    r#type: &'a str,
    value: &'a str,
}

impl Input<'_> {
    fn facts(&self) -> Facts<'_> {
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
enum Member<T> {
    #[default]
    Absent,
    Null,
    Given(T),
}

impl<T> Member<T> {
    fn given(&self) -> Option<&T> {
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
struct Object<T>(T);

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

// ---- the rules, from the schema ----

static RULES: LazyLock<Option<Rules>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(schema::INPUT).ok()?;
    Rules::of(&schema)
});

/// A string field's own subschema, in the few keywords the schema's string fields use: its type,
/// lengths (in code points, as JSON Schema counts), pattern (translated and compiled exactly as
/// jsonschema does, with the same engine), enum or const, `not` of a pattern, and format (left to
/// jsonschema itself). A subschema with any other assertion is not a leaf, and the fast path
/// stays off. `tests::leaves_judge_strings_as_jsonschema_does` holds each leaf to jsonschema.
struct Leaf {
    /// The subschema's `type` allows a string; and null.
    string: bool,
    null: bool,
    min_length: usize,
    max_length: usize,
    pattern: Option<fancy_regex::Regex>,
    not_pattern: Option<fancy_regex::Regex>,
    one_of: Option<Set>,
    /// jsonschema's check of the `format` alone (a format is not a pattern: the email pattern
    /// allows labels like `a--b` that the hostname rules refuse).
    format: Option<Validator>,
}

/// Keywords that assert nothing about a string value.
const ANNOTATIONS: [&str; 4] = ["title", "description", "examples", "writeOnly"];

impl Leaf {
    fn at(schema: &Value, pointer: &str) -> Option<Leaf> {
        Leaf::of(schema.pointer(pointer)?)
    }

    fn of(subschema: &Value) -> Option<Leaf> {
        let object = subschema.as_object()?;
        let known = ["type", "minLength", "maxLength", "pattern", "not", "enum", "const", "format"];
        if !object.keys().all(|k| known.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str())) {
            return None;
        }
        let allows = |kind: &str| match object.get("type") {
            None => Some(true),
            Some(Value::String(t)) => Some(t == kind),
            Some(Value::Array(types)) => Some(types.iter().any(|t| t == kind)),
            Some(_) => None,
        };
        let length = |key: &str| object.get(key).map(|n| n.as_u64().and_then(|n| usize::try_from(n).ok()));
        let not_pattern = match object.get("not") {
            None => None,
            Some(not) if not.as_object()?.len() == 1 => Some(regex(not.get("pattern")?)?),
            Some(_) => return None,
        };
        let one_of = match (object.get("enum"), object.get("const")) {
            (Some(values), None) | (None, Some(values)) => Some(Set::of(values)?),
            (None, None) => None,
            (Some(_), Some(_)) => return None,
        };
        let pattern = match object.get("pattern") {
            Some(pattern) => Some(regex(pattern)?),
            None => None,
        };
        Some(Leaf {
            string: allows("string")?,
            null: allows("null")?,
            min_length: length("minLength").unwrap_or(Some(0))?,
            max_length: length("maxLength").unwrap_or(Some(usize::MAX))?,
            pattern,
            not_pattern,
            one_of,
            format: match object.get("format") {
                Some(format) => Some(super::options().build(&serde_json::json!({ "format": format })).ok()?),
                None => None,
            },
        })
    }

    fn holds(&self, text: &str) -> bool {
        let length_ok = match (self.min_length, self.max_length) {
            (0, usize::MAX) => true,
            // Code points are at most bytes, and at least a quarter of them.
            (min, max) if text.len() / 4 >= min && text.len() <= max => true,
            (min, max) => (min..=max).contains(&text.chars().count()),
        };
        self.string
            && length_ok
            && self.one_of.as_ref().is_none_or(|set| set.contains(text))
            && self.pattern.as_ref().is_none_or(|p| p.is_match(text).unwrap_or(false))
            && self.not_pattern.as_ref().is_none_or(|p| p.is_match(text).is_ok_and(|m| !m))
            && self.format.as_ref().is_none_or(|f| f.is_valid(&Value::from(text)))
    }
}

/// A `pattern`, as jsonschema compiles it: translated from ECMA-262 and built with fancy-regex.
fn regex(pattern: &Value) -> Option<fancy_regex::Regex> {
    let translated = jsonschema_regex::to_rust_regex(pattern.as_str()?).ok()?;
    fancy_regex::Regex::new(&translated).ok()
}

/// A sorted list of strings (countries), looked up by binary search.
struct Set(Vec<String>);

impl Set {
    fn of(values: &Value) -> Option<Set> {
        let mut list = match values {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => {
                many.iter().map(|v| v.as_str().map(str::to_owned)).collect::<Option<_>>()?
            }
            _ => return None,
        };
        list.sort();
        Some(Set(list))
    }

    fn contains(&self, value: &str) -> bool {
        self.0.binary_search_by(|v| v.as_str().cmp(value)).is_ok()
    }
}

struct Rules {
    client_user_id: Leaf,
    template_id: Leaf,
    strategy: Leaf,
    client_id: Leaf,
    secret: Leaf,
    /// The strategy that requires steps; every other one refuses them.
    custom: String,
    email_address: Leaf,
    phone_number: Leaf,
    date_of_birth: Leaf,
    given_name: Leaf,
    family_name: Leaf,
    address: AddressRules,
    id_type: Leaf,
    id_value: Leaf,
    /// Each ID type's rules for its value.
    id_values: BTreeMap<String, Vec<Leaf>>,
}

struct AddressRules {
    /// Each member's own subschema, by its index in `ADDRESS_MEMBERS`.
    members: Vec<Leaf>,
    /// The members that make an address full (full_address's `anyOf`).
    full: Vec<usize>,
    /// Each country's share of the address's `allOf`, sorted by code: the address's country
    /// is looked up once instead of once per rule.
    countries: Vec<(String, Country)>,
}

/// What the address's `allOf` asks of an address in one country.
#[derive(Default)]
struct Country {
    /// Members a full address needs, as strings.
    required_in_full: Vec<usize>,
    /// Members to leave out, even as null.
    not_accepted: Vec<usize>,
    /// Members that, when present, must also hold a subschema.
    further: Vec<(usize, Arc<Leaf>)>,
    /// The regions a region must be one of, when the country lists them.
    subdivisions: Option<Set>,
    /// False when the user's `allOf` refuses an id_number with an address in this country.
    takes_id_number: bool,
}

const FULL_ADDRESS: &str = "#/$defs/full_address";

impl Rules {
    fn of(schema: &Value) -> Option<Rules> {
        let leaf = |pointer: &str| Leaf::at(schema, pointer);
        let (custom, _) = conditions(schema.get("allOf")?)?
            .into_iter()
            .find(|(_, then)| then.pointer("/required/0").and_then(Value::as_str) == Some("steps"))?;
        let custom = custom.pointer("/properties/strategy/const")?.as_str()?.to_owned();
        let mut id_values: BTreeMap<String, Vec<Leaf>> = BTreeMap::new();
        for (when, then) in conditions(schema.pointer("/$defs/id_number/allOf")?)? {
            let kind = when.pointer("/properties/type/const")?.as_str()?.to_owned();
            id_values.entry(kind).or_default().push(Leaf::of(then.pointer("/properties/value")?)?);
        }
        Some(Rules {
            client_user_id: leaf("/properties/client_user_id")?,
            template_id: leaf("/properties/template_id")?,
            strategy: leaf("/properties/strategy")?,
            client_id: leaf("/properties/client_id")?,
            secret: leaf("/properties/secret")?,
            custom,
            email_address: leaf("/$defs/user/properties/email_address")?,
            phone_number: leaf("/$defs/user/properties/phone_number")?,
            date_of_birth: leaf("/$defs/user/properties/date_of_birth")?,
            given_name: leaf("/$defs/name/properties/given_name")?,
            family_name: leaf("/$defs/name/properties/family_name")?,
            address: AddressRules::of(schema)?,
            id_type: leaf("/$defs/id_number/properties/type")?,
            id_value: leaf("/$defs/id_number/properties/value")?,
            id_values,
        })
    }

    fn input(&self, input: &Input) -> bool {
        let steps_ok = if input.strategy == self.custom {
            matches!(input.steps, Member::Given(_))
        } else {
            !matches!(input.steps, Member::Given(_))
        };
        steps_ok
            && self.client_user_id.holds(input.client_user_id)
            && self.template_id.holds(input.template_id)
            && self.strategy.holds(input.strategy)
            && optional(&input.client_id, &self.client_id)
            && optional(&input.secret, &self.secret)
            && match &input.user {
                Member::Given(Object(user)) => self.user(user),
                Member::Absent | Member::Null => true,
            }
    }

    fn user(&self, user: &User) -> bool {
        let name_ok = match &user.name {
            Member::Given(Object(name)) => {
                self.given_name.holds(name.given_name) && self.family_name.holds(name.family_name)
            }
            Member::Absent | Member::Null => true,
        };
        let (address_ok, takes_id) = match &user.address {
            Member::Given(Object(address)) => match self.address.country(address.country) {
                Some(country) => (self.address.holds(address, country), country.takes_id_number),
                None => (false, false),
            },
            Member::Absent | Member::Null => (true, true),
        };
        let id_ok = match &user.id_number {
            Member::Given(Object(id)) => takes_id && self.id_number(id),
            Member::Null => takes_id,
            Member::Absent => true,
        };
        name_ok
            && address_ok
            && id_ok
            && optional(&user.email_address, &self.email_address)
            && optional(&user.phone_number, &self.phone_number)
            && optional(&user.date_of_birth, &self.date_of_birth)
    }

    fn id_number(&self, id: &IdNumber) -> bool {
        self.id_type.holds(id.r#type)
            && self.id_value.holds(id.value)
            && self.id_values.get(id.r#type).into_iter().flatten().all(|rule| rule.holds(id.value))
    }
}

/// A member the schema may leave out: absent is fine, null where its `type` allows it.
fn optional(member: &Member<&str>, leaf: &Leaf) -> bool {
    match member {
        Member::Absent => true,
        Member::Null => leaf.null,
        Member::Given(text) => leaf.holds(text),
    }
}

impl AddressRules {
    fn of(schema: &Value) -> Option<AddressRules> {
        let address = schema.pointer("/$defs/address")?;
        let index = |name: &Value| ADDRESS_MEMBERS.iter().position(|m| name == *m);
        let properties = address.get("properties")?.as_object()?;
        if properties.len() != ADDRESS_MEMBERS.len() + 1 {
            return None;
        }
        let members = ADDRESS_MEMBERS.iter().map(|m| Leaf::of(properties.get(*m)?)).collect::<Option<_>>()?;
        let full = schema
            .pointer("/$defs/full_address/anyOf")?
            .as_array()?
            .iter()
            .map(|given| index(given.pointer("/required/0")?))
            .collect::<Option<_>>()?;
        let listed = Set::of(address.pointer("/properties/country/enum")?)?;
        let mut countries: Vec<(String, Country)> = listed
            .0
            .into_iter()
            .map(|c| (c, Country { takes_id_number: true, ..Country::default() }))
            .collect();

        // The address's allOf, in the shapes generate.py writes.
        for (when, then) in conditions(address.get("allOf")?)? {
            let full_address = |c: &Value| c.get("$ref").and_then(Value::as_str) == Some(FULL_ADDRESS);
            let in_countries = |c: &Value| Set::of(c.pointer("/properties/country/enum")?);
            if then.get("$ref").and_then(Value::as_str) == Some("#/$defs/region_of_country") {
                let mut regions = BTreeMap::new();
                subdivisions(schema.pointer("/$defs/region_of_country")?, &mut regions)?;
                for (country, rules) in &mut countries {
                    rules.subdivisions = regions.remove(country);
                }
                continue;
            }
            let required = || -> Option<Vec<usize>> {
                match then.get("allOf") {
                    Some(parts) => {
                        parts.as_array()?.iter().map(|p| index(p.pointer("/required/0")?)).collect()
                    }
                    None => Some(vec![index(then.pointer("/required/0")?)?]),
                }
            };
            if full_address(when) {
                let required = required()?;
                countries.iter_mut().for_each(|(_, rules)| rules.required_in_full.extend(&required));
                continue;
            }
            if let Some([full, condition]) = when.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                let required = required()?;
                full_address(full).then_some(())?;
                in_set(&mut countries, &in_countries(condition)?)
                    .for_each(|rules| rules.required_in_full.extend(&required));
                continue;
            }
            let set = in_countries(when)?;
            let [(member, rule)] = then.get("properties")?.as_object()?.iter().collect::<Vec<_>>()[..] else {
                return None;
            };
            let member = index(&Value::from(member.as_str()))?;
            match rule {
                Value::Bool(false) => {
                    in_set(&mut countries, &set).for_each(|rules| rules.not_accepted.push(member))
                }
                subschema => {
                    let leaf = Arc::new(Leaf::of(subschema)?);
                    in_set(&mut countries, &set).for_each(|rules| rules.further.push((member, leaf.clone())));
                }
            }
        }

        // The user's allOf: the countries whose addresses refuse an id_number.
        for (when, then) in conditions(schema.pointer("/$defs/user/allOf")?)? {
            (then.pointer("/properties/id_number") == Some(&Value::Bool(false))).then_some(())?;
            let set = Set::of(when.pointer("/properties/address/properties/country/enum")?)?;
            in_set(&mut countries, &set).for_each(|rules| rules.takes_id_number = false);
        }
        Some(AddressRules { members, full, countries })
    }

    /// The rules for a country the schema lists; None for any other.
    fn country(&self, code: &str) -> Option<&Country> {
        let at = self.countries.binary_search_by(|(c, _)| c.as_str().cmp(code)).ok()?;
        Some(&self.countries[at].1)
    }

    fn holds(&self, address: &Address, country: &Country) -> bool {
        let members = address.members();
        let given = |i: &usize| matches!(members[*i], Member::Given(_));
        let full = self.full.iter().any(given);
        self.members.iter().zip(members).all(|(leaf, member)| optional(member, leaf))
            && (!full || country.required_in_full.iter().all(given))
            && country.not_accepted.iter().all(|i| matches!(members[*i], Member::Absent))
            && country.further.iter().all(|(i, leaf)| optional(members[*i], leaf))
            && match (&address.region, &country.subdivisions) {
                (Member::Given(region), Some(listed)) => listed.contains(region),
                _ => true,
            }
    }
}

/// The countries of a set, to add their rules.
fn in_set<'a>(countries: &'a mut [(String, Country)], set: &'a Set) -> impl Iterator<Item = &'a mut Country> {
    countries.iter_mut().filter(|(c, _)| set.contains(c)).map(|(_, rules)| rules)
}

/// region_of_country's tree of if/then/else: each leaf names one country and its regions.
fn subdivisions(node: &Value, into: &mut BTreeMap<String, Set>) -> Option<()> {
    let regions = node.pointer("/then/properties/region/enum");
    match (node.pointer("/if/properties/country/const").and_then(Value::as_str), regions) {
        (Some(country), Some(regions)) => {
            into.insert(country.to_owned(), Set::of(regions)?);
        }
        _ => subdivisions(node.get("then")?, into)?,
    }
    match node.get("else") {
        Some(otherwise) => subdivisions(otherwise, into),
        None => Some(()),
    }
}

/// An `allOf` of `if`/`then` entries, as (if, then) pairs; None if any entry is something else.
fn conditions(all_of: &Value) -> Option<Vec<(&Value, &Value)>> {
    all_of
        .as_array()?
        .iter()
        .map(|entry| {
            let object = entry.as_object()?;
            let known = object.keys().all(|k| k == "if" || k == "then");
            known.then_some((object.get("if")?, object.get("then")?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use plaid_idv_test_support::{cases::table, fuzz};
    use proptest::{prelude::*, string::string_regex};

    use super::*;
    use crate::validate::{fast_accepts, general};

    /// The fast path accepts exactly the inputs the general path finds valid with no warnings,
    /// except that it declines any text with an escape (a borrowed `&str` cannot hold one), so
    /// the general path answers those too.
    fn agrees(text: &str) -> Result<(), String> {
        let fast = fast_accepts(text);
        // The general path's report: what validate answers whenever the fast path declines.
        let (report, _) = general(text);
        let clean = report.valid && report.warnings.is_empty();
        match (fast, clean) {
            (true, false) => Err(format!("the fast path accepted what the schema reports as {report:?}")),
            (false, true) if !text.contains('\\') => Err("the fast path declined a valid input".into()),
            _ => Ok(()),
        }
    }

    #[test]
    fn fast_path_agrees_with_the_schema() {
        assert!(RULES.is_some(), "the fast path does not know the schema's shape: it is off");
        let mut accepted = 0;
        for case in table() {
            let text = case.input.to_string();
            agrees(&text).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            accepted += usize::from(accepts(&text));
        }
        assert!(accepted >= 40, "only {accepted} table cases took the fast path");
        fuzz::runner("validate")
            .run(&fuzz::validate_text(), |text| agrees(&text).map_err(TestCaseError::fail))
            .unwrap();
    }

    /// Addresses and ID numbers in every country and of every type, each member absent, null,
    /// plausible or wrong: the per-country rules the table samples, everywhere.
    #[test]
    fn fast_path_agrees_on_every_country_and_id_type() {
        let data = |name: &str| -> Value {
            let path = format!("{}/schema/data/{name}", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let (countries, subdivisions, ids) =
            (data("countries.json"), data("subdivisions.json"), data("id-numbers.json"));
        let mut codes: Vec<String> = serde_json::from_value(countries["countries"].clone()).unwrap();
        codes.extend(["PR", "us", ""].map(String::from));
        let id_types: Vec<(String, String)> = ids["id_numbers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (t["type"].as_str().unwrap().to_owned(), generable(t["pattern"].as_str().unwrap()).unwrap())
            })
            .collect();
        let member = |plausible: BoxedStrategy<String>| {
            prop_oneof![
                1 => Just(None),
                1 => Just(Some(Value::Null)),
                8 => plausible.prop_map(|s| Some(Value::from(s))),
                1 => "[ -~]{0,4}".prop_map(|s| Some(Value::from(s))),
            ]
        };
        let region = (any::<prop::sample::Index>(), any::<prop::sample::Index>());
        let address = (
            prop::sample::select(codes),
            member(Just("12 Rue Haute".to_owned()).boxed()),
            member(Just("Unit 4".to_owned()).boxed()),
            member(Just("Lyon".to_owned()).boxed()),
            member(string_regex("[0-9]{5}|[A-Z0-9]{3,8}").unwrap().boxed()),
            (member(Just(String::new()).boxed()), region),
        );
        let id_number = (0..id_types.len()).prop_flat_map(move |i| {
            let (kind, pattern) = id_types[i].clone();
            member(string_regex(&pattern).unwrap().boxed()).prop_map(move |value| {
                value.map(|v| serde_json::json!({"type": kind, "value": v.as_str().map_or(Value::Null, Value::from)}))
            })
        });
        let strategy = (address, prop::option::weighted(0.3, id_number), any::<bool>());
        let accepted = std::cell::Cell::new(0);
        fuzz::runner("validate")
            .run(&strategy, |((country, street, street2, city, postal_code, (region, (a, b))), id_number, nulls)| {
                let mut address = serde_json::Map::new();
                address.insert("country".into(), Value::from(country.clone()));
                // A region from the country's own list where it has one, else what was generated.
                let listed = subdivisions["regions"][&country].as_array().filter(|l| !l.is_empty());
                let region = match (region, listed) {
                    (Some(Value::String(_)), Some(list)) if a.index(4) > 0 => Some(list[b.index(list.len())].clone()),
                    (region, _) => region,
                };
                for (key, value) in [("street", street), ("street2", street2), ("city", city), ("postal_code", postal_code), ("region", region)] {
                    if let Some(value) = value {
                        address.insert(key.into(), value);
                    }
                }
                let mut user = serde_json::json!({"address": address});
                match id_number {
                    Some(Some(id)) => user["id_number"] = id,
                    Some(None) if nulls => user["id_number"] = Value::Null,
                    _ => {}
                }
                let input = serde_json::json!({"client_user_id": "user-1", "template_id": "idvtmp_1", "strategy": "reset", "user": user});
                let text = input.to_string();
                accepted.set(accepted.get() + usize::from(accepts(&text)));
                agrees(&text).map_err(TestCaseError::fail)
            })
            .unwrap();
        let accepted = accepted.get();
        assert!(
            accepted >= fuzz::cases("validate") as usize / 50,
            "only {accepted} generated inputs took the fast path"
        );
    }

    /// Each string field's leaf says what jsonschema says of the same subschema, on strings
    /// generated from the field's own pattern (mostly matching it) and on any strings. Sixty-odd
    /// leaves: each gets a tenth of the validate target's cases.
    #[test]
    fn leaves_judge_strings_as_jsonschema_does() {
        let schema: Value = serde_json::from_str(schema::INPUT).unwrap();
        let mut leaves = Vec::new();
        find_leaves(&schema, &mut leaves);
        assert!(leaves.len() >= 50, "{}", leaves.len());
        for subschema in leaves {
            let leaf = Leaf::of(subschema).unwrap();
            let judge = crate::validate::options().build(subschema).unwrap();
            let strings = match subschema.get("pattern").and_then(Value::as_str).and_then(generable) {
                Some(pattern) => {
                    prop_oneof![3 => string_regex(&pattern).unwrap(), 1 => any::<String>()].boxed()
                }
                None => any::<String>().boxed(),
            };
            fuzz::runner_for(fuzz::cases("validate") / 10)
                .run(&strings, |text| {
                    let expected = judge.is_valid(&Value::from(text.clone()));
                    prop_assert_eq!(leaf.holds(&text), expected, "{:?} against {}", text, subschema);
                    Ok(())
                })
                .unwrap();
        }
    }

    /// A pattern proptest can generate from: without anchors (it generates whole strings) or
    /// lookahead (the leaf still applies the full pattern).
    fn generable(pattern: &str) -> Option<String> {
        let pattern = pattern.strip_prefix('^').unwrap_or(pattern);
        let pattern = pattern.strip_suffix('$').unwrap_or(pattern);
        match pattern.find("(?=") {
            Some(at) => {
                let end = at + pattern[at..].find(')')? + 1;
                Some(format!("{}{}", &pattern[..at], &pattern[end..]))
            }
            None => Some(pattern.to_owned()),
        }
    }

    /// Every subschema of a string field: those with a string `type` or a `pattern`.
    fn find_leaves<'a>(schema: &'a Value, into: &mut Vec<&'a Value>) {
        match schema {
            Value::Object(object) => {
                let string = object
                    .get("type")
                    .is_some_and(|t| t == "string" || t == &serde_json::json!(["string", "null"]));
                if (string || object.contains_key("pattern")) && !object.contains_key("properties") {
                    into.push(schema);
                }
                object.values().for_each(|v| find_leaves(v, into));
            }
            Value::Array(items) => items.iter().for_each(|v| find_leaves(v, into)),
            _ => {}
        }
    }
}
