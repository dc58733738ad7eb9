//! Statistics (`statistics.interval.ms`) against the mock cluster: the
//! interval is honoured, the counters move with what was done, and the
//! JSON keeps librdkafka's shape.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Offset};
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka::statistics::Statistics;
use ferrokafka_mock::MockCluster;

type Seen = Arc<Mutex<Vec<(Instant, Statistics)>>>;

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{nanos}")
}

fn collecting(config: ClientConfig, interval: Duration) -> (ClientConfig, Seen) {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let config = config
        .statistics_interval(interval)
        .statistics_callback(move |s| sink.lock().expect("lock").push((Instant::now(), s.clone())));
    (config, seen)
}

async fn mock(topic: &str, partitions: i32) -> MockCluster {
    let cluster = MockCluster::start(1).await.expect("mock starts");
    cluster
        .create_topic(topic, partitions, 1)
        .expect("topic created");
    cluster
}

async fn produce(producer: &Producer, topic: &str, n: usize, partitions: i32) {
    let mut futures = Vec::new();
    for i in 0..n {
        let record = ProducerRecord::new(topic)
            .partition(i as i32 % partitions)
            .value(format!("v{i}"));
        futures.push(producer.send(record).await.expect("queued"));
    }
    for f in futures {
        tokio::time::timeout(Duration::from_secs(10), f)
            .await
            .expect("delivered in time")
            .expect("delivered");
    }
}

#[tokio::test]
async fn producer_statistics_come_every_interval_and_count_what_was_sent() {
    let topic = unique("stats-p");
    let cluster = mock(&topic, 2).await;
    let base = ClientConfig::new()
        .bootstrap_servers([cluster.bootstrap_servers()])
        .linger(Duration::from_millis(1));
    let (config, seen) = collecting(base, Duration::from_millis(100));
    let start = Instant::now();
    let producer = Producer::new(config).expect("producer");
    produce(&producer, &topic, 50, 2).await;
    tokio::time::sleep_until((start + Duration::from_millis(1050)).into()).await;
    let seen = seen.lock().expect("lock").clone();
    // 10 intervals in 1.05 s; a busy machine may delay one or two.
    assert!(
        (8..=11).contains(&seen.len()),
        "{} statistics in 1.05 s at 100 ms",
        seen.len()
    );
    let first = seen[0].0 - start;
    assert!(first >= Duration::from_millis(95), "first after {first:?}");
    for pair in seen.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= Duration::from_millis(60) && gap <= Duration::from_millis(300),
            "interval {gap:?}"
        );
    }
    let last = &seen.last().expect("some").1;
    assert_eq!(last.kind, "producer");
    assert_eq!(last.txmsgs, 50, "every record delivered is counted");
    let partitions = &last.topics[&topic].partitions;
    assert_eq!(partitions["0"].txmsgs, 25);
    assert_eq!(partitions["1"].txmsgs, 25);
    assert_eq!(partitions["0"].msgq_cnt, 0);
    assert_eq!(partitions["0"].leader, 0);
    assert_eq!(last.msg_cnt, 0, "nothing outstanding");
    let eos = last.eos.as_ref().expect("eos");
    assert_eq!(eos.idemp_state, "Assigned");
    assert!(eos.producer_id >= 0 && eos.producer_epoch >= 0);
    assert_eq!(eos.epoch_cnt, 1);
    let broker = last
        .brokers
        .values()
        .find(|b| b.nodeid == 0)
        .expect("the broker learned from metadata");
    assert_eq!(broker.state, "UP");
    assert!(broker.req["Produce"] >= 1 && broker.req["Metadata"] >= 1);
    assert!(last.tx >= broker.req["Produce"]);
    // The window restarts each interval: the last ones, after the
    // records were delivered, saw no Produce round trips.
    assert!(
        seen.iter()
            .map(|(_, s)| s.brokers.values().map(|b| b.rtt.cnt).sum::<i64>())
            .sum::<i64>()
            >= broker.req["Produce"]
    );
    drop(producer);
}

#[tokio::test]
async fn no_callback_without_an_interval() {
    let topic = unique("stats-none");
    let cluster = mock(&topic, 1).await;
    let base = ClientConfig::new().bootstrap_servers([cluster.bootstrap_servers()]);
    let (config, seen) = collecting(base, Duration::ZERO);
    let producer = Producer::new(config).expect("producer");
    produce(&producer, &topic, 3, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(seen.lock().expect("lock").is_empty());
    // Asked for, they are there all the same.
    let s = producer.statistics().await.expect("statistics");
    assert_eq!(s.txmsgs, 3);
}

#[tokio::test]
async fn broker_statistics_measure_round_trips_and_disconnects() {
    let topic = unique("stats-rtt");
    let cluster = mock(&topic, 1).await;
    cluster
        .set_rtt(0, Duration::from_millis(40))
        .expect("rtt set");
    let config = ClientConfig::from_properties([
        ("bootstrap.servers", cluster.bootstrap_servers().as_str()),
        ("linger.ms", "1"),
        ("retry.backoff.ms", "20"),
        ("reconnect.backoff.ms", "20"),
    ])
    .expect("config");
    let producer = Producer::new(config).expect("producer");
    produce(&producer, &topic, 5, 1).await;
    let s = producer.statistics().await.expect("statistics");
    let b = s
        .brokers
        .values()
        .find(|b| b.nodeid == 0)
        .expect("broker 0");
    assert!(b.rtt.cnt >= 2, "{:?}", b.rtt);
    assert!(
        b.rtt.min >= 40_000,
        "rtt min {} us under the 40 ms set",
        b.rtt.min
    );
    assert!(b.rtt.p99 >= b.rtt.avg && b.rtt.max >= b.rtt.p99 / 2);
    assert_eq!(b.waitresp_cnt, 0);
    assert_eq!(b.outbuf_cnt, 0);
    assert_eq!(b.tx, b.rx, "every request answered");
    assert!(b.txbytes > 0 && b.rxbytes > 0);
    assert_eq!(b.disconnects, 0);
    let connects = b.connects;
    assert!(connects >= 1);
    // The broker cuts the connection its next request comes on: the
    // producer reconnects and the counters say so.
    cluster
        .drop_connection_after_requests(0, 0)
        .expect("fault set");
    produce(&producer, &topic, 1, 1).await;
    let s = producer.statistics().await.expect("statistics");
    let b = s
        .brokers
        .values()
        .find(|b| b.nodeid == 0)
        .expect("broker 0");
    assert!(b.disconnects >= 1, "disconnects {}", b.disconnects);
    assert!(
        b.connects > connects,
        "connects {} after {connects}",
        b.connects
    );
    assert_eq!(s.txmsgs, 6);
}

#[tokio::test]
async fn consumer_statistics_follow_what_was_fetched_handed_out_and_committed() {
    let topic = unique("stats-c");
    let cluster = mock(&topic, 1).await;
    let producer = Producer::new(
        ClientConfig::new()
            .bootstrap_servers([cluster.bootstrap_servers()])
            .linger(Duration::from_millis(1)),
    )
    .expect("producer");
    produce(&producer, &topic, 30, 1).await;
    let base = ClientConfig::new()
        .bootstrap_servers([cluster.bootstrap_servers()])
        .group_id(unique("stats-g"))
        .set("enable.auto.commit", "false")
        .expect("config");
    let (config, seen) = collecting(base, Duration::from_millis(100));
    let mut consumer = Consumer::new(config).expect("consumer");
    consumer
        .assign(&[(&topic, 0, Offset::Beginning)])
        .expect("assigned");
    let mut read = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while read < 20 {
        assert!(Instant::now() < deadline, "read {read} of 20 in time");
        if let Some(m) = consumer.poll(Duration::from_millis(200)).await {
            m.expect("a message");
            read += 1;
        }
    }
    let s = consumer.statistics().await.expect("statistics");
    let p = &s.topics[&topic].partitions["0"];
    assert_eq!(p.app_offset, 20);
    assert_eq!(p.rxmsgs, 30, "all 30 fetched");
    assert_eq!(p.hi_offset, 30);
    assert_eq!(p.lo_offset, 0);
    assert_eq!(p.next_offset, 30);
    assert_eq!(p.fetchq_cnt, 10, "fetched, not handed out");
    assert_eq!(p.consumer_lag, 10);
    assert_eq!(p.fetch_state, "active");
    assert!(p.desired);
    consumer.commit().await.expect("committed");
    let s = consumer.statistics().await.expect("statistics");
    let p = &s.topics[&topic].partitions["0"];
    assert_eq!(p.committed_offset, 20);
    assert_eq!(p.stored_offset, 20);
    let cgrp = s.cgrp.as_ref().expect("a group.id makes cgrp");
    assert_eq!(cgrp.assignment_size, 1);
    assert_eq!(s.kind, "consumer");
    // The interval's statistics reach the callback from poll.
    let before = seen.lock().expect("lock").len();
    let until = Instant::now() + Duration::from_millis(350);
    while Instant::now() < until {
        let _ = consumer.poll(Duration::from_millis(50)).await;
    }
    let after = seen.lock().expect("lock").clone();
    assert!(after.len() >= before + 2, "{before} then {}", after.len());
    let last = &after.last().expect("some").1;
    assert!(last.topics[&topic].partitions["0"].rxmsgs >= 30);
}
