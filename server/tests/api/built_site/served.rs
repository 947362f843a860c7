//! The release build's site, served by the app: the page, its WebAssembly and public files.

use crate::helpers::{Kind, TestApp};

/// Where `cargo leptos build` put the site: `BURNER_SITE_ROOT`, else the workspace's.
pub fn site_root() -> String {
    std::env::var("BURNER_SITE_ROOT")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").to_owned())
}

/// The first `/pkg/…<suffix>` path the page names.
fn asset(html: &str, suffix: &str) -> Option<String> {
    html.match_indices("/pkg/").find_map(|(at, _)| {
        let rest = &html[at..];
        let end = rest.find(['"', '\'', ')', ' '])?;
        rest[..end].ends_with(suffix).then(|| rest[..end].to_owned())
    })
}

#[tokio::test]
async fn the_home_page_and_its_webassembly_are_served() {
    let root = site_root();
    let hashes = crate::helpers::release_hash_file();
    assert!(
        std::path::Path::new(&hashes).exists(),
        "{hashes} is missing: build the site first (cargo leptos build --release --precompress)"
    );
    let app =
        TestApp::spawn_with(Kind::Embedded, |s| crate::helpers::serve_release_site(s, &root)).await;
    let home = reqwest::get(app.url("/")).await.expect("home");
    assert_eq!(home.status().as_u16(), 200);
    let html = home.text().await.expect("html");
    assert!(html.contains("&gt;private_chat"), "the title is rendered on the server");
    assert!(html.contains("anonymous-"), "an anonymous name is filled in before the wasm loads");
    // The assets are named by their content (a new build has new names).
    let wasm = asset(&html, ".wasm").expect("the page loads the wasm");
    let css = asset(&html, ".css").expect("the page links the stylesheet");
    let hash = std::fs::read_to_string(&hashes).unwrap_or_default();
    let wasm_hash = hash.lines().find_map(|l| l.strip_prefix("wasm: ")).unwrap_or("?");
    assert_eq!(wasm, format!("/pkg/burner.{wasm_hash}.wasm"));

    let client = reqwest::Client::new();
    for (encoding, raw) in [("br", false), ("gzip", false), ("identity", true)] {
        let sent = client
            .get(app.url(&wasm))
            .header("accept-encoding", encoding)
            .send()
            .await
            .expect("wasm");
        assert_eq!(sent.status().as_u16(), 200);
        let headers = sent.headers().clone();
        assert_eq!(headers["content-type"], "application/wasm");
        assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
        let body = sent.bytes().await.unwrap_or_default();
        if raw {
            assert!(headers.get("content-encoding").is_none());
            assert!(body.starts_with(b"\0asm"), "the wasm itself");
        } else {
            // Compressed when built (--precompress), at the highest setting: much smaller.
            assert_eq!(headers["content-encoding"], encoding, "the {encoding} file is sent");
            let on_disk = std::fs::metadata(format!("{root}{wasm}")).map_or(0, |m| m.len());
            assert!((body.len() as u64) < on_disk / 2, "{encoding}: {} of {on_disk}", body.len());
        }
    }
    let css = reqwest::get(app.url(&css)).await.expect("css");
    assert_eq!(css.status().as_u16(), 200);
    assert!(css.text().await.unwrap_or_default().contains("--burner-canvas"));

    for (path, kind) in [
        ("/favicon.svg", "image/svg+xml"),
        ("/site.webmanifest", "application/manifest+json"),
        ("/robots.txt", "text/plain"),
    ] {
        let file = reqwest::get(app.url(path)).await.expect("public file");
        assert_eq!(file.status().as_u16(), 200, "{path}");
        let content_type = file.headers()["content-type"].to_str().unwrap_or_default().to_owned();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert_eq!(file.headers()["cache-control"], "public, max-age=86400", "{path}");
    }
    let robots = reqwest::get(app.url("/robots.txt")).await.expect("robots");
    assert!(robots.text().await.unwrap_or_default().contains("Disallow: /room/"));
    assert!(html.contains("/favicon.svg") && html.contains("/site.webmanifest"));
}
