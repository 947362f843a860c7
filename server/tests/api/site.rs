//! The built site served by the app: the page and its WebAssembly.

use crate::helpers::{Kind, TestApp};

/// Where `cargo leptos build` put the site: `BURNER_SITE_ROOT`, else the workspace's.
fn site_root() -> String {
    std::env::var("BURNER_SITE_ROOT")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").to_owned())
}

#[tokio::test]
async fn the_home_page_and_its_webassembly_are_served() {
    let root = site_root();
    let wasm_path = format!("{root}/pkg/burner.wasm");
    assert!(
        std::path::Path::new(&wasm_path).exists(),
        "{wasm_path} is missing: build the site first (cargo leptos build --release)"
    );
    let app = TestApp::spawn_with(Kind::Embedded, |s| s.site.root = root.clone()).await;
    let home = reqwest::get(app.url("/")).await.expect("home");
    assert_eq!(home.status().as_u16(), 200);
    let html = home.text().await.expect("html");
    assert!(html.contains("&gt;private_chat"), "the title is rendered on the server");
    assert!(
        html.contains("/pkg/burner.wasm") || html.contains("\"burner\""),
        "the page loads the wasm"
    );
    assert!(html.contains("anonymous-"), "an anonymous name is filled in before the wasm loads");
    let client = reqwest::Client::new();
    let wasm = client
        .get(app.url("/pkg/burner.wasm"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("wasm");
    assert_eq!(wasm.status().as_u16(), 200);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.headers()["content-encoding"], "gzip", "the wasm is sent compressed");
    let css = reqwest::get(app.url("/pkg/burner.css")).await.expect("css");
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
