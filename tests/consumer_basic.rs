//! The consumer against a real broker: subscribe and read back exactly
//! what was produced, end-of-partition events at the right offsets,
//! assign/seek/pause, commits, and clear errors for bad topics and groups.

mod consumer_util;

use std::time::Duration;

use consumer_util::*;
use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, ConsumerError, Offset};

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

#[tokio::test]
async fn subscribe_reads_back_exactly_what_was_produced_from_earliest() {
    let topic = unique("ferro-c-basic");
    let id = create_topic(&topic, 2).await;
    produce(&topic, id, 0, &values("p0", 30)).await;
    produce(&topic, id, 1, &values("p1", 20)).await;
    let mut c = Consumer::new(group_config(&unique("ferro-g"))).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    let got = consume(&mut c, 50, Duration::from_secs(30)).await;
    let extra = drain(&mut c, Duration::from_millis(500)).await;
    assert!(extra.is_empty(), "more than produced: {extra:?}");
    for p in 0..2 {
        let mine: Vec<_> = got.iter().filter(|m| m.partition() == p).collect();
        let expected = values(&format!("p{p}"), if p == 0 { 30 } else { 20 });
        assert_eq!(mine.iter().map(|m| text(m)).collect::<Vec<_>>(), expected);
        assert!(mine.iter().enumerate().all(|(i, m)| m.offset() == i as i64));
        assert_eq!(mine[0].key(), Some(format!("k-p{p}-0").as_bytes()));
        assert_eq!(mine[0].topic(), topic);
    }
    c.commit().await.expect("commits");
    let committed = c
        .committed(&[(&topic, 0), (&topic, 1)], Duration::from_secs(10))
        .await
        .expect("committed");
    assert_eq!(
        committed.iter().map(|(_, o)| *o).collect::<Vec<_>>(),
        [Some(30), Some(20)]
    );
    c.close().await.expect("closes");
}

#[tokio::test]
async fn partition_eof_comes_once_each_time_the_end_is_reached() {
    let topic = unique("ferro-c-eof");
    let id = create_topic(&topic, 2).await;
    produce(&topic, id, 0, &values("a", 3)).await;
    let config = group_config(&unique("ferro-g"))
        .set("enable.partition.eof", "true")
        .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    let mut eofs = Vec::new();
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while eofs.len() < 2 && std::time::Instant::now() < deadline {
        match c.poll(Duration::from_millis(200)).await {
            Some(Ok(m)) => got.push(m.offset()),
            Some(Err(e)) => eofs.push(eof(&e).unwrap_or_else(|| panic!("error: {e}"))),
            None => {}
        }
    }
    eofs.sort();
    assert_eq!(eofs, [(topic.clone(), 0, 3), (topic.clone(), 1, 0)]);
    assert_eq!(got, [0, 1, 2]);
    // No repeat while nothing new arrives.
    assert!(c.poll(Duration::from_millis(700)).await.is_none());
    // New records: read them, then the end again at the new offset.
    produce(&topic, id, 0, &values("b", 2)).await;
    let mut after = Vec::new();
    loop {
        match c.poll(Duration::from_secs(10)).await {
            Some(Ok(m)) => after.push(m.offset()),
            Some(Err(e)) => {
                assert_eq!(eof(&e), Some((topic.clone(), 0, 5)), "{e}");
                assert!(e.is_partition_eof());
                break;
            }
            None => panic!("no EOF after the new records"),
        }
    }
    assert_eq!(after, [3, 4]);
    c.close().await.expect("closes");
}

#[tokio::test]
async fn assign_seek_and_pause_without_a_group() {
    let topic = unique("ferro-c-assign");
    let id = create_topic(&topic, 1).await;
    produce(&topic, id, 0, &values("v", 10)).await;
    let config = ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap().as_str()),
        ("fetch.wait.max.ms", "100"),
    ])
    .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.assign(&[(&topic, 0, Offset::At(4))]).expect("assigns");
    let got = consume(&mut c, 6, Duration::from_secs(20)).await;
    assert_eq!(
        got.iter().map(|m| m.offset()).collect::<Vec<_>>(),
        [4, 5, 6, 7, 8, 9]
    );
    assert_eq!(c.position()[0].1, 10);
    c.seek(&topic, 0, Offset::Beginning).expect("seeks");
    let again = consume(&mut c, 2, Duration::from_secs(20)).await;
    assert_eq!(again.iter().map(|m| m.offset()).collect::<Vec<_>>(), [0, 1]);
    c.pause(&[(&topic, 0)]).expect("pauses");
    assert!(c.poll(Duration::from_millis(500)).await.is_none());
    c.resume(&[(&topic, 0)]).expect("resumes");
    let rest = consume(&mut c, 8, Duration::from_secs(20)).await;
    assert_eq!(rest[0].offset(), 2);
    assert!(
        c.commit().await.is_err(),
        "no group.id: commit must fail clearly"
    );
    c.close().await.expect("closes");
}

#[tokio::test]
async fn unknown_topic_is_a_clear_error_not_a_stall() {
    let topic = unique("ferro-c-missing");
    let mut c = Consumer::new(group_config(&unique("ferro-g"))).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    match c.poll(Duration::from_secs(15)).await {
        Some(Err(ConsumerError::UnknownTopic { topic: t })) => assert_eq!(t, topic),
        other => panic!("expected UnknownTopic, got {other:?}"),
    }
    c.close().await.expect("closes");

    let config = ClientConfig::from_properties([
        ("bootstrap.servers", bootstrap().as_str()),
        ("fetch.wait.max.ms", "100"),
    ])
    .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.assign(&[(&topic, 0, Offset::Beginning)])
        .expect("assigns");
    match c.poll(Duration::from_secs(15)).await {
        Some(Err(ConsumerError::UnknownTopic { topic: t })) => assert_eq!(t, topic),
        other => panic!("expected UnknownTopic, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_group_ids_are_refused_clearly() {
    let config = ClientConfig::from_properties([("bootstrap.servers", bootstrap().as_str())])
        .expect("valid");
    let mut c = Consumer::new(config.clone()).expect("consumer without a group");
    let e = c.subscribe(&["t"]).expect_err("no group.id");
    assert!(e.to_string().contains("group.id"), "{e}");
    // The property parser refuses an empty id; the typed setter does not,
    // so the consumer checks again.
    let e = config.clone().set("group.id", "").expect_err("empty group");
    assert!(e.to_string().contains("group.id"), "{e}");
    let e = Consumer::new(config.group_id("")).expect_err("empty group");
    assert!(e.to_string().contains("group.id"), "{e}");
}

#[tokio::test]
async fn auto_offset_reset_error_is_surfaced() {
    let topic = unique("ferro-c-reset");
    create_topic(&topic, 1).await;
    let config = group_config(&unique("ferro-g"))
        .set("auto.offset.reset", "error")
        .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    match c.poll(Duration::from_secs(20)).await {
        Some(Err(ConsumerError::NoOffset {
            topic: t,
            partition,
        })) => {
            assert_eq!((t, partition), (topic, 0))
        }
        other => panic!("expected NoOffset, got {other:?}"),
    }
    c.close().await.expect("closes");
}

#[tokio::test]
async fn pausing_before_the_start_offset_is_known_then_resuming_reads_from_it() {
    let topic = unique("ferro-c-pause");
    let id = create_topic(&topic, 1).await;
    produce(&topic, id, 0, &values("v", 5)).await;
    let config = group_config(&unique("ferro-g"));
    let mut c = Consumer::new(config).expect("consumer");
    c.assign(&[(&topic, 0, Offset::Stored)]).expect("assigns");
    c.pause(&[(&topic, 0)]).expect("pauses");
    assert!(c.poll(Duration::from_millis(800)).await.is_none());
    c.resume(&[(&topic, 0)]).expect("resumes");
    let got = consume(&mut c, 5, Duration::from_secs(20)).await;
    assert_eq!(
        got.iter().map(|m| m.offset()).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    // Committing outside a group (generation -1) works with a group.id.
    c.commit().await.expect("commits");
    let committed = c
        .committed(&[(&topic, 0)], Duration::from_secs(10))
        .await
        .expect("committed");
    assert_eq!(committed[0].1, Some(5));
    c.close().await.expect("closes");
}

#[tokio::test]
async fn auto_commit_runs_while_polling_without_commit_or_close() {
    let topic = unique("ferro-c-autocommit");
    let group = unique("ferro-g");
    let id = create_topic(&topic, 1).await;
    produce(&topic, id, 0, &values("v", 25)).await;
    // group_config: auto.commit.interval.ms=200.
    let mut c = Consumer::new(group_config(&group)).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    consume(&mut c, 25, Duration::from_secs(30)).await;
    // Auto commit happens inside poll: keep polling, as an application
    // would, past the next auto.commit.interval.ms.
    for _ in 0..6 {
        assert!(drain(&mut c, Duration::from_millis(100)).await.is_empty());
    }
    let check = Consumer::new(group_config(&group)).expect("consumer");
    let committed = check
        .committed(&[(&topic, 0)], Duration::from_secs(10))
        .await
        .expect("committed");
    assert_eq!(committed[0].1, Some(25), "not auto-committed while polling");
    drop(c);
}

#[tokio::test]
async fn commit_with_manual_offset_store_commits_the_stored_offset() {
    let topic = unique("ferro-c-stored");
    let id = create_topic(&topic, 1).await;
    produce(&topic, id, 0, &values("s", 10)).await;
    let config = group_config(&unique("ferro-g"))
        .set("enable.auto.offset.store", "false")
        .and_then(|c| c.set("enable.auto.commit", "false"))
        .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    let got = consume(&mut c, 10, Duration::from_secs(30)).await;
    assert_eq!(
        got.iter().map(|m| m.offset()).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    // Processed up to offset 2: the next to read, 3, is committed, not
    // the position 10.
    c.store_offset(&got[2]).expect("stores");
    c.commit().await.expect("commits");
    let committed = c
        .committed(&[(&topic, 0)], Duration::from_secs(10))
        .await
        .expect("committed");
    assert_eq!(committed[0].1, Some(3));
    c.close().await.expect("closes");
}

#[tokio::test]
async fn a_dropped_consumer_commits_what_it_consumed() {
    let topic = unique("ferro-c-dropcommit");
    let group = unique("ferro-g");
    let id = create_topic(&topic, 1).await;
    produce(&topic, id, 0, &values("d", 10)).await;
    // Auto commit on, but its timer too slow to fire during the test:
    // only the drop can commit.
    let config = group_config(&group)
        .set("auto.commit.interval.ms", "600000")
        .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    consume(&mut c, 10, Duration::from_secs(30)).await;
    drop(c);
    let reader = Consumer::new(group_config(&group)).expect("consumer");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let committed = reader
            .committed(&[(&topic, 0)], Duration::from_secs(10))
            .await
            .expect("committed");
        if committed[0].1 == Some(10) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dropped consumer's offsets were never committed: {committed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
