//! The transactional producer against the mock's transaction coordinator:
//! commit and abort as read_committed and read_uncommitted consumers see
//! them, on transactions version 2 and version 1, fencing, the timeout,
//! offsets in a transaction, and each injected coordinator error with the
//! reaction Kafka's Java client and librdkafka have: retried
//! (CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR),
//! abortable (TRANSACTION_ABORTABLE), fatal (PRODUCER_FENCED,
//! INVALID_TXN_STATE).

use std::time::Duration;

use ferrokafka::config::ClientConfig;
use ferrokafka::consumer::{Consumer, Offset};
use ferrokafka::producer::{ConsumerGroupMetadata, Producer, ProducerRecord};
use ferrokafka_mock::MockCluster;
use ferrokafka_protocol::{ApiKey, ErrorCode};

const T: Duration = Duration::from_secs(10);

fn producer(mock: &MockCluster, transactional_id: &str, extra: &[(&str, &str)]) -> Producer {
    let mut config = ClientConfig::new()
        .set("bootstrap.servers", &mock.bootstrap_servers())
        .and_then(|c| c.set("transactional.id", transactional_id))
        .and_then(|c| c.set("linger.ms", "1"))
        .and_then(|c| c.set("retry.backoff.ms", "20"))
        .expect("valid");
    for (k, v) in extra {
        config = config.set(k, v).expect("valid");
    }
    Producer::new(config).expect("producer")
}

/// A cluster of three with `topic` (two partitions), at `transaction.version`.
async fn cluster(topic: &str, transaction_version: i16) -> MockCluster {
    let mock = MockCluster::start(3).await.expect("mock starts");
    mock.set_transaction_version(transaction_version);
    mock.create_topic(topic, 2, 1).expect("topic");
    mock
}

async fn send(p: &Producer, topic: &str, values: &[&str]) {
    let mut pending = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let record = ProducerRecord::new(topic)
            .partition((i % 2) as i32)
            .value(v.to_string());
        pending.push(p.send(record).await.expect("queued"));
    }
    for d in pending {
        d.await.expect("delivered");
    }
}

/// Every value of both partitions of `topic` at `isolation`, sorted.
async fn read(mock: &MockCluster, topic: &str, isolation: &str) -> Vec<String> {
    let config = ClientConfig::new()
        .set("bootstrap.servers", &mock.bootstrap_servers())
        .and_then(|c| c.set("group.id", "reader"))
        .and_then(|c| c.set("isolation.level", isolation))
        .and_then(|c| c.set("enable.partition.eof", "true"))
        .expect("valid");
    let mut c = Consumer::new(config).expect("consumer");
    c.assign(&[(topic, 0, Offset::Beginning), (topic, 1, Offset::Beginning)])
        .expect("assigns");
    let mut values = Vec::new();
    let mut eofs = 0;
    while eofs < 2 {
        match c.poll(T).await {
            Some(Ok(m)) => {
                values.push(String::from_utf8_lossy(m.value().unwrap_or_default()).into_owned())
            }
            Some(Err(e)) if e.is_partition_eof() => eofs += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    values.sort();
    values
}

fn count(mock: &MockCluster, api: ApiKey) -> usize {
    mock.requests().iter().filter(|r| r.api_key == api).count()
}

/// Commit, abort, commit: read_committed sees the two commits only,
/// read_uncommitted all three; the markers hold offsets of their own.
async fn commit_abort_commit(transaction_version: i16) -> MockCluster {
    let topic = "txn";
    let mock = cluster(topic, transaction_version).await;
    let p = producer(&mock, "tid", &[]);
    p.init_transactions(T).await.expect("init");
    p.begin_transaction().await.expect("begin");
    send(&p, topic, &["a1", "a2", "a3"]).await;
    p.commit_transaction(T).await.expect("commit");
    p.begin_transaction().await.expect("begin");
    send(&p, topic, &["b1", "b2"]).await;
    p.abort_transaction(T).await.expect("abort");
    p.begin_transaction().await.expect("begin");
    send(&p, topic, &["c1", "c2"]).await;
    p.commit_transaction(T).await.expect("commit");
    assert_eq!(
        read(&mock, topic, "read_committed").await,
        ["a1", "a2", "a3", "c1", "c2"]
    );
    assert_eq!(
        read(&mock, topic, "read_uncommitted").await,
        ["a1", "a2", "a3", "b1", "b2", "c1", "c2"]
    );
    // Partition 0: a1 a3 marker b1 marker c1 marker.
    assert_eq!(mock.offsets(topic, 0).expect("p0"), (0, 7));
    assert_eq!(mock.last_stable_offset(topic, 0).expect("p0"), 7);
    mock
}

#[tokio::test]
async fn v2_commit_is_read_committed_and_abort_never() {
    let mock = commit_abort_commit(2).await;
    assert_eq!(
        count(&mock, ApiKey::AddPartitionsToTxn),
        0,
        "Produce adds them"
    );
    let ends: Vec<i16> = mock
        .requests()
        .iter()
        .filter(|r| r.api_key == ApiKey::EndTxn)
        .map(|r| r.api_version)
        .collect();
    assert!(ends.iter().all(|&v| v >= 5), "EndTxn v5: {ends:?}");
}

#[tokio::test]
async fn v1_adds_partitions_before_producing_and_keeps_the_epoch() {
    let mock = commit_abort_commit(1).await;
    let requests = mock.requests();
    let adds = requests
        .iter()
        .filter(|r| r.api_key == ApiKey::AddPartitionsToTxn)
        .count();
    assert_eq!(
        adds, 3,
        "one AddPartitionsToTxn per transaction (both partitions at once)"
    );
    for r in &requests {
        match r.api_key {
            ApiKey::Produce => assert!(r.api_version <= 11, "Produce v{}", r.api_version),
            ApiKey::EndTxn => assert!(r.api_version <= 4, "EndTxn v{}", r.api_version),
            ApiKey::AddPartitionsToTxn => assert!(r.api_version <= 3),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_second_producer_fences_the_first_and_its_open_transaction_is_aborted() {
    for tv in [2, 1] {
        let topic = "fence";
        let mock = cluster(topic, tv).await;
        let first = producer(&mock, "tid", &[]);
        first.init_transactions(T).await.expect("init");
        first.begin_transaction().await.expect("begin");
        send(&first, topic, &["zombie1", "zombie2"]).await;
        let second = producer(&mock, "tid", &[]);
        second
            .init_transactions(T)
            .await
            .expect("the second fences the first");
        let e = first.commit_transaction(T).await.expect_err("fenced");
        assert!(e.is_fatal(), "tv {tv}: {e}");
        assert!(first
            .begin_transaction()
            .await
            .expect_err("still fatal")
            .is_fatal());
        second.begin_transaction().await.expect("begin");
        send(&second, topic, &["live"]).await;
        second.commit_transaction(T).await.expect("commit");
        assert_eq!(
            read(&mock, topic, "read_committed").await,
            ["live"],
            "tv {tv}"
        );
    }
}

#[tokio::test]
async fn offsets_sent_to_a_transaction_commit_with_it_only() {
    let topic = "offs";
    let mock = cluster(topic, 2).await;
    let p = producer(&mock, "tid", &[]);
    p.init_transactions(T).await.expect("init");
    let group = ConsumerGroupMetadata::new("g");
    p.begin_transaction().await.expect("begin");
    p.send_offsets_to_transaction(&[(topic, 0, 5)], &group, T)
        .await
        .expect("offsets");
    p.abort_transaction(T).await.expect("abort");
    p.begin_transaction().await.expect("begin");
    p.send_offsets_to_transaction(&[(topic, 0, 7)], &group, T)
        .await
        .expect("offsets");
    p.commit_transaction(T).await.expect("commit");
    let config = ClientConfig::new()
        .set("bootstrap.servers", &mock.bootstrap_servers())
        .and_then(|c| c.set("group.id", "g"))
        .expect("valid");
    let c = Consumer::new(config).expect("consumer");
    let committed = c.committed(&[(topic, 0)], T).await.expect("committed");
    assert_eq!(committed.len(), 1);
    assert_eq!(
        committed[0].1,
        Some(7),
        "the committed transaction's offset only"
    );
}

#[tokio::test]
async fn the_coordinator_aborts_a_transaction_past_its_timeout() {
    let topic = "timeout";
    let mock = cluster(topic, 2).await;
    let p = producer(&mock, "tid", &[("transaction.timeout.ms", "300")]);
    p.init_transactions(T).await.expect("init");
    p.begin_transaction().await.expect("begin");
    send(&p, topic, &["late"]).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        mock.last_stable_offset(topic, 0).expect("p0"),
        2,
        "aborted: record and marker"
    );
    let e = p
        .commit_transaction(T)
        .await
        .expect_err("aborted by the coordinator");
    assert!(e.txn_requires_abort(), "{e}");
    p.abort_transaction(T).await.expect("abort");
    p.begin_transaction().await.expect("begin");
    send(&p, topic, &["next"]).await;
    p.commit_transaction(T)
        .await
        .expect("the next transaction works");
    assert_eq!(read(&mock, topic, "read_committed").await, ["next"]);
}

/// One transaction with `api` failing once with each of `codes` first.
async fn with_errors(api: ApiKey, codes: &[ErrorCode]) -> (MockCluster, Producer) {
    let topic = "faults";
    let mock = cluster(topic, 2).await;
    let p = producer(&mock, "tid", &[]);
    mock.push_request_errors(api, codes);
    (mock, p)
}

#[tokio::test]
async fn retriable_coordinator_errors_are_retried_until_the_call_succeeds() {
    for (api, code) in [
        (ApiKey::EndTxn, ErrorCode::ConcurrentTransactions),
        (ApiKey::EndTxn, ErrorCode::CoordinatorLoadInProgress),
        (ApiKey::EndTxn, ErrorCode::NotCoordinator),
        (ApiKey::InitProducerId, ErrorCode::CoordinatorLoadInProgress),
        (ApiKey::InitProducerId, ErrorCode::ConcurrentTransactions),
        (
            ApiKey::FindCoordinator,
            ErrorCode::CoordinatorLoadInProgress,
        ),
        (ApiKey::AddOffsetsToTxn, ErrorCode::ConcurrentTransactions),
        (
            ApiKey::TxnOffsetCommit,
            ErrorCode::CoordinatorLoadInProgress,
        ),
        (
            ApiKey::AddPartitionsToTxn,
            ErrorCode::ConcurrentTransactions,
        ),
    ] {
        let (mock, p) = with_errors(api, &[code, code]).await;
        if api == ApiKey::AddPartitionsToTxn {
            mock.set_transaction_version(1);
        }
        p.init_transactions(T).await.expect("init");
        p.begin_transaction().await.expect("begin");
        send(&p, "faults", &["x"]).await;
        p.send_offsets_to_transaction(&[("faults", 0, 1)], &ConsumerGroupMetadata::new("g"), T)
            .await
            .unwrap_or_else(|e| panic!("{api:?} {code:?}: {e}"));
        p.commit_transaction(T)
            .await
            .unwrap_or_else(|e| panic!("{api:?} {code:?}: {e}"));
        assert!(count(&mock, api) >= 3, "{api:?} {code:?}: asked again");
        if code == ErrorCode::NotCoordinator {
            assert!(
                count(&mock, ApiKey::FindCoordinator) >= 2,
                "looked up again"
            );
        }
        assert_eq!(
            read(&mock, "faults", "read_committed").await,
            ["x"],
            "{api:?} {code:?}"
        );
    }
}

#[tokio::test]
async fn transaction_abortable_requires_an_abort_and_the_next_transaction_works() {
    for api in [
        ApiKey::EndTxn,
        ApiKey::AddOffsetsToTxn,
        ApiKey::Produce,
        ApiKey::TxnOffsetCommit,
    ] {
        let (mock, p) = with_errors(api, &[]).await;
        p.init_transactions(T).await.expect("init");
        p.begin_transaction().await.expect("begin");
        mock.push_request_errors(api, &[ErrorCode::TransactionAbortable]);
        let record = ProducerRecord::new("faults").partition(0).value("doomed");
        let delivery = p.send(record).await.expect("queued").await;
        assert_eq!(
            delivery.is_err(),
            api == ApiKey::Produce,
            "{api:?}: {delivery:?}"
        );
        let offsets = p
            .send_offsets_to_transaction(&[("faults", 0, 1)], &ConsumerGroupMetadata::new("g"), T)
            .await;
        let e = match offsets {
            Err(e) => e,
            Ok(()) => p.commit_transaction(T).await.expect_err("cannot commit"),
        };
        assert!(e.txn_requires_abort(), "{api:?}: {e}");
        p.abort_transaction(T).await.expect("abort");
        p.begin_transaction().await.expect("begin");
        send(&p, "faults", &["next"]).await;
        p.commit_transaction(T)
            .await
            .expect("the next transaction works");
        assert_eq!(
            read(&mock, "faults", "read_committed").await,
            ["next"],
            "{api:?}"
        );
    }
}

#[tokio::test]
async fn fencing_and_invalid_state_from_the_coordinator_are_fatal() {
    for (api, code) in [
        (ApiKey::EndTxn, ErrorCode::ProducerFenced),
        (ApiKey::AddOffsetsToTxn, ErrorCode::ProducerFenced),
        (ApiKey::AddOffsetsToTxn, ErrorCode::InvalidTxnState),
        (ApiKey::InitProducerId, ErrorCode::ProducerFenced),
        (ApiKey::AddPartitionsToTxn, ErrorCode::ProducerFenced),
        (ApiKey::AddPartitionsToTxn, ErrorCode::InvalidTxnState),
    ] {
        let (mock, p) = with_errors(api, &[]).await;
        if api == ApiKey::AddPartitionsToTxn {
            mock.set_transaction_version(1);
        }
        mock.push_request_errors(api, &[code]);
        let outcome = async {
            p.init_transactions(T).await?;
            p.begin_transaction().await?;
            let record = ProducerRecord::new("faults").partition(0).value("x");
            // Its report does not matter: the call after it fails.
            let _report = p.send(record).await;
            p.send_offsets_to_transaction(&[("faults", 0, 1)], &ConsumerGroupMetadata::new("g"), T)
                .await?;
            p.commit_transaction(T).await
        }
        .await;
        let e = outcome.expect_err("fails");
        assert!(e.is_fatal(), "{api:?} {code:?}: {e}");
        assert!(
            p.abort_transaction(T)
                .await
                .expect_err("fatal stays")
                .is_fatal(),
            "{api:?} {code:?}"
        );
        assert!(read(&mock, "faults", "read_committed").await.is_empty());
    }
}

/// OffsetFetch with `require_stable` answers UNSTABLE_OFFSET_COMMIT while
/// a transaction's offsets for the group are not settled yet (Kafka
/// between EndTxn's answer and the marker in `__consumer_offsets`): the
/// consumer waits it out, as Java's does, rather than failing.
#[tokio::test]
async fn committed_waits_out_unstable_offsets() {
    let topic = "unstable";
    let mock = cluster(topic, 2).await;
    let p = producer(&mock, "tid", &[]);
    p.init_transactions(T).await.expect("init");
    p.begin_transaction().await.expect("begin");
    p.send_offsets_to_transaction(&[(topic, 0, 3)], &ConsumerGroupMetadata::new("g"), T)
        .await
        .expect("offsets");
    p.commit_transaction(T).await.expect("commit");
    let config = ClientConfig::new()
        .set("bootstrap.servers", &mock.bootstrap_servers())
        .and_then(|c| c.set("group.id", "g"))
        .and_then(|c| c.set("retry.backoff.ms", "20"))
        .expect("valid");
    let c = Consumer::new(config).expect("consumer");
    let unstable = ErrorCode::UnstableOffsetCommit;
    mock.push_request_errors(ApiKey::OffsetFetch, &[unstable, unstable, unstable]);
    let committed = c.committed(&[(topic, 0)], T).await.expect("committed");
    assert_eq!(committed[0].1, Some(3));
    assert!(count(&mock, ApiKey::OffsetFetch) >= 4, "asked until stable");
}
