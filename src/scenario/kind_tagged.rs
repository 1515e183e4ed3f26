//! Deserialization of sections selected by a `kind:` key.
//!
//! serde's internally tagged enums buffer their input, which drops the key
//! path and location from errors inside them. These functions instead read
//! the section as a YAML value, turn `{kind: k, ...}` into the externally
//! tagged `!k {...}`, and deserialize that with `serde_path_to_error`, so
//! an error names the key inside the section, e.g. `samples: invalid value`.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer};
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::Value;

/// Top-level keys whose errors this module words; `parse_scenario` uses the
/// list to point such an error at the key's line.
pub const SECTIONS: [&str; 3] = ["model", "data", "strategies"];

/// Deserializes the `model:` section.
pub fn model<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<T, D::Error> {
    one("model", deserializer)
}

/// Deserializes the `data:` section.
pub fn data<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<T, D::Error> {
    one("data", deserializer)
}

/// Deserializes the `strategies:` list.
pub fn strategies<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let values = Vec::<Value>::deserialize(deserializer)?;
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            from_kind_tagged(value).map_err(|e| D::Error::custom(format!("strategies[{index}]{e}")))
        })
        .collect()
}

fn one<'de, D: Deserializer<'de>, T: DeserializeOwned>(section: &str, deserializer: D) -> Result<T, D::Error> {
    let value = Value::deserialize(deserializer)?;
    from_kind_tagged(value).map_err(|e| D::Error::custom(format!("{section}{e}")))
}

fn from_kind_tagged<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    let Value::Mapping(mut fields) = value else {
        return Err(": expected a map with a `kind:` key".to_owned());
    };
    let kind = match fields.remove("kind") {
        Some(Value::String(kind)) => kind,
        Some(other) => return Err(format!(".kind: expected a name, found {}", describe(&other))),
        None => return Err(": missing the `kind:` key that selects the variant".to_owned()),
    };
    // Tag::new panics on an empty tag, and a leading '!' would change its
    // meaning, so only plain names reach it.
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            ".kind: invalid value {kind:?}: expected a name made of letters, digits and '_'"
        ));
    }
    // serde_yaml represents an externally tagged enum as a YAML tag: `!kind {...}`.
    let tagged = Value::Tagged(Box::new(TaggedValue {
        tag: Tag::new(kind.clone()),
        value: Value::Mapping(fields),
    }));
    serde_path_to_error::deserialize(tagged).map_err(|error| {
        let path = error.path().to_string();
        // The first path segment is the kind we inserted; report keys below it.
        let inner = path.strip_prefix(&kind).unwrap_or(&path).trim_start_matches('.');
        let message = error.into_inner().to_string();
        if inner.is_empty() || inner == "?" {
            format!(".kind: {}", message.replace("unknown variant", "unknown kind"))
        } else {
            format!(".{inner}: {message}")
        }
    })
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a map",
        Value::Tagged(_) => "a tagged value",
    }
}
