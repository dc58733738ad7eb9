//! The new consumer calls through the mock cluster, where they run in
//! milliseconds: a pattern subscription picking up topics created later
//! (and never the ones it does not match), and commit metadata kept
//! through the coordinator.

mod faults_util;

use std::collections::BTreeSet;
use std::time::Duration;

use faults_util::*;
use ferrokafka::consumer::{Consumer, Message};
use ferrokafka::producer::Producer;
use ferrokafka_mock::MockCluster;

async fn produce(cluster: &MockCluster, topic: &str, n: usize) {
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let outcomes = send_range(&producer, topic, 0..n, |_| Some(0)).await;
    assert_all_delivered(&outcomes);
    within("producer close", producer.close(Duration::from_secs(5))).await;
}

/// Polls `c` until `n` messages came.
async fn take(c: &mut Consumer, n: usize) -> Vec<Message> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while out.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n} messages",
            out.len()
        );
        match within("poll", c.poll(Duration::from_millis(50))).await {
            Some(Ok(m)) => out.push(m),
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll failed: {e}"),
            None => {}
        }
    }
    out
}

#[tokio::test]
async fn pattern_subscription_follows_new_matching_topics() {
    let first = unique("mregex-a");
    let cluster = mock_with_topic(1, &first, 1).await;
    cluster.create_topic("unrelated", 1, 1).expect("topic");
    produce(&cluster, &first, 3).await;
    produce(&cluster, "unrelated", 3).await;
    let group = unique("mregex-group");
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[("metadata.max.age.ms", "200")],
    ))
    .expect("consumer");
    c.subscribe(&["^mregex-.*"]).expect("subscribe");
    let got = take(&mut c, 3).await;
    assert!(got.iter().all(|m| m.topic() == first));

    // Two more matching topics, one after the other.
    for n in 0..2 {
        let later = format!("{first}-later{n}");
        cluster.create_topic(&later, 2, 1).expect("topic");
        produce(&cluster, &later, 4).await;
        let got = take(&mut c, 4).await;
        let topics: BTreeSet<&str> = got.iter().map(|m| m.topic()).collect();
        assert_eq!(topics, BTreeSet::from([later.as_str()]));
    }
    let topics: BTreeSet<String> = c.assignment().into_iter().map(|tp| tp.topic).collect();
    assert_eq!(topics.len(), 3, "{topics:?}");
    assert!(!topics.contains("unrelated"));
    within("close", c.close()).await.expect("close");
}

#[tokio::test]
async fn commit_metadata_round_trips_through_the_coordinator() {
    let topic = unique("mmeta");
    let cluster = mock_with_topic(1, &topic, 2).await;
    let group = unique("mmeta-group");
    let config = || consumer_config(&cluster.bootstrap_servers(), Some(&group), &[]);
    let mut c = Consumer::new(config()).expect("consumer");
    within(
        "commit",
        c.commit_offsets_with_metadata(&[(&topic, 0, 5, "five"), (&topic, 1, 9, "nine")]),
    )
    .await
    .expect("commit");
    let reader = Consumer::new(config()).expect("consumer");
    let found = within(
        "committed",
        reader.committed_with_metadata(&[(&topic, 1), (&topic, 0)], Duration::from_secs(5)),
    )
    .await
    .expect("committed");
    let got: Vec<(i32, i64, String)> = found
        .into_iter()
        .map(|(tp, c)| {
            let c = c.expect("committed");
            (tp.partition, c.offset, c.metadata)
        })
        .collect();
    assert_eq!(got, vec![(1, 9, "nine".into()), (0, 5, "five".into())]);
}

#[tokio::test]
async fn a_revoke_is_committed_only_after_the_async_listener_is_done() {
    let topic = unique("mlistener");
    let cluster = mock_with_topic(1, &topic, 2).await;
    produce(&cluster, &topic, 10).await;
    let group = unique("mlistener-group");
    // Auto commit on (a revoke commits what was consumed) but not by its
    // timer during the test.
    let config = || {
        consumer_config(
            &cluster.bootstrap_servers(),
            Some(&group),
            &[("auto.commit.interval.ms", "600000")],
        )
    };
    let reader = std::sync::Arc::new(Consumer::new(config()).expect("consumer"));
    let seen_inside = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut first = Consumer::new(config()).expect("consumer");
    let (r, log) = (reader.clone(), seen_inside.clone());
    let t = topic.clone();
    first.set_async_rebalance_listener(move |change| {
        let (r, log, t) = (r.clone(), log.clone(), t.clone());
        async move {
            if let ferrokafka::consumer::Rebalance::Revoked(tps) = change {
                if !tps.is_empty() {
                    // Were the revoke's offsets sent at once, they would
                    // be committed by the time this looks.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let c = r.committed(&[(&t, 0)], Duration::from_secs(5)).await;
                    log.lock()
                        .expect("lock")
                        .push(c.expect("committed").remove(0).1);
                }
            }
        }
    });
    first.subscribe(&[&topic]).expect("subscribe");
    let got = take(&mut first, 10).await;
    assert_eq!(got.last().map(Message::offset), Some(9));

    // A second member: range is eager, so the first gives everything back.
    let mut second = Consumer::new(config()).expect("consumer");
    second.subscribe(&[&topic]).expect("subscribe");
    let deadline = tokio::time::Instant::now() + LIMIT;
    while seen_inside.lock().expect("lock").is_empty() || second.assignment().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no rebalance");
        let _ = within("poll", first.poll(Duration::from_millis(20))).await;
        let _ = within("poll", second.poll(Duration::from_millis(20))).await;
    }
    assert_eq!(
        seen_inside.lock().expect("lock").clone(),
        vec![None],
        "nothing committed while the listener ran"
    );
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let c = within(
            "committed",
            reader.committed(&[(&topic, 0)], Duration::from_secs(5)),
        )
        .await
        .expect("committed");
        if c[0].1 == Some(10) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "committed {c:?}");
        let _ = within("poll", first.poll(Duration::from_millis(20))).await;
        let _ = within("poll", second.poll(Duration::from_millis(20))).await;
    }
}

#[tokio::test]
async fn a_pattern_matching_nothing_yet_waits_for_its_first_topic() {
    let cluster = MockCluster::start(1).await.expect("mock starts");
    let prefix = unique("mregex-empty");
    let group = unique("mregex-empty-group");
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        Some(&group),
        &[("metadata.max.age.ms", "200")],
    ))
    .expect("consumer");
    c.subscribe(&[&format!("^{prefix}-.*")]).expect("subscribe");
    // Nothing matches: no error, nothing assigned.
    match within("poll", c.poll(Duration::from_millis(500))).await {
        None => {}
        Some(Ok(m)) => panic!("a message from nowhere: {m:?}"),
        Some(Err(e)) => panic!("poll failed: {e}"),
    }
    assert!(c.assignment().is_empty());
    let topic = format!("{prefix}-1");
    cluster.create_topic(&topic, 1, 1).expect("topic");
    produce(&cluster, &topic, 5).await;
    let got = take(&mut c, 5).await;
    assert!(got.iter().all(|m| m.topic() == topic));
    within("close", c.close()).await.expect("close");
}
