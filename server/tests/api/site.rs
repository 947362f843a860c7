//! Start-up checks on the built site: a server told to use hashed asset names needs their list.

/// Why a server with hashed names and this list of hashes does not start ("" if it does).
async fn refusal_with_hash_file(path: &str) -> String {
    let mut settings = crate::helpers::test_settings();
    settings.site.hash_files = true;
    settings.site.hash_file = path.into();
    let backend = server::backend::Backend::embedded(settings.store_limits());
    let started = server::startup::Application::with_backend(
        settings,
        backend,
        server::ws::socket::Timing::default(),
    )
    .await;
    started.err().map(|e| e.to_string()).unwrap_or_default()
}

#[tokio::test]
async fn a_server_told_to_use_hashed_names_without_their_list_refuses_to_start() {
    let err = refusal_with_hash_file("/nonexistent/hash.txt").await;
    assert!(err.contains("/nonexistent/hash.txt does not exist"), "{err}");
    assert!(err.contains("cargo leptos build --release"), "{err}");
}

#[tokio::test]
async fn a_list_of_hashes_without_the_stylesheet_is_refused_at_start_up_not_on_every_page() {
    let path = std::env::temp_dir().join(format!("burner-hash-{}.txt", std::process::id()));
    std::fs::write(&path, "js: 0123abcd\nwasm: 4567ef01\n").expect("write the hash file");
    let err = refusal_with_hash_file(&path.display().to_string()).await;
    let _ = std::fs::remove_file(&path);
    assert!(err.contains("names no hash for the css file"), "{err}");
}
