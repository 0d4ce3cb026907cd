//! The schema's rules, interpreted: what `accepts` applies to the input's structs. Read from the
//! embedded schema at first use, in the shapes schema/generate.py writes; a shape it does not
//! know leaves `RULES` empty and the fast path off. A clean input draws no warning either, so the
//! warning schemas (`$defs/warnings`) are read as more rules of the same shapes.

use std::{
    collections::BTreeMap,
    sync::{Arc, LazyLock},
};

use serde_json::Value;

use super::{
    input::{Address, IdNumber, Input, Member, Object, User, ADDRESS_MEMBERS},
    leaf::{Leaf, Set},
};
use crate::{schema, validate::phone};

pub(super) static RULES: LazyLock<Option<Rules>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(schema::INPUT).ok()?;
    Rules::of(&schema)
});

/// What the schema asks of an input, field by field.
pub(super) struct Rules {
    pub(super) client_user_id: Vec<Leaf>,
    pub(super) template_id: Vec<Leaf>,
    pub(super) strategy: Leaf,
    pub(super) client_id: Leaf,
    pub(super) secret: Leaf,
    /// The strategy that requires steps; every other one refuses them.
    pub(super) custom: String,
    pub(super) email_address: Vec<Leaf>,
    pub(super) phone_number: Vec<Leaf>,
    pub(super) date_of_birth: Vec<Leaf>,
    pub(super) given_name: Leaf,
    pub(super) family_name: Leaf,
    pub(super) address: AddressRules,
    pub(super) id_type: Leaf,
    pub(super) id_value: Leaf,
    /// Each ID type's rules for its value.
    pub(super) id_values: BTreeMap<String, Vec<Leaf>>,
}

pub(super) struct AddressRules {
    /// Each member's own subschema, by its index in `ADDRESS_MEMBERS`.
    pub(super) members: Vec<Leaf>,
    /// The members that make an address full (full_address's `anyOf`).
    pub(super) full: Vec<usize>,
    /// Each country's share of the address's `allOf`, sorted by code: the address's country
    /// is looked up once instead of once per rule.
    pub(super) countries: Vec<(String, Country)>,
}

/// What the address's `allOf` asks of an address in one country.
#[derive(Default)]
pub(super) struct Country {
    /// Members a full address needs, as strings.
    pub(super) required_in_full: Vec<usize>,
    /// Members to leave out (null is not given).
    pub(super) not_accepted: Vec<usize>,
    /// Members that, when present, must also hold a subschema.
    pub(super) further: Vec<(usize, Arc<Leaf>)>,
    /// The regions a region must be one of, when the country lists them.
    pub(super) subdivisions: Option<Set>,
    /// False when the user's `allOf` refuses an id_number with an address in this country.
    pub(super) takes_id_number: bool,
    /// False when the country draws a warning of its own (not in Plaid's table).
    pub(super) listed: bool,
}

pub(super) const FULL_ADDRESS: &str = "#/$defs/full_address";

impl Rules {
    pub(super) fn of(schema: &Value) -> Option<Rules> {
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
        let mut rules = Rules {
            client_user_id: vec![leaf("/properties/client_user_id")?],
            template_id: vec![leaf("/properties/template_id")?],
            strategy: leaf("/properties/strategy")?,
            client_id: leaf("/properties/client_id")?,
            secret: leaf("/properties/secret")?,
            custom,
            email_address: vec![leaf("/$defs/user/properties/email_address")?],
            phone_number: vec![leaf("/$defs/user/properties/phone_number")?],
            date_of_birth: vec![leaf("/$defs/user/properties/date_of_birth")?],
            given_name: leaf("/$defs/name/properties/given_name")?,
            family_name: leaf("/$defs/name/properties/family_name")?,
            address: AddressRules::of(schema)?,
            id_type: leaf("/$defs/id_number/properties/type")?,
            id_value: leaf("/$defs/id_number/properties/value")?,
            id_values,
        };
        if let Some(warnings) = schema.pointer("/$defs/warnings") {
            for def in warnings.as_object()?.values() {
                rules.warning(def)?;
            }
        }
        Some(rules)
    }

    /// One warning schema, in the shapes generate.py writes: leaves of the root's or the user's
    /// string fields, the listed countries, and `allOf`s shaped as the address's, the user's and
    /// the ID number's own.
    fn warning(&mut self, def: &Value) -> Option<()> {
        for (key, node) in only(def, &["properties", "description"])?.get("properties")?.as_object()? {
            match key.as_str() {
                "client_user_id" => self.client_user_id.push(Leaf::of(node)?),
                "template_id" => self.template_id.push(Leaf::of(node)?),
                "user" => self.user_warning(node)?,
                _ => return None,
            }
        }
        Some(())
    }

    fn user_warning(&mut self, node: &Value) -> Option<()> {
        let node = only(node, &["properties", "allOf"])?;
        if let Some(all_of) = node.get("allOf") {
            self.address.user_conditions(all_of)?;
        }
        for (key, node) in
            node.get("properties").map(Value::as_object).unwrap_or_default().into_iter().flatten()
        {
            match key.as_str() {
                "email_address" => self.email_address.push(Leaf::of(node)?),
                "phone_number" => self.phone_number.push(Leaf::of(node)?),
                "date_of_birth" => self.date_of_birth.push(Leaf::of(node)?),
                "address" => {
                    let node = only(node, &["properties", "allOf"])?;
                    if let Some(all_of) = node.get("allOf") {
                        self.address.conditions(None, all_of)?;
                    }
                    if let Some(properties) = node.get("properties") {
                        let [("country", country)] =
                            properties.as_object()?.iter().map(|(k, v)| (k.as_str(), v)).collect::<Vec<_>>()
                                [..]
                        else {
                            return None;
                        };
                        let listed = Set::of(only(country, &["type", "enum"])?.get("enum")?)?;
                        for (code, rules) in &mut self.address.countries {
                            rules.listed &= listed.contains(code);
                        }
                    }
                }
                "id_number" => {
                    for (when, then) in conditions(only(node, &["allOf"])?.get("allOf")?)? {
                        let kind = when.pointer("/properties/type/const")?.as_str()?.to_owned();
                        self.id_values
                            .entry(kind)
                            .or_default()
                            .push(Leaf::of(then.pointer("/properties/value")?)?);
                    }
                }
                _ => return None,
            }
        }
        Some(())
    }

    pub(super) fn input(&self, input: &Input) -> bool {
        let steps_ok = if input.strategy == self.custom {
            matches!(input.steps, Member::Given(_))
        } else {
            !matches!(input.steps, Member::Given(_))
        };
        steps_ok
            && all(&self.client_user_id, input.client_user_id)
            && all(&self.template_id, input.template_id)
            && self.strategy.holds(input.strategy)
            && optional(&input.client_id, &self.client_id)
            && optional(&input.secret, &self.secret)
            && match &input.user {
                Member::Given(Object(user)) => self.user(user),
                Member::Absent | Member::Null => true,
            }
    }

    pub(super) fn user(&self, user: &User) -> bool {
        let name_ok = match &user.name {
            Member::Given(Object(name)) => {
                self.given_name.holds(name.given_name) && self.family_name.holds(name.family_name)
            }
            Member::Absent | Member::Null => true,
        };
        let (address_ok, takes_id) = match &user.address {
            Member::Given(Object(address)) => match self.address.country(address.country) {
                Some(country) => {
                    (country.listed && self.address.holds(address, country), country.takes_id_number)
                }
                None => (false, false),
            },
            Member::Absent | Member::Null => (true, true),
        };
        let id_ok = match &user.id_number {
            Member::Given(Object(id)) => takes_id && self.id_number(id),
            Member::Absent | Member::Null => true,
        };
        name_ok
            && address_ok
            && id_ok
            && optional_all(&user.email_address, &self.email_address)
            && optional_all(&user.phone_number, &self.phone_number)
            && user.phone_number.given().is_none_or(|number| phone::is_valid(number))
            && optional_all(&user.date_of_birth, &self.date_of_birth)
    }

    pub(super) fn id_number(&self, id: &IdNumber) -> bool {
        self.id_type.holds(id.r#type)
            && self.id_value.holds(id.value)
            && self.id_values.get(id.r#type).into_iter().flatten().all(|rule| rule.holds(id.value))
    }
}

/// A member the schema may leave out: absent is fine, null where its `type` allows it.
pub(super) fn optional(member: &Member<&str>, leaf: &Leaf) -> bool {
    optional_all(member, std::slice::from_ref(leaf))
}

/// `optional` for a field with several subschemas (its own and its warnings').
fn optional_all(member: &Member<&str>, leaves: &[Leaf]) -> bool {
    match member {
        Member::Absent => true,
        Member::Null => leaves.iter().all(|leaf| leaf.null),
        Member::Given(text) => all(leaves, text),
    }
}

fn all(leaves: &[Leaf], text: &str) -> bool {
    leaves.iter().all(|leaf| leaf.holds(text))
}

/// The object when it has no keys but `keys` and an object `type` (which the input's structs
/// already hold to); None (a shape this module does not know) otherwise.
fn only<'a>(node: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let object = node.as_object()?;
    let object_type = |t: &Value| t == "object" || *t == serde_json::json!(["object", "null"]);
    let known = object.iter().all(|(k, v)| keys.contains(&k.as_str()) || (k == "type" && object_type(v)));
    known.then_some(node)
}

/// `{"type": "null"}`: the member may only be left out (null is not given).
fn null_only(rule: &Value) -> bool {
    rule.as_object().is_some_and(|o| o.len() == 1 && o.get("type") == Some(&Value::from("null")))
}

impl AddressRules {
    pub(super) fn of(schema: &Value) -> Option<AddressRules> {
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
        let countries: Vec<(String, Country)> = listed
            .0
            .into_iter()
            .map(|c| (c, Country { takes_id_number: true, listed: true, ..Country::default() }))
            .collect();
        let mut rules = AddressRules { members, full, countries };
        rules.conditions(Some(schema), address.get("allOf")?)?;
        rules.user_conditions(schema.pointer("/$defs/user/allOf")?)?;
        Some(rules)
    }

    /// An address `allOf`, in the shapes generate.py writes; `schema` resolves the subdivisions'
    /// `$ref` (the warnings' `allOf`s have none).
    fn conditions(&mut self, schema: Option<&Value>, all_of: &Value) -> Option<()> {
        let index = |name: &Value| ADDRESS_MEMBERS.iter().position(|m| name == *m);
        let countries = &mut self.countries;
        for (when, then) in conditions(all_of)? {
            let full_address = |c: &Value| c.get("$ref").and_then(Value::as_str) == Some(FULL_ADDRESS);
            let in_countries = |c: &Value| Set::of(c.pointer("/properties/country/enum")?);
            if then.get("$ref").and_then(Value::as_str) == Some("#/$defs/region_of_country") {
                let mut regions = BTreeMap::new();
                subdivisions(schema?.pointer("/$defs/region_of_country")?, &mut regions)?;
                for (country, rules) in countries.iter_mut() {
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
                in_set(countries, &in_countries(condition)?)
                    .for_each(|rules| rules.required_in_full.extend(&required));
                continue;
            }
            let set = in_countries(when)?;
            let [(member, rule)] = then.get("properties")?.as_object()?.iter().collect::<Vec<_>>()[..] else {
                return None;
            };
            let member = index(&Value::from(member.as_str()))?;
            if null_only(rule) {
                in_set(countries, &set).for_each(|rules| rules.not_accepted.push(member));
            } else {
                let leaf = Arc::new(Leaf::of(rule)?);
                in_set(countries, &set).for_each(|rules| rules.further.push((member, leaf.clone())));
            }
        }
        Some(())
    }

    /// A user `allOf`: the countries whose addresses take no id_number.
    fn user_conditions(&mut self, all_of: &Value) -> Option<()> {
        for (when, then) in conditions(all_of)? {
            null_only(then.pointer("/properties/id_number")?).then_some(())?;
            let set = Set::of(when.pointer("/properties/address/properties/country/enum")?)?;
            in_set(&mut self.countries, &set).for_each(|rules| rules.takes_id_number = false);
        }
        Some(())
    }

    /// The rules for a country the schema lists; None for any other.
    pub(super) fn country(&self, code: &str) -> Option<&Country> {
        let at = self.countries.binary_search_by(|(c, _)| c.as_str().cmp(code)).ok()?;
        Some(&self.countries[at].1)
    }

    pub(super) fn holds(&self, address: &Address, country: &Country) -> bool {
        let members = address.members();
        let given = |i: &usize| matches!(members[*i], Member::Given(_));
        let full = self.full.iter().any(given);
        self.members.iter().zip(members).all(|(leaf, member)| optional(member, leaf))
            && (!full || country.required_in_full.iter().all(given))
            && country.not_accepted.iter().all(|i| !matches!(members[*i], Member::Given(_)))
            && country.further.iter().all(|(i, leaf)| optional(members[*i], leaf))
            && match (&address.region, &country.subdivisions) {
                (Member::Given(region), Some(listed)) => listed.contains(region),
                _ => true,
            }
    }
}

/// The countries of a set, to add their rules.
pub(super) fn in_set<'a>(
    countries: &'a mut [(String, Country)],
    set: &'a Set,
) -> impl Iterator<Item = &'a mut Country> {
    countries.iter_mut().filter(|(c, _)| set.contains(c)).map(|(_, rules)| rules)
}

/// region_of_country's tree of if/then/else: each leaf names one country and its regions.
pub(super) fn subdivisions(node: &Value, into: &mut BTreeMap<String, Set>) -> Option<()> {
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
pub(super) fn conditions(all_of: &Value) -> Option<Vec<(&Value, &Value)>> {
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
