//! The admin client's security and transaction calls against the real
//! broker: ACLs (the single broker runs KRaft's StandardAuthorizer:
//! created, described by filter, deleted), SCRAM credentials (a user we create
//! authenticates on the SASL listener; once deleted it no longer does),
//! client quotas (set, described with filters, removed), and a
//! transaction seen through list/describe transactions and describe
//! producers.

mod common;

use std::time::Duration;

use common::{bootstrap, create_topic, sasl_bootstrap, unique};
use ferrokafka::admin::{
    AclBinding, AclFilter, AclOperation, AclPermission, Admin, PatternType, QuotaAlteration,
    QuotaEntityFilter, ResourceType, ScramMechanism, TopicPartition,
};
use ferrokafka::config::ClientConfig;
use ferrokafka::producer::{Producer, ProducerRecord};
use ferrokafka::protocol::ErrorCode;

fn admin() -> Admin {
    Admin::new(ClientConfig::new().bootstrap_servers([bootstrap()])).expect("admin client")
}

/// Polls `check` every 100 ms for up to 15 s: changes reach the brokers
/// through the controller's metadata, a moment after the answer.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// ACLs round-trip through the single broker's authorizer: created,
/// described through each kind of filter (exact, by principal, `Match`
/// for a name under a prefix), deleted by filter, gone afterwards.
#[tokio::test]
async fn acls_are_created_described_by_filter_and_deleted() {
    let admin = admin();
    let topic = unique("admin-acl");
    let prefix = unique("admin-acl-g");
    let alice = format!("User:{}", unique("alice"));
    let bob = format!("User:{}", unique("bob"));
    let read = AclBinding {
        resource_type: ResourceType::Topic,
        resource_name: topic.clone(),
        pattern_type: PatternType::Literal,
        principal: alice.clone(),
        host: "*".into(),
        operation: AclOperation::Read,
        permission: AclPermission::Allow,
    };
    let deny = AclBinding {
        resource_type: ResourceType::Group,
        resource_name: prefix.clone(),
        pattern_type: PatternType::Prefixed,
        principal: bob.clone(),
        host: "127.0.0.1".into(),
        operation: AclOperation::Describe,
        permission: AclPermission::Deny,
    };
    let created = admin
        .create_acls(&[read.clone(), deny.clone()])
        .await
        .expect("create acls");
    for c in &created {
        assert!(c.result.is_ok(), "{:?}: {:?}", c.resource, c.result);
    }
    let by_principal = |p: &str| {
        let mut f = AclFilter::any();
        f.principal = Some(p.to_string());
        f
    };
    eventually("both ACLs are described", || async {
        admin.describe_acls(&AclFilter::exact(&read)).await.ok() == Some(vec![read.clone()])
            && admin.describe_acls(&by_principal(&bob)).await.ok() == Some(vec![deny.clone()])
    })
    .await;
    // Match: the bindings that apply to one group under the prefix.
    let mut matching = AclFilter::any();
    matching.resource_type = ResourceType::Group;
    matching.resource_name = Some(format!("{prefix}-one"));
    matching.pattern_type = PatternType::Match;
    let matched = admin.describe_acls(&matching).await.expect("describe");
    assert!(matched.contains(&deny), "{matched:?}");
    assert!(!matched.contains(&read), "{matched:?}");
    let deleted = admin
        .delete_acls(&[by_principal(&alice), by_principal(&bob)])
        .await
        .expect("delete acls");
    assert_eq!(deleted[0].result.as_ref().ok(), Some(&vec![read.clone()]));
    assert_eq!(deleted[1].result.as_ref().ok(), Some(&vec![deny.clone()]));
    eventually("the ACLs are gone", || async {
        admin.describe_acls(&by_principal(&alice)).await.ok() == Some(vec![])
            && admin.describe_acls(&by_principal(&bob)).await.ok() == Some(vec![])
    })
    .await;
    // A binding the broker refuses (a filter-only value) fails alone, typed.
    let mut bad = read.clone();
    bad.operation = AclOperation::Any;
    let refused = admin
        .create_acls(&[bad])
        .await
        .expect("create acls answers");
    assert!(
        refused[0]
            .result
            .as_ref()
            .err()
            .and_then(|e| e.kafka_code())
            .is_some(),
        "{:?}",
        refused[0].result
    );
}

/// An admin client on the SASL listener as `user` with SCRAM-SHA-256.
fn scram_admin(user: &str, password: &str) -> Admin {
    let config = ClientConfig::new()
        .bootstrap_servers([sasl_bootstrap()])
        .set("security.protocol", "SASL_PLAINTEXT")
        .and_then(|c| c.set("sasl.mechanism", "SCRAM-SHA-256"))
        .and_then(|c| c.set("sasl.username", user))
        .and_then(|c| c.set("sasl.password", password))
        .and_then(|c| c.set("reconnect.backoff.max.ms", "100"))
        .expect("config");
    Admin::new(config).expect("admin")
}

#[tokio::test]
async fn scram_credentials_we_set_authenticate_and_deleted_ones_do_not() {
    let admin = admin();
    let user = unique("admin-user");
    let password = "s3cret-for-admin";
    let bad = admin
        .alter_user_scram_credential(&user, ScramMechanism::Sha256, Some(password), 10)
        .await;
    assert_eq!(
        bad.err().and_then(|e| e.kafka_code()),
        Some(ErrorCode::UnacceptableCredential)
    );
    admin
        .alter_user_scram_credential(&user, ScramMechanism::Sha256, Some(password), 8192)
        .await
        .expect("upsert credential");
    // The controller applied the change; the broker that answers the
    // describe may see it a moment later (RESOURCE_NOT_FOUND until then).
    eventually("the new credential is described", || async {
        admin
            .describe_user_scram_credentials(&[&user])
            .await
            .is_ok_and(|d| d[0].result.is_ok())
    })
    .await;
    let described = admin
        .describe_user_scram_credentials(&[&user])
        .await
        .expect("describe");
    let info = described[0].result.as_ref().expect("described");
    assert_eq!(info.credentials.len(), 1);
    assert_eq!(info.credentials[0].mechanism, Some(ScramMechanism::Sha256));
    assert_eq!(info.credentials[0].iterations, 8192);

    eventually("the new user authenticates", || async {
        scram_admin(&user, password)
            .describe_cluster()
            .await
            .is_ok()
    })
    .await;
    let wrong = scram_admin(&user, "not-the-password")
        .describe_cluster()
        .await;
    assert!(wrong.is_err(), "a wrong password authenticated");

    admin
        .alter_user_scram_credential(&user, ScramMechanism::Sha256, None, 0)
        .await
        .expect("delete credential");
    // As above: the answering broker may lag the controller a moment.
    eventually("the deleted credential is RESOURCE_NOT_FOUND", || async {
        admin
            .describe_user_scram_credentials(&[&user])
            .await
            .is_ok_and(|gone| {
                gone[0].result.as_ref().err().and_then(|e| e.kafka_code())
                    == Some(ErrorCode::ResourceNotFound)
            })
    })
    .await;
    eventually("the deleted user no longer authenticates", || async {
        scram_admin(&user, password)
            .describe_cluster()
            .await
            .is_err()
    })
    .await;
}

#[tokio::test]
async fn client_quotas_are_set_described_and_removed() {
    let admin = admin();
    let user = unique("admin-quota-user");
    let entity = vec![("user".to_owned(), Some(user.clone()))];
    let set = admin
        .alter_client_quotas(
            &[QuotaAlteration {
                entity: entity.clone(),
                ops: vec![
                    ("producer_byte_rate".into(), Some(1024.0)),
                    ("consumer_byte_rate".into(), Some(2048.0)),
                ],
            }],
            false,
        )
        .await
        .expect("alter quotas");
    assert!(set[0].result.is_ok(), "{:?}", set[0].result);
    let filter = [QuotaEntityFilter::Exact("user".into(), user.clone())];
    eventually("the quotas are described", || async {
        !admin
            .describe_client_quotas(&filter, false)
            .await
            .expect("describe")
            .is_empty()
    })
    .await;
    let described = admin
        .describe_client_quotas(&filter, false)
        .await
        .expect("describe");
    assert_eq!(described.len(), 1);
    assert_eq!(described[0].0, entity);
    assert_eq!(described[0].1.get("producer_byte_rate"), Some(&1024.0));
    assert_eq!(described[0].1.get("consumer_byte_rate"), Some(&2048.0));
    let any = admin
        .describe_client_quotas(&[QuotaEntityFilter::Any("user".into())], false)
        .await
        .expect("describe any");
    assert!(any.iter().any(|(e, _)| e == &entity));

    let bad = admin
        .alter_client_quotas(
            &[QuotaAlteration {
                entity: entity.clone(),
                ops: vec![("no_such_quota".into(), Some(1.0))],
            }],
            false,
        )
        .await
        .expect("alter bad");
    assert!(bad[0].result.is_err(), "an unknown quota key was accepted");
    let removed = admin
        .alter_client_quotas(
            &[QuotaAlteration {
                entity: entity.clone(),
                ops: vec![
                    ("producer_byte_rate".into(), None),
                    ("consumer_byte_rate".into(), None),
                ],
            }],
            false,
        )
        .await
        .expect("remove quotas");
    assert!(removed[0].result.is_ok(), "{:?}", removed[0].result);
    eventually("the quotas are gone", || async {
        admin
            .describe_client_quotas(&filter, false)
            .await
            .expect("describe")
            .is_empty()
    })
    .await;
}

#[tokio::test]
async fn transactions_and_producers_are_described() {
    let admin = admin();
    let topic = unique("admin-txn");
    create_topic(&topic, 1).await;
    let txn_id = unique("admin-txn-id");
    let config = ClientConfig::new()
        .bootstrap_servers([bootstrap()])
        .set("transactional.id", &txn_id)
        .expect("config");
    let producer = Producer::new(config).expect("producer");
    producer
        .init_transactions(Duration::from_secs(30))
        .await
        .expect("init transactions");
    producer.begin_transaction().await.expect("begin");
    producer
        .send(
            ProducerRecord::new(&topic)
                .partition(0)
                .value("in a transaction"),
        )
        .await
        .expect("queued")
        .await
        .expect("delivered");

    let ongoing = admin
        .list_transactions(&["Ongoing"], &[])
        .await
        .expect("list");
    let listed = ongoing
        .iter()
        .find(|t| t.transactional_id == txn_id)
        .expect("our transaction is listed as ongoing");
    let described = admin
        .describe_transactions(&[&txn_id])
        .await
        .expect("describe");
    let d = described[0].result.as_ref().expect("described");
    assert_eq!(d.state, "Ongoing");
    assert_eq!(d.producer_id, listed.producer_id);
    assert_eq!(d.partitions, vec![TopicPartition::new(&topic, 0)]);
    assert!(d.start_time_ms > 0);
    let producers = admin
        .describe_producers(&[TopicPartition::new(&topic, 0)])
        .await
        .expect("describe producers");
    let states = producers[0].result.as_ref().expect("producers described");
    let ours = states
        .iter()
        .find(|p| p.producer_id == d.producer_id)
        .expect("our producer is active on the partition");
    assert_eq!(ours.current_txn_start_offset, Some(0));
    assert_eq!(ours.last_sequence, 0);

    producer
        .commit_transaction(Duration::from_secs(30))
        .await
        .expect("commit");
    eventually("the transaction completes", || async {
        let d = admin
            .describe_transactions(&[&txn_id])
            .await
            .expect("describe");
        d[0].result
            .as_ref()
            .is_ok_and(|t| t.state == "CompleteCommit")
    })
    .await;
    let missing = unique("admin-no-txn");
    let none = admin
        .describe_transactions(&[&missing])
        .await
        .expect("describe");
    assert_eq!(
        none[0].result.as_ref().err().and_then(|e| e.kafka_code()),
        Some(ErrorCode::TransactionalIdNotFound)
    );
    producer.close(Duration::from_secs(5)).await;
    admin.delete_topic(&topic).await.expect("delete topic");
}
