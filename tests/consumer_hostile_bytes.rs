//! Batches the consumer cannot read, and batches that are large but
//! legitimate, through the mock cluster (issue 9, items 7 and 10): a batch
//! past `decompressed.batch.max.bytes` reaches the application as one
//! error naming topic, partition and offset, the partition stops there
//! (no silent refetch loop) and a seek past it goes on; a 50 MiB value
//! that compresses to a few hundred kilobytes is delivered.

mod faults_util;

use std::time::Duration;

use faults_util::*;
use ferrokafka::consumer::{Consumer, ConsumerError, Message, Offset};
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka::protocol::ApiKey;

const MIB: usize = 1 << 20;

/// Sends `values` to partition 0 one at a time (a batch each).
async fn send_each(bootstrap: &str, topic: &str, values: Vec<Vec<u8>>) {
    let producer = Producer::new(producer_config(
        bootstrap,
        &[
            ("compression.type", "lz4"),
            ("message.max.bytes", "100000000"),
            ("linger.ms", "0"),
        ],
    ))
    .expect("producer");
    for v in values {
        let f = within(
            "send",
            producer.send(ProducerRecord::new(topic).partition(0).value(v)),
        )
        .await
        .expect("queued");
        within("delivery", f).await.expect("delivered");
    }
    within("producer close", producer.close(Duration::from_secs(5))).await;
}

async fn next_message(c: &mut Consumer) -> Result<Message, ConsumerError> {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing within {LIMIT:?}"
        );
        match within("poll", c.poll(Duration::from_millis(50))).await {
            Some(Err(e)) if e.is_partition_eof() => {}
            Some(r) => return r,
            None => {}
        }
    }
}

#[tokio::test]
async fn a_batch_past_the_decompression_cap_stops_its_partition_with_an_error_until_a_seek() {
    let topic = unique("hostile-cap");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let bootstrap = cluster.bootstrap_servers();
    // Record 1 decompresses to 4 MiB; the consumer allows 1 MiB a batch.
    send_each(
        &bootstrap,
        &topic,
        vec![b"first".to_vec(), vec![0u8; 4 * MIB], b"third".to_vec()],
    )
    .await;
    let mut c = Consumer::new(consumer_config(
        &bootstrap,
        None,
        &[("decompressed.batch.max.bytes", "1048576")],
    ))
    .expect("consumer");
    c.assign(&[(topic.as_str(), 0, Offset::Beginning)])
        .expect("assigns");
    let m = next_message(&mut c).await.expect("record 0 is fine");
    assert_eq!((m.offset(), m.value()), (0, Some(&b"first"[..])));
    let err = next_message(&mut c)
        .await
        .expect_err("record 1 is past the cap");
    match &err {
        ConsumerError::CorruptBatch {
            topic: t,
            partition: 0,
            offset: 1,
            next_offset: Some(2),
            ..
        } if *t == topic => {}
        other => panic!("unexpected: {other}"),
    }
    assert!(!err.is_retriable());
    assert!(err.to_string().contains("seek to 2"), "{err}");
    // The partition stays stopped: no message, no repeated error, and no
    // fetch loop behind the application's back.
    let fetches = count(&cluster, ApiKey::Fetch);
    let quiet_until = tokio::time::Instant::now() + Duration::from_millis(600);
    while tokio::time::Instant::now() < quiet_until {
        match within("poll", c.poll(Duration::from_millis(50))).await {
            Some(Err(e)) if e.is_partition_eof() => {}
            None => {}
            Some(other) => panic!("the stopped partition gave {other:?}"),
        }
    }
    let more = count(&cluster, ApiKey::Fetch) - fetches;
    assert!(more <= 1, "{more} fetches while the partition was stopped");
    // Seeking past the batch goes on.
    c.seek(&topic, 0, Offset::At(2)).expect("seeks");
    let m = next_message(&mut c).await.expect("record 2 is fine");
    assert_eq!((m.offset(), m.value()), (2, Some(&b"third"[..])));
    within("close", c.close()).await.expect("closes");
}

#[tokio::test]
async fn a_50_mib_value_that_compresses_small_is_delivered() {
    let topic = unique("hostile-large");
    let cluster = mock_with_topic(1, &topic, 1).await;
    let bootstrap = cluster.bootstrap_servers();
    let value: Vec<u8> = (0..50 * MIB).map(|i| (i / 4096) as u8).collect();
    send_each(&bootstrap, &topic, vec![value.clone(), b"after".to_vec()]).await;
    let mut c = Consumer::new(consumer_config(&bootstrap, None, &[])).expect("consumer");
    c.assign(&[(topic.as_str(), 0, Offset::Beginning)])
        .expect("assigns");
    let m = next_message(&mut c).await.expect("the large record");
    assert_eq!(m.offset(), 0);
    assert!(m.value() == Some(&value[..]), "the 50 MiB value, intact");
    drop(m);
    let m = next_message(&mut c).await.expect("the next record");
    assert_eq!((m.offset(), m.value()), (1, Some(&b"after"[..])));
    within("close", c.close()).await.expect("closes");
}
