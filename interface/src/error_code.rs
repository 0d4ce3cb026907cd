//! The codes a `PluginError` carries: every one the plugin produces, and nothing else.

words! {
    pub enum ErrorCode {
        /// An argument (settings, context, preset options) is not JSON text.
        InvalidJson = "invalid_json",
        /// The settings are not those of the settings schema.
        InvalidSettings = "invalid_settings",
        /// The preset options name an unknown environment, dialect or option.
        InvalidOptions = "invalid_options",
        /// The context is not what `execute` documents.
        InvalidContext = "invalid_context",
        /// A task id (ABI 1.1's task functions) names no task the plugin offers.
        UnknownTask = "unknown_task",
        /// The plugin panicked; the panic was caught and the plugin is still usable.
        InternalPanic = "internal_panic",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back() {
        for &code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse(), Ok(code));
        }
        assert!("invalid_argument".parse::<ErrorCode>().is_err());
    }
}
