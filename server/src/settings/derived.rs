//! What the rest of the server reads from the settings beyond the fields themselves: the
//! settings fit to show, Leptos's options, the asset hashes' file, the TLS files.

use super::{Settings, SiteEnv};

impl Settings {
    /// What a store may hold: the history's cap and budget, and the embedded store's memory.
    pub fn store_limits(&self) -> app::store::StoreLimits {
        app::store::StoreLimits {
            messages: self.rooms.history_cap,
            bytes: self.rooms.history_max_bytes,
            memory: self.backend.memory_max_bytes,
        }
    }

    /// The certificate and key to serve HTTPS with, when both are set.
    pub fn tls_files(&self) -> Option<(&str, &str)> {
        self.tls.cert.as_deref().zip(self.tls.key.as_deref())
    }

    /// These settings as JSON, with any password in the Redis URL and the address secret
    /// hidden.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut shown = self.clone();
        shown.backend.redis_url = self.backend.redis_url.as_deref().map(password_hidden);
        shown.backend.address_secret = self.backend.address_secret.as_ref().map(|_| "***".into());
        serde_json::to_string_pretty(&shown).map(|json| json + "\n")
    }

    /// The Leptos options these settings describe.
    pub fn leptos_options(&self) -> leptos::config::LeptosOptions {
        let site = &self.site;
        leptos::config::LeptosOptions::builder()
            .output_name(site.output_name.as_str())
            .site_root(site.root.as_str())
            .site_pkg_dir(site.pkg_dir.as_str())
            .site_addr(site.addr)
            .reload_port(u32::from(site.reload_port))
            .env(match site.env {
                SiteEnv::Dev => leptos::config::Env::DEV,
                SiteEnv::Prod => leptos::config::Env::PROD,
            })
            .hash_files(site.hash_files)
            .hash_file(std::sync::Arc::from(site.hash_file.as_str()))
            .build()
    }

    /// Where the asset hashes are read from: `site.hash-file` beside the server binary (as
    /// Leptos reads it), when hashed names are on.
    pub fn hash_file_path(&self) -> Option<std::path::PathBuf> {
        if !self.site.hash_files {
            return None;
        }
        let exe = std::env::current_exe().unwrap_or_default();
        let beside = exe.parent().unwrap_or(std::path::Path::new(""));
        Some(beside.join(&self.site.hash_file))
    }
}

/// Each Redis URL of a list as it may be shown: any password replaced by `***`.
fn password_hidden(urls: &str) -> String {
    urls.split(',').map(password_hidden_one).collect::<Vec<_>>().join(",")
}

fn password_hidden_one(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only fails for a URL that cannot have a password, which this one has.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        // Not a URL the settings would take anyway: shown as its scheme alone.
        Err(_) => {
            let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
            format!("{scheme}://(unreadable, hidden)")
        }
    }
}
