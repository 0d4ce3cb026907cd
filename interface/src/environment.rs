//! Plaid's environments: which host a task's credentials belong to.

words! {
    #[derive(Default)]
    pub enum Environment {
        #[default]
        Sandbox = "sandbox",
        Production = "production",
    }
}

impl Environment {
    /// Plaid's API host for the environment.
    pub fn base_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://sandbox.plaid.com",
            Environment::Production => "https://production.plaid.com",
        }
    }
}
