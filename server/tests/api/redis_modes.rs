//! The Redis mode is checked at start-up: a cluster given as one server, or one server given as
//! a cluster, is refused with an error that says what to set.

use crate::helpers::secret;
use crate::helpers::{cluster, redis_url, unique_prefix};
use server::backend::Backend;
use server::redis_conn::{RedisMode, RedisTarget};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_node_given_as_one_server_is_refused_with_what_to_set() {
    let node = cluster().urls()[0].clone();
    let err = Backend::redis(&node, &unique_prefix(), secret(), 500).await.err().expect("refused");
    let text = format!("{err:#}");
    assert!(text.contains("set backend.redis-mode = cluster"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_given_as_a_cluster_is_refused_with_what_it_is_not() {
    let target = RedisTarget::cluster(&[redis_url()]);
    let err =
        Backend::redis_at(target, &unique_prefix(), secret(), 500).await.err().expect("refused");
    let text = format!("{err:#}");
    assert!(text.contains("they are not cluster nodes"), "{text}");
    assert!(text.contains("set backend.redis-mode = single"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_urls_need_cluster_mode() {
    let urls = format!("{},{}", redis_url(), redis_url());
    let target = RedisTarget::from_setting(RedisMode::Single, &urls);
    let err =
        Backend::redis_at(target, &unique_prefix(), secret(), 500).await.err().expect("refused");
    assert!(format!("{err:#}").contains("set it to cluster"), "{err:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_seed_node_finds_the_whole_cluster() {
    let one_seed = RedisTarget::cluster(&cluster().urls()[3..4]);
    let backend =
        Backend::redis_at(one_seed, &unique_prefix(), secret(), 500).await.expect("cluster");
    assert_eq!(backend.kind, "redis-cluster");
    let room = backend
        .store
        .create_room(
            std::time::Duration::from_secs(60),
            2,
            "verifier",
            None,
            Default::default(),
            None,
        )
        .await
        .expect("a room on whichever master serves its slot");
    assert!(backend.store.room(&room.id).await.expect("read back").is_some());
    // Ready once its first probe has come back through the cluster.
    let mut ready = backend.readiness.check().await;
    for _ in 0..50 {
        if ready.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        ready = backend.readiness.check().await;
    }
    assert_eq!(ready, Ok(()), "ready");
}
