//! What the rest of the server reads from the settings: values derived from one or more of
//! them (the Redis URL or none, Leptos's options, the TLS files), and the rules that span two.

use super::{Settings, SiteEnv};
use std::net::SocketAddr;

impl Settings {
    /// The Redis URL, or `None` for the embedded backend.
    pub fn redis_url(&self) -> Option<&str> {
        Some(self.backend.redis_url.trim()).filter(|url| !url.is_empty())
    }

    /// These settings as JSON, with any password in the Redis URL hidden.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut shown = self.clone();
        shown.backend.redis_url = self.backend.redis_url_shown();
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

    /// Where to serve metrics, unless they are off.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.addr.trim().parse().ok()
    }

    /// The certificate and key to serve HTTPS with, when both are set.
    pub fn tls_files(&self) -> Option<(&str, &str)> {
        let (cert, key) = (self.tls.cert.trim(), self.tls.key.trim());
        (!cert.is_empty() && !key.is_empty()).then_some((cert, key))
    }

    /// Rules that span two settings (garde checks one field at a time).
    pub(super) fn check_together(&self) -> Result<(), (&'static str, String)> {
        if self.tls.cert.trim().is_empty() != self.tls.key.trim().is_empty() {
            return Err((
                "tls.key",
                "tls.cert and tls.key go together: set both or neither".into(),
            ));
        }
        let rooms = &self.rooms;
        if !rooms.lifetimes_secs.contains(&rooms.default_lifetime_secs) {
            return Err((
                "rooms.default-lifetime-secs",
                "must be one of rooms.lifetimes-secs".into(),
            ));
        }
        Ok(())
    }
}
