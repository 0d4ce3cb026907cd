//! Where the plugin is (the interface's [`locate`]: `--plugin PATH`, else
//! `$PLAID_IDV_RETRY_PLUGIN`, else beside this executable), loaded.

use std::path::Path;

use plaid_idv_retry_interface::{self as interface, locate, LoadError, Plugin};

pub fn load(flag: Option<&Path>) -> Result<Plugin, LoadError> {
    interface::load(&locate(flag))
}
