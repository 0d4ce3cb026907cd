//! The codes a `PluginError` carries: every one the plugin produces, and nothing else.

use std::{fmt, str::FromStr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An argument (settings, context, preset options) is not JSON text.
    InvalidJson,
    /// The settings are not those of the settings schema.
    InvalidSettings,
    /// The preset options name an unknown environment, dialect or option.
    InvalidOptions,
    /// The context is not what `execute` documents.
    InvalidContext,
    /// The plugin panicked; the panic was caught and the plugin is still usable.
    InternalPanic,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 5] = [
        ErrorCode::InvalidJson,
        ErrorCode::InvalidSettings,
        ErrorCode::InvalidOptions,
        ErrorCode::InvalidContext,
        ErrorCode::InternalPanic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidSettings => "invalid_settings",
            ErrorCode::InvalidOptions => "invalid_options",
            ErrorCode::InvalidContext => "invalid_context",
            ErrorCode::InternalPanic => "internal_panic",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == text).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse(), Ok(code));
        }
        assert_eq!("invalid_argument".parse::<ErrorCode>(), Err(()));
    }
}
