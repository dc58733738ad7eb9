//! The admin client's records and group calls against the real broker:
//! list offsets (earliest, latest, timestamp, max timestamp), delete
//! records, a group's committed offsets (alter, list, delete), resets
//! (earliest, latest, shift, timestamp, datetime, offset) with lag, list,
//! describe and delete groups; Kafka's `kafka-consumer-groups` reports the
//! same lag.

mod common;

use std::time::Duration;

use common::{bootstrap, create_topic, unique};
use ferrokafka::admin::{Admin, OffsetReset, OffsetSpec, TopicPartition};
use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka::protocol::ErrorCode;

fn admin() -> Admin {
    Admin::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("admin client")
}

/// Writes `n` records to `topic` [partition] with timestamps base, base+1000, ...
async fn produce(topic: &str, partition: i32, n: i64, base: i64) {
    let producer =
        Producer::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("producer");
    for i in 0..n {
        let r = ProducerRecord::new(topic)
            .partition(partition)
            .value(format!("v{i}"))
            .timestamp(base + i * 1000);
        producer
            .send(r)
            .await
            .expect("queued")
            .await
            .expect("delivered");
    }
    producer.close(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn offsets_records_and_groups_per_partition() {
    let admin = admin();
    let topic = unique("admin-offsets");
    create_topic(&topic, 2).await;
    // Recent timestamps: the broker's retention would delete old ones.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let base = now_ms - 3_600_000 - now_ms % 1000;
    produce(&topic, 0, 10, base).await;
    produce(&topic, 1, 4, base).await;
    let p0 = TopicPartition::new(&topic, 0);
    let p1 = TopicPartition::new(&topic, 1);
    let p9 = TopicPartition::new(&topic, 9);

    let offsets = admin
        .list_offsets(
            &[
                (p0.clone(), OffsetSpec::Earliest),
                (p0.clone(), OffsetSpec::Latest),
                (p1.clone(), OffsetSpec::Timestamp(base + 2500)),
                (p0.clone(), OffsetSpec::MaxTimestamp),
                (p9.clone(), OffsetSpec::Latest),
            ],
            false,
        )
        .await
        .expect("list offsets");
    let at = |i: usize| offsets[i].result.as_ref().map(|o| o.offset).ok();
    assert_eq!(at(0), Some(0));
    assert_eq!(at(1), Some(10));
    assert_eq!(at(2), Some(3), "first record at or after base+2.5s");
    assert_eq!(at(3), Some(9), "max timestamp is the last record");
    assert_eq!(
        offsets[3].result.as_ref().map(|o| o.timestamp).ok(),
        Some(base + 9000)
    );
    assert_eq!(
        offsets[4]
            .result
            .as_ref()
            .err()
            .and_then(|e| e.kafka_code()),
        Some(ErrorCode::UnknownTopicOrPartition)
    );

    // Delete records before 4 on partition 0: its earliest becomes 4.
    let deleted = admin
        .delete_records(&[(p0.clone(), 4), (p9.clone(), 1)])
        .await
        .expect("delete records");
    assert_eq!(deleted[0].result.as_ref().ok(), Some(&4));
    assert!(deleted[1].result.is_err());
    let earliest = admin
        .list_offsets(&[(p0.clone(), OffsetSpec::Earliest)], false)
        .await
        .expect("earliest");
    assert_eq!(earliest[0].result.as_ref().map(|o| o.offset).ok(), Some(4));

    // A group's committed offsets: alter, list, lag.
    let group = unique("admin-group");
    let altered = admin
        .alter_group_offsets(&group, &[(p0.clone(), 6), (p1.clone(), 1)])
        .await
        .expect("alter offsets");
    assert!(altered.iter().all(|o| o.result.is_ok()), "{altered:?}");
    let listed = admin
        .list_group_offsets(&group, None)
        .await
        .expect("list offsets");
    let got: Vec<(TopicPartition, i64)> = listed
        .iter()
        .map(|o| {
            (
                o.resource.clone(),
                o.result.as_ref().expect("committed").offset,
            )
        })
        .collect();
    assert_eq!(got, vec![(p0.clone(), 6), (p1.clone(), 1)]);
    let lag = admin.group_lag(&group).await.expect("lag");
    let lags: Vec<(i64, Option<i64>)> = lag.iter().map(|l| (l.log_end, l.lag)).collect();
    assert_eq!(lags, vec![(10, Some(4)), (4, Some(3))]);
    kafka_consumer_groups_lag_agrees(&group, &[(0, 6, 10, 4), (1, 1, 4, 3)]);

    // Resets, each as Kafka's tool computes it (kept within the log).
    let both = [p0.clone(), p1.clone()];
    let cases = [
        (OffsetReset::Earliest, [4, 0]),
        (OffsetReset::Latest, [10, 4]),
        (OffsetReset::Shift(-3), [7, 1]),
        (OffsetReset::Shift(-100), [4, 0]),
        (OffsetReset::Offset(5), [5, 4]),
        (OffsetReset::Timestamp(base + 2500), [4, 3]),
        (OffsetReset::Timestamp(base + 60_000), [10, 4]),
        (
            OffsetReset::datetime(&iso_utc(base + 2500)).expect("datetime"),
            [4, 3],
        ),
    ];
    for (reset, want) in cases {
        let plan = admin
            .plan_group_offsets_reset(&group, &both, reset)
            .await
            .expect("plan");
        let planned: Vec<i64> = plan
            .iter()
            .map(|o| *o.result.as_ref().expect("planned"))
            .collect();
        assert_eq!(planned, want, "{reset:?} planned");
        let done = admin
            .reset_group_offsets(&group, &both, reset)
            .await
            .expect("reset");
        assert!(done.iter().all(|o| o.result.is_ok()), "{done:?}");
        let now: Vec<i64> = admin
            .list_group_offsets(&group, Some(&both))
            .await
            .expect("offsets")
            .iter()
            .map(|o| o.result.as_ref().expect("committed").offset)
            .collect();
        assert_eq!(now, want, "{reset:?} committed");
    }

    // The group is listed (Empty, classic) and described; deleting one
    // partition's offset leaves the other.
    let groups = admin
        .list_groups(&["Empty"], &[])
        .await
        .expect("list groups");
    let g = groups
        .iter()
        .find(|g| g.group_id == group)
        .expect("group listed");
    assert_eq!(g.state, "Empty");
    let stable = admin
        .list_groups(&["Stable"], &[])
        .await
        .expect("list stable");
    assert!(!stable.iter().any(|g| g.group_id == group));
    let described = admin
        .describe_groups(&[&group])
        .await
        .expect("describe groups");
    let d = described[0].result.as_ref().expect("described");
    assert_eq!(d.state, "Empty");
    assert_eq!(d.group_type, "classic");
    assert!(d.members.is_empty());
    let removed = admin
        .delete_group_offsets(&group, std::slice::from_ref(&p1))
        .await
        .expect("delete offsets");
    assert!(removed[0].result.is_ok(), "{:?}", removed[0].result);
    let left: Vec<TopicPartition> = admin
        .list_group_offsets(&group, None)
        .await
        .expect("offsets")
        .into_iter()
        .map(|o| o.resource)
        .collect();
    assert_eq!(left, vec![p0.clone()]);

    // Delete the group; a second delete fails for that group only.
    let other = unique("admin-nogroup");
    let gone = admin
        .delete_groups(&[&group, &other])
        .await
        .expect("delete groups");
    assert!(gone[0].result.is_ok(), "{:?}", gone[0].result);
    assert_eq!(
        gone[1].result.as_ref().err().and_then(|e| e.kafka_code()),
        Some(ErrorCode::GroupIdNotFound)
    );
    admin.delete_topic(&topic).await.expect("delete topic");
}

/// `ms` as `YYYY-MM-DDTHH:mm:SS.sssZ`.
fn iso_utc(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Kafka's `kafka-consumer-groups --describe` reports, for each
/// `(partition, committed, log end, lag)`, the same numbers.
fn kafka_consumer_groups_lag_agrees(group: &str, want: &[(i32, i64, i64, i64)]) {
    let classpath = std::env::var("FERROKAFKA_KAFKA_CLASSPATH")
        .expect("FERROKAFKA_KAFKA_CLASSPATH is set by scripts/kafka.sh env");
    let out = std::process::Command::new("java")
        .args([
            "-cp",
            &classpath,
            "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
        ])
        .args([
            "--bootstrap-server",
            &bootstrap(),
            "--describe",
            "--group",
            group,
        ])
        .output()
        .expect("java runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kafka-consumer-groups failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (partition, committed, end, lag) in want {
        let found = text.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() >= 6
                && cols[0] == group
                && cols[2] == partition.to_string()
                && cols[3] == committed.to_string()
                && cols[4] == end.to_string()
                && cols[5] == lag.to_string()
        });
        assert!(
            found,
            "partition {partition}: {committed} {end} {lag} not in:\n{text}"
        );
    }
}
