//! Static membership (`group.instance.id`, KIP-345) against the broker: a
//! static member that closes and comes back within the session timeout
//! gets its partitions back, and the other members see no rebalance.

mod consumer_util;

use std::time::{Duration, Instant};

use consumer_util::*;
use ferrokafka::consumer::{Consumer, Rebalance, TopicPartition};
use tokio::sync::mpsc;

fn static_member(group: &str, instance: &str) -> Consumer {
    let config = group_config(group)
        .set("group.instance.id", instance)
        .and_then(|c| c.set("session.timeout.ms", "10000"))
        .expect("valid");
    Consumer::new(config).expect("consumer")
}

/// Polls until the consumer owns partitions; returns them sorted.
async fn until_assigned(c: &mut Consumer, within: Duration) -> Vec<TopicPartition> {
    let deadline = Instant::now() + within;
    loop {
        let _ = c.poll(Duration::from_millis(100)).await;
        let a = c.assignment();
        if !a.is_empty() {
            return a;
        }
        assert!(Instant::now() < deadline, "no assignment within {within:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_member_that_comes_back_keeps_its_partitions_without_a_rebalance() {
    let topic = unique("ferro-static");
    create_topic(&topic, 4).await;
    let group = unique("ferro-static-g");

    let mut b = static_member(&group, "b");
    let (changes_tx, mut changes) = mpsc::unbounded_channel::<Rebalance>();
    b.set_rebalance_listener(move |change| {
        let _ = changes_tx.send(change.clone());
    });
    b.subscribe(&[&topic]).expect("subscribes");
    let mut a = static_member(&group, "a");
    a.subscribe(&[&topic]).expect("subscribes");

    // Both poll until the group settles with two partitions each.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let _ = a.poll(Duration::from_millis(50)).await;
        let _ = b.poll(Duration::from_millis(50)).await;
        if a.assignment().len() == 2 && b.assignment().len() == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the group did not settle");
    }
    let a_had = until_assigned(&mut a, Duration::from_secs(1)).await;
    while changes.try_recv().is_ok() {}

    a.close().await.expect("closes");
    let mut a_again = static_member(&group, "a");
    a_again.subscribe(&[&topic]).expect("subscribes");
    let deadline = Instant::now() + Duration::from_secs(8);
    let back = loop {
        let _ = b.poll(Duration::from_millis(50)).await;
        let _ = a_again.poll(Duration::from_millis(50)).await;
        if !a_again.assignment().is_empty() {
            break until_assigned(&mut a_again, Duration::from_secs(1)).await;
        }
        assert!(
            Instant::now() < deadline,
            "the static member did not come back"
        );
    };
    assert_eq!(back, a_had, "the same partitions, back within the session");
    // Keep b polling a little: a rebalance would show up now.
    for _ in 0..10 {
        let _ = b.poll(Duration::from_millis(100)).await;
    }
    let seen: Vec<Rebalance> = std::iter::from_fn(|| changes.try_recv().ok()).collect();
    assert!(
        seen.is_empty(),
        "the other member saw a rebalance: {seen:?}"
    );
    a_again.close().await.expect("closes");
    b.close().await.expect("closes");
}
