//! What a host asks `settings_preset` for: the environment and the engine's task dialect.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::Environment;

/// The task format of the engine the preset is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// The seed host's `Http` task.
    #[default]
    Seed,
    /// A Conductor `HTTP` task and its task definition.
    Conductor,
}

impl Dialect {
    pub const ALL: [Dialect; 2] = [Dialect::Seed, Dialect::Conductor];

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Seed => "seed",
            Dialect::Conductor => "conductor",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Dialect::ALL.into_iter().find(|d| d.as_str() == text).ok_or_else(|| {
            let names: Vec<String> = Dialect::ALL.iter().map(|d| format!("{:?}", d.as_str())).collect();
            format!("must be one of {}", names.join(", "))
        })
    }
}

/// The `options` of `settings_preset`: `{"environment": …, "dialect": …}`, both optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PresetOptions {
    pub environment: Environment,
    pub dialect: Dialect,
}

impl PresetOptions {
    pub fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }
}
