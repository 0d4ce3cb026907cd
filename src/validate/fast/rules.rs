//! The schema's rules, interpreted: what `accepts` applies to the input's structs. Read from the
//! embedded schema at first use, in the shapes schema/generate.py writes; a shape it does not
//! know leaves `RULES` empty and the fast path off.

use std::{
    collections::BTreeMap,
    sync::{Arc, LazyLock},
};

use serde_json::Value;

use super::{
    input::{Address, IdNumber, Input, Member, Object, User, ADDRESS_MEMBERS},
    leaf::{Leaf, Set},
};
use crate::schema;

pub(super) static RULES: LazyLock<Option<Rules>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(schema::INPUT).ok()?;
    Rules::of(&schema)
});

/// What the schema asks of an input, field by field.
pub(super) struct Rules {
    pub(super) client_user_id: Leaf,
    pub(super) template_id: Leaf,
    pub(super) strategy: Leaf,
    pub(super) client_id: Leaf,
    pub(super) secret: Leaf,
    /// The strategy that requires steps; every other one refuses them.
    pub(super) custom: String,
    pub(super) email_address: Leaf,
    pub(super) phone_number: Leaf,
    pub(super) date_of_birth: Leaf,
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
    /// Members to leave out, even as null.
    pub(super) not_accepted: Vec<usize>,
    /// Members that, when present, must also hold a subschema.
    pub(super) further: Vec<(usize, Arc<Leaf>)>,
    /// The regions a region must be one of, when the country lists them.
    pub(super) subdivisions: Option<Set>,
    /// False when the user's `allOf` refuses an id_number with an address in this country.
    pub(super) takes_id_number: bool,
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

    pub(super) fn input(&self, input: &Input) -> bool {
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

    pub(super) fn user(&self, user: &User) -> bool {
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

    pub(super) fn id_number(&self, id: &IdNumber) -> bool {
        self.id_type.holds(id.r#type)
            && self.id_value.holds(id.value)
            && self.id_values.get(id.r#type).into_iter().flatten().all(|rule| rule.holds(id.value))
    }
}

/// A member the schema may leave out: absent is fine, null where its `type` allows it.
pub(super) fn optional(member: &Member<&str>, leaf: &Leaf) -> bool {
    match member {
        Member::Absent => true,
        Member::Null => leaf.null,
        Member::Given(text) => leaf.holds(text),
    }
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
            && country.not_accepted.iter().all(|i| matches!(members[*i], Member::Absent))
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
