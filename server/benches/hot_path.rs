//! The real-time path, piece by piece, so a regression shows as a number: a client frame
//! decoded and checked, a message frame encoded for sockets and read back from pub/sub, and a
//! post to each store (Redis at `REDIS_URL`, else 127.0.0.1:6379; skipped when there is none).
//! Beside it, what a client (not the server: it cannot) pays to sign and verify a message with
//! Ed25519 in Rust; the browser's figures come from `scripts/bench signing`.
//!
//! `cargo bench -p server --features app/ssr --bench hot_path`

use app::envelope::{self, MESSAGE_SEALED_MAX};
use app::model::{ChatMessage, RoomId, Seat};
use app::protocol::ClientFrame;
use app::seat::{SeatToken, TokenHash};
use app::store::RoomStore;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use server::address_secret::AddressSecret;
use server::backend::Backend;
use server::event::{Announcement, RoomEvent, wire};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A signed and sealed 100-character message, as a browser sends it.
fn sealed_body() -> String {
    let sealed = [42; envelope::SIGNED_HEAD_LEN + 100 + envelope::TAG_LEN];
    envelope::encode_version(envelope::SIGNED, &[7; envelope::IV_LEN], &sealed)
}

fn message() -> ChatMessage {
    ChatMessage {
        seq: 41,
        id: "V1StGXR8_Z5j".into(),
        client_id: "xk3-2u9QmZr1pL0a".into(),
        sender: Seat { id: "seat-abcdefgh".into(), name: envelope::encode(&[1; 12], &[2; 40]) },
        body: sealed_body(),
        ts: 1_795_849_500_123,
    }
}

fn frames(c: &mut Criterion) {
    let send = ClientFrame::Send { client_id: "xk3-2u9QmZr1pL0a".into(), body: sealed_body() };
    let text = send.encode().unwrap_or_default();
    c.bench_function("client frame: decode and check a send", |b| {
        b.iter(|| match ClientFrame::decode(black_box(&text)) {
            Ok(ClientFrame::Send { client_id, body }) => {
                black_box(client_id.chars().count());
                black_box(envelope::check(&body, MESSAGE_SEALED_MAX).is_ok())
            }
            _ => false,
        })
    });

    let event = RoomEvent::Message(message());
    let room = app::model::RoomId::generate();
    c.bench_function("message event: encode its frame once", |b| {
        b.iter_batched(
            || Announcement::new(room.clone(), event.clone()),
            |announced| black_box(announced.frame().map(|f| f.len())),
            BatchSize::SmallInput,
        )
    });
    let published = wire::encode(&event).unwrap_or_default();
    c.bench_function("message event: read from pub/sub", |b| {
        b.iter(|| black_box(wire::decode(black_box(&published)).is_ok()))
    });
}

/// A room with one seat in `store`, and that seat's token and seat.
async fn seated(store: &Arc<dyn RoomStore>) -> Option<(RoomId, TokenHash, Seat)> {
    let verifier = "A".repeat(app::membership::ENCODED_LEN);
    let room = store
        .create_room(Duration::from_secs(600), 2, &verifier, None, Default::default(), None)
        .await
        .ok()?;
    let token = SeatToken::generate().hash();
    let seat = Seat { id: "bench-seat-1".into(), name: envelope::encode(&[1; 12], &[2; 40]) };
    store.claim_seat(&room.id, &token, &seat, None).await.ok()?;
    Some((room.id, token, seat))
}

fn bench_post(c: &mut Criterion, name: &str, runtime: &tokio::runtime::Runtime, backend: Backend) {
    let store = backend.store.clone();
    let Some((room, token, seat)) = runtime.block_on(seated(&store)) else {
        eprintln!("{name}: could not set up a room; skipped");
        return;
    };
    let body = sealed_body();
    let next = AtomicU64::new(0);
    c.bench_function(name, |b| {
        b.to_async(runtime).iter(|| {
            let id = next.fetch_add(1, Ordering::Relaxed).to_string();
            let (store, room, token, seat, body) = (&store, &room, &token, &seat, &body);
            async move { black_box(store.post(room, token, seat, &id, body).await.is_ok()) }
        })
    });
}

fn stores(c: &mut Criterion) {
    let Ok(runtime) = tokio::runtime::Runtime::new() else { return };
    let embedded = runtime.block_on(async { Backend::embedded(500) });
    bench_post(c, "store: post (embedded)", &runtime, embedded);
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("bench{}", std::process::id());
    match runtime.block_on(Backend::redis(&url, &prefix, AddressSecret::new("bench"), 500)) {
        Ok(backend) => bench_post(c, "store: post (Redis, one round trip)", &runtime, backend),
        Err(err) => eprintln!("store: post (Redis): no Redis at {url} ({err}); skipped"),
    }
}

/// Signing a 100-character message and verifying it, as a client does (Ed25519, dalek).
fn signing(c: &mut Criterion) {
    use ed25519_dalek::{Signer, SigningKey, Verifier};
    let key = SigningKey::from_bytes(&[9; 32]);
    let public_key = key.verifying_key().to_bytes();
    let purpose =
        envelope::Purpose::Message { seat: "seat-abcdefg", client_id: "xk3-2u9QmZr1pL0a" };
    let text = [b'a'; 100];
    let bytes = envelope::signed_bytes(
        purpose,
        "roomroomroomroom",
        &public_key,
        7,
        1_795_849_500_123,
        &text,
    );
    c.bench_function("client: sign a 100-character message (Ed25519)", |b| {
        b.iter(|| black_box(key.sign(black_box(&bytes))))
    });
    let signature = key.sign(&bytes);
    let verifying = key.verifying_key();
    c.bench_function("client: verify a 100-character message (Ed25519)", |b| {
        b.iter(|| black_box(verifying.verify(black_box(&bytes), &signature).is_ok()))
    });
}

criterion_group!(hot_path, frames, stores, signing);
criterion_main!(hot_path);
