//! Per-partition queues (`Consumer::split_partition_queue`) through the
//! mock cluster: the consumer's `poll` no longer returns a split
//! partition's messages, a partition moves to its queue and back without
//! a record lost or repeated, a seek or close reaches the queue, a revoke
//! commits exactly what the queue handed out, and a queue nobody reads
//! holds a bounded amount and never stalls the other partitions.

mod faults_util;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use faults_util::*;
use ferrokafka::consumer::{Consumer, ConsumerError, Message, Offset, PartitionQueue};
use ferrokafka::error::Error;
use ferrokafka::producer::Producer;
use ferrokafka_mock::MockCluster;
use tokio::sync::{mpsc, watch};

/// Produces records `0..n`, record `i` to partition `i % partitions`.
async fn produce(cluster: &MockCluster, topic: &str, n: usize, partitions: i32) {
    let producer =
        Producer::new(producer_config(&cluster.bootstrap_servers(), &[])).expect("producer");
    let outcomes = send_range(&producer, topic, 0..n, |i| Some(i as i32 % partitions)).await;
    assert_all_delivered(&outcomes);
    within("producer close", producer.close(Duration::from_secs(5))).await;
}

/// The next message of `q`, skipping end-of-partition events.
async fn next(q: &mut PartitionQueue) -> Message {
    loop {
        match within("queue recv", q.recv()).await {
            Ok(m) => return m,
            Err(e) if e.is_partition_eof() => {}
            Err(e) => panic!("queue failed: {e}"),
        }
    }
}

/// `n` messages from `q`.
async fn take_queue(q: &mut PartitionQueue, n: usize) -> Vec<Message> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        out.push(next(q).await);
    }
    out
}

/// `n` messages from the consumer's own `poll`.
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

/// Whatever `poll` hands out within `quiet` of silence.
async fn rest(c: &mut Consumer, quiet: Duration) -> Vec<Message> {
    let mut out = Vec::new();
    loop {
        match within("poll", c.poll(quiet)).await {
            Some(Ok(m)) => out.push(m),
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(Err(e)) => panic!("poll failed: {e}"),
            None => return out,
        }
    }
}

/// Awaits `f` while the consumer's own `poll` serves the group and the
/// starts (and must hand out nothing: every partition is split off).
async fn serving<T>(c: &mut Consumer, f: impl Future<Output = T>) -> T {
    let f = within("queue", f);
    tokio::pin!(f);
    loop {
        tokio::select! {
            out = &mut f => return out,
            item = c.poll(Duration::from_millis(50)) => {
                if let Some(Ok(m)) = item {
                    panic!("poll handed out offset {} of a split partition", m.offset());
                }
            }
        }
    }
}

fn offsets(ms: &[Message]) -> Vec<i64> {
    ms.iter().map(|m| m.offset()).collect()
}

#[tokio::test]
async fn split_partitions_come_only_on_their_queues_in_order() {
    let topic = unique("mq-split");
    let cluster = mock_with_topic(1, &topic, 3).await;
    produce(&cluster, &topic, 90, 3).await;
    let mut c =
        Consumer::new(consumer_config(&cluster.bootstrap_servers(), None, &[])).expect("consumer");
    // Split before the partitions are even assigned.
    let mut q1 = c.split_partition_queue(&topic, 1).expect("queue 1");
    let mut q2 = c.split_partition_queue(&topic, 2).expect("queue 2");
    assert!(
        c.split_partition_queue(&topic, 1).is_none(),
        "one queue per partition"
    );
    assert_eq!((q2.topic(), q2.partition()), (topic.as_str(), 2));
    c.assign(&[
        (&topic, 0, Offset::Beginning),
        (&topic, 1, Offset::Beginning),
        (&topic, 2, Offset::Beginning),
    ])
    .expect("assign");
    let t1 = tokio::spawn(async move { within("queue 1", take_queue(&mut q1, 30)).await });
    let t2 = tokio::spawn(async move { within("queue 2", take_queue(&mut q2, 30)).await });
    let main = take(&mut c, 30).await;
    let (got1, got2) = (t1.await.expect("task 1"), t2.await.expect("task 2"));
    for (p, got) in [(0, &main), (1, &got1), (2, &got2)] {
        assert!(got.iter().all(|m| m.partition() == p), "partition {p}");
        assert_eq!(offsets(got), (0..30).collect::<Vec<_>>(), "partition {p}");
        // Record i went to partition i % 3, in order.
        let idx: Vec<usize> = got.iter().map(index_of).collect();
        assert_eq!(idx, (0..30).map(|k| k * 3 + p as usize).collect::<Vec<_>>());
    }
    // Nothing else on the consumer's own poll.
    assert!(rest(&mut c, Duration::from_millis(300)).await.is_empty());
    within("close", c.close()).await.expect("close");
}

#[tokio::test]
async fn a_partition_moves_to_its_queue_and_back_without_loss_or_repeat() {
    let topic = unique("mq-handover");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 60, 1).await;
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        None,
        // Small fetches: much is fetched but not yet handed out at each
        // handover.
        &[("max.partition.fetch.bytes", "200")],
    ))
    .expect("consumer");
    c.assign(&[(&topic, 0, Offset::Beginning)]).expect("assign");
    let first = take(&mut c, 10).await;
    assert_eq!(offsets(&first), (0..10).collect::<Vec<_>>());

    // Mid-stream: what the consumer fetched but did not hand out goes to
    // the queue, and nothing of it comes out of poll any more.
    let mut q = c.split_partition_queue(&topic, 0).expect("queue");
    let (stop, stopped) = watch::channel(false);
    let reader = tokio::spawn(async move {
        let got = take_queue(&mut q, 25).await;
        let _ = stopped.clone().changed().await;
        (q, got)
    });
    // The consumer's poll keeps serving events and returns nothing.
    let on_poll = rest(&mut c, Duration::from_millis(400)).await;
    let _ = stop.send(true);
    let (q, second) = reader.await.expect("reader");
    assert!(on_poll.is_empty(), "poll returned {:?}", offsets(&on_poll));
    assert_eq!(offsets(&second), (10..35).collect::<Vec<_>>());
    assert_eq!(q.position(), Some(35));
    assert_eq!(
        c.position()[0].1,
        35,
        "the consumer sees the queue's position"
    );

    // Dropping the queue gives the partition back to poll, from there.
    drop(q);
    let third = take(&mut c, 25).await;
    assert_eq!(offsets(&third), (35..60).collect::<Vec<_>>());
    assert!(rest(&mut c, Duration::from_millis(300)).await.is_empty());

    // And to a new queue again.
    let mut q = c.split_partition_queue(&topic, 0).expect("a second queue");
    produce(&cluster, &topic, 5, 1).await;
    let fourth = take_queue(&mut q, 5).await;
    assert_eq!(offsets(&fourth), (60..65).collect::<Vec<_>>());
    within("close", c.close()).await.expect("close");
}

#[tokio::test]
async fn a_seek_reaches_the_queue_before_anything_fetched_before_it() {
    let topic = unique("mq-seek");
    let cluster = mock_with_topic(1, &topic, 1).await;
    produce(&cluster, &topic, 40, 1).await;
    let mut c =
        Consumer::new(consumer_config(&cluster.bootstrap_servers(), None, &[])).expect("consumer");
    let mut q = c.split_partition_queue(&topic, 0).expect("queue");
    c.assign(&[(&topic, 0, Offset::Beginning)]).expect("assign");
    let got = serving(&mut c, take_queue(&mut q, 5)).await;
    assert_eq!(offsets(&got), (0..5).collect::<Vec<_>>());
    // The queue holds the rest of the first fetch; after the seek none of
    // it comes out.
    c.seek(&topic, 0, Offset::At(2)).expect("seek");
    let after = serving(&mut c, take_queue(&mut q, 10)).await;
    assert_eq!(offsets(&after), (2..12).collect::<Vec<_>>());

    // Pause: nothing more until resume, then from the position.
    c.pause(&[(&topic, 0)]).expect("pause");
    let m = serving(&mut c, q.poll(Duration::from_millis(300))).await;
    assert!(
        m.is_none(),
        "a paused partition's queue handed out {:?}",
        m.map(|r| r.map(|m| m.offset()))
    );
    c.resume(&[(&topic, 0)]).expect("resume");
    let got = serving(&mut c, take_queue(&mut q, 3)).await;
    assert_eq!(offsets(&got), vec![12, 13, 14]);

    // Closing the consumer ends the queue.
    within("close", c.close()).await.expect("close");
    assert!(matches!(
        within("recv after close", q.recv()).await,
        Err(ConsumerError::Client(Error::Closed))
    ));
}

#[tokio::test]
async fn a_revoke_commits_exactly_what_the_queues_handed_out() {
    let topic = unique("mq-revoke");
    let cluster = mock_with_topic(1, &topic, 2).await;
    produce(&cluster, &topic, 200, 2).await;
    let group = unique("mq-revoke-group");
    // Only the revoke commits (not auto commit's timer).
    let config = || {
        consumer_config(
            &cluster.bootstrap_servers(),
            Some(&group),
            &[("auto.commit.interval.ms", "600000")],
        )
    };
    let mut first = Consumer::new(config()).expect("consumer");
    let queues: Vec<PartitionQueue> = (0..2)
        .map(|p| first.split_partition_queue(&topic, p).expect("queue"))
        .collect();
    first.subscribe(&[&topic]).expect("subscribe");

    // Each queue reads 20 records, then waits until the second member
    // has joined, then reads on until told to stop.
    let (go, go_rx) = watch::channel(false);
    let (stop, stop_rx) = watch::channel(false);
    let (ready, mut ready_rx) = mpsc::channel::<()>(2);
    let mut readers = Vec::new();
    for mut q in queues {
        let (mut go_rx, mut stop_rx) = (go_rx.clone(), stop_rx.clone());
        let ready = ready.clone();
        readers.push(tokio::spawn(async move {
            let mut got = take_queue(&mut q, 20).await;
            let _ = ready.send(()).await;
            let _ = go_rx.wait_for(|go| *go).await;
            let mut revoked = Vec::new();
            loop {
                tokio::select! {
                    item = q.recv() => match item {
                        Ok(m) => got.push(m),
                        Err(e) if e.is_partition_eof() => {}
                        Err(ConsumerError::PartitionRevoked { partition, lost, .. }) => {
                            revoked.push((partition, lost));
                        }
                        Err(e) => panic!("queue failed: {e}"),
                    },
                    _ = stop_rx.wait_for(|s| *s) => return (got, revoked),
                }
            }
        }));
    }
    // The first member's own poll serves its group; it hands out nothing.
    let (stop_poll, mut stop_poll_rx) = watch::channel(false);
    let driver = tokio::spawn(async move {
        let mut handed = Vec::new();
        loop {
            tokio::select! {
                item = first.poll(Duration::from_secs(1)) => {
                    if let Some(Ok(m)) = item {
                        handed.push(m);
                    }
                }
                _ = stop_poll_rx.wait_for(|s| *s) => break,
            }
        }
        within("close", first.close()).await.expect("close");
        handed
    });
    // Both queues have read their 20 before the second member comes.
    for _ in 0..2 {
        within("queues read 20", ready_rx.recv()).await;
    }

    let mut second = Consumer::new(config()).expect("consumer");
    second.subscribe(&[&topic]).expect("subscribe");
    let mut seen_second = Vec::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while second.assignment().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "second never assigned"
        );
        if let Some(Ok(m)) = within("poll", second.poll(Duration::from_millis(50))).await {
            seen_second.push(m);
        }
    }
    let _ = go.send(true);
    // Read on until the two members have seen all 200 between them.
    let moved = second.assignment();
    assert_eq!(moved.len(), 1, "{moved:?}");
    let moved_partition = moved[0].partition;
    while seen_second.len() < 80 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "second read {}",
            seen_second.len()
        );
        if let Some(Ok(m)) = within("poll", second.poll(Duration::from_millis(50))).await {
            seen_second.push(m);
        }
    }
    // The partition that stayed: its queue goes on to its end.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(true);
    let mut from_queues = Vec::new();
    let mut revokes = Vec::new();
    for r in readers {
        let (got, revoked) = r.await.expect("reader");
        from_queues.extend(got);
        revokes.extend(revoked);
    }
    let _ = stop_poll.send(true);
    let handed = driver.await.expect("driver");
    assert!(handed.is_empty(), "the split partitions came on poll too");
    assert!(
        revokes.contains(&(moved_partition, false)),
        "the moved partition's queue was told: {revokes:?}"
    );

    // Every record exactly once between the two members: the revoke
    // committed what the queue had handed out, no more, no less.
    let mut count: BTreeMap<(i32, i64), usize> = BTreeMap::new();
    for m in from_queues.iter().chain(&seen_second) {
        *count.entry((m.partition(), m.offset())).or_default() += 1;
    }
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "handed out twice: {twice:?}");
    let all: BTreeSet<(i32, i64)> = (0..2).flat_map(|p| (0..100).map(move |o| (p, o))).collect();
    let seen: BTreeSet<(i32, i64)> = count.keys().copied().collect();
    assert_eq!(
        all.difference(&seen).collect::<Vec<_>>(),
        Vec::<&(i32, i64)>::new()
    );
    let on_moved: Vec<i64> = seen_second.iter().map(|m| m.offset()).collect();
    assert_eq!(on_moved.first(), Some(&20), "second starts at the commit");
    within("close", second.close()).await.expect("close");
}

#[tokio::test]
async fn a_queue_nobody_reads_holds_little_and_stalls_no_other_partition() {
    let topic = unique("mq-bound");
    let cluster = mock_with_topic(1, &topic, 2).await;
    let producer = Producer::new(producer_config(
        &cluster.bootstrap_servers(),
        &[("batch.size", "2000")],
    ))
    .expect("producer");
    let body = "x".repeat(200);
    let mut futures = Vec::new();
    for i in 0..2000 {
        let r = ferrokafka::producer::ProducerRecord::new(&topic)
            .partition(i % 2)
            .value(format!("{i}:{body}"));
        futures.push(within("send", producer.send(r)).await.expect("queued"));
    }
    for f in futures {
        within("delivery", f).await.expect("delivered");
    }
    within("producer close", producer.close(Duration::from_secs(5))).await;
    // 1000 records of ~210 bytes per partition: 200 KB each, against a
    // prefetch bound of 64 KB and 8 KB per partition fetch.
    let mut c = Consumer::new(consumer_config(
        &cluster.bootstrap_servers(),
        None,
        &[
            ("queued.max.messages.kbytes", "64"),
            ("max.partition.fetch.bytes", "8192"),
        ],
    ))
    .expect("consumer");
    let idle = c.split_partition_queue(&topic, 0).expect("queue");
    c.assign(&[
        (&topic, 0, Offset::Beginning),
        (&topic, 1, Offset::Beginning),
    ])
    .expect("assign");
    // Partition 1 is read to its end although nobody reads partition 0.
    let got = take(&mut c, 1000).await;
    assert!(got.iter().all(|m| m.partition() == 1));
    assert_eq!(got.last().map(|m| m.offset()), Some(999));
    // Partition 0 was fetched only while its queue had room: a few fetches
    // of 8 KB, not the whole 200 KB (nor the 64 KB of the whole bound).
    let stats = within("statistics", c.statistics()).await.expect("stats");
    let p0 = &stats.topics[&topic].partitions["0"];
    assert!(
        (1..=150).contains(&p0.next_offset),
        "partition 0 fetched up to offset {} with nobody reading it",
        p0.next_offset
    );
    drop(idle);
    // Given back to poll, it is read from where the queue stood: all of it.
    let got = take(&mut c, 1000).await;
    assert_eq!(offsets(&got), (0..1000).collect::<Vec<_>>());
    within("close", c.close()).await.expect("close");
}
