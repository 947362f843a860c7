//! Before serving: the site the release binary will name in every page is there. Leptos reads
//! the asset hashes on every page render, and a page whose script, wasm or stylesheet is missing
//! never wakes up; so start-up checks that `hash.txt` names all three and that each named file
//! exists under the site root (after `cargo leptos watch` the folder holds the dev build's files,
//! which a release binary's hashes do not name).

use anyhow::Context;
use std::path::Path;

/// The three kinds of built asset, as `hash.txt` names them (and as their files end).
const KINDS: [&str; 3] = ["js", "wasm", "css"];

/// Checks that `hashes` (the hash file) names every asset and that `site` (root and package
/// folder) holds `<output>.<hash>.<kind>` for each; fails in one line naming what is missing
/// and the command that builds it.
pub fn hashed_assets_exist(hashes: &Path, site: &Path, output: &str) -> anyhow::Result<()> {
    if !hashes.exists() {
        anyhow::bail!(
            "site.hash-files is on but {} does not exist: build the site with `cargo leptos build \
             --release` (it writes that file beside the server binary), or set \
             site.hash-files=false (LEPTOS_HASH_FILES=false) for a build without hashed names",
            hashes.display()
        );
    }
    let text = std::fs::read_to_string(hashes)
        .with_context(|| format!("cannot read the asset hashes in {}", hashes.display()))?;
    let mut named = Vec::new();
    for kind in KINDS {
        let hash = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(file, hash)| file.trim() == kind && !hash.trim().is_empty())
            .map(|(_, hash)| hash.trim());
        let Some(hash) = hash else {
            anyhow::bail!(
                "{} names no hash for the {kind} file: build the site again with `cargo leptos \
                 build --release`",
                hashes.display()
            );
        };
        named.push(site.join(format!("{output}.{hash}.{kind}")));
    }
    if let Some(file) = named.iter().find(|file| !file.exists()) {
        anyhow::bail!(
            "{} is missing, though {} names it: the site folder holds another build's files \
             (after `cargo leptos watch`, say); build the release site again with `cargo leptos \
             build --release`",
            file.display(),
            hashes.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_hashes_name_must_be_in_the_site() {
        let dir = std::env::temp_dir().join(format!("burner-site-{}", nanoid::nanoid!(8)));
        let site = dir.join("pkg");
        std::fs::create_dir_all(&site).expect("folder");
        let hashes = dir.join("hash.txt");
        std::fs::write(&hashes, "js: aaa\nwasm: bbb\ncss: ccc\n").expect("hashes");
        for name in ["burner.aaa.js", "burner.bbb.wasm"] {
            std::fs::write(site.join(name), "").expect("asset");
        }
        let err = hashed_assets_exist(&hashes, &site, "burner").err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains("burner.ccc.css is missing") && err.contains("cargo leptos build"),
            "{err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
        std::fs::write(site.join("burner.ccc.css"), "").expect("asset");
        assert!(hashed_assets_exist(&hashes, &site, "burner").is_ok());
        std::fs::write(&hashes, "js: aaa\n").expect("hashes");
        let err = hashed_assets_exist(&hashes, &site, "burner").err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("names no hash for the wasm file"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
