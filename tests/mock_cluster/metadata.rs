//! ApiVersions, Metadata, CreateTopics and DeleteTopics.

use bytes::{BufMut, BytesMut};
use ferrokafka_protocol::messages::create_topics::CreatableTopic;
use ferrokafka_protocol::messages::delete_topics::DeleteTopicState;
use ferrokafka_protocol::messages::metadata::MetadataRequestTopic;
use ferrokafka_protocol::messages::{
    ApiVersionsResponse, CreateTopicsRequest, DeleteTopicsRequest, DescribeConfigsRequest,
    MetadataRequest,
};
use ferrokafka_protocol::{decode_body, ApiKey, Encode, ErrorCode, RequestHeader, SUPPORTED_APIS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

fn metadata_for(names: &[&str]) -> MetadataRequest {
    MetadataRequest {
        topics: Some(
            names
                .iter()
                .map(|n| MetadataRequestTopic {
                    name: Some((*n).into()),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

#[tokio::test]
async fn api_versions_announces_every_range_of_the_protocol_crate_it_serves() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    for api in SUPPORTED_APIS {
        if !ferrokafka_mock::SERVED_APIS.contains(&api.api_key) {
            // Not served, so not announced: a client sees a broker
            // without it (ConsumerGroupHeartbeat: a broker before 4.0).
            assert_eq!(
                conn.versions().broker_range(api.api_key),
                None,
                "{}",
                api.name
            );
            continue;
        }
        assert_eq!(
            conn.versions().broker_range(api.api_key),
            Some((api.min_version, api.max_version)),
            "{}",
            api.name
        );
        // AddPartitionsToTxn v4+ is the brokers' own batched form.
        let client_max = if api.api_key == ApiKey::AddPartitionsToTxn {
            3
        } else {
            api.max_version
        };
        assert_eq!(
            conn.version_for(api.api_key).expect("negotiated"),
            client_max,
            "{}",
            api.name
        );
    }
}

/// Opens a connection to broker 0 and sends one request frame by hand: a
/// v2 header for `api` at `version`, then whatever `body` appends.
async fn send_raw(
    cluster: &MockCluster,
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    body: impl FnOnce(&mut BytesMut),
) -> TcpStream {
    let mut socket = TcpStream::connect(cluster.broker_address(0).expect("addr"))
        .await
        .expect("connects");
    let mut frame = BytesMut::new();
    frame.put_i32(0);
    RequestHeader {
        request_api_key: api as i16,
        request_api_version: version,
        correlation_id,
        client_id: Some("raw".into()),
        unknown_tagged_fields: vec![],
    }
    .encode(&mut frame, 2)
    .expect("header");
    body(&mut frame);
    let size = (frame.len() - 4) as i32;
    frame[..4].copy_from_slice(&size.to_be_bytes());
    socket.write_all(&frame).await.expect("sent");
    socket
}

#[tokio::test]
async fn api_versions_above_ours_is_answered_in_v0_with_unsupported_version() {
    let cluster = MockCluster::start(1).await.expect("starts");
    // A body from the future, which the mock must not try to read.
    let mut socket = send_raw(&cluster, ApiKey::ApiVersions, 99, 42, |frame| {
        frame.put_slice(&[7, 7, 7]);
    })
    .await;

    let size = socket.read_i32().await.expect("size") as usize;
    let mut body = vec![0u8; size];
    socket.read_exact(&mut body).await.expect("body");
    let mut body = Bytes::from(body);
    let header = ferrokafka_protocol::ResponseHeader::decode(&mut body, 0).expect("header v0");
    assert_eq!(header.correlation_id, 42);
    let r: ApiVersionsResponse = decode_body(body, 0).expect("a v0 body");
    assert_eq!(r.error_code, ErrorCode::UnsupportedVersion.code());
    assert_eq!(r.api_keys.len(), ferrokafka_mock::SERVED_APIS.len());
}

/// The mock decodes only the APIs it serves (not the protocol crate's
/// `RequestBody::decode`, whose server half of every admin codec would
/// ride along in each binary embedding it): any other API closes the
/// connection, as Kafka does, and is recorded without a body.
#[tokio::test]
async fn a_request_to_an_api_it_does_not_serve_closes_the_connection() {
    let cluster = MockCluster::start(1).await.expect("starts");
    assert!(!ferrokafka_mock::SERVED_APIS.contains(&ApiKey::DescribeConfigs));
    let mut socket = send_raw(&cluster, ApiKey::DescribeConfigs, 4, 7, |frame| {
        DescribeConfigsRequest::default()
            .encode(frame, 4)
            .expect("body");
    })
    .await;

    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut rest))
        .await
        .expect("closed, not left hanging");
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "no response: {read:?}"
    );
    let seen = cluster.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].api_key, ApiKey::DescribeConfigs);
    assert_eq!(seen[0].correlation_id, 7);
    assert!(seen[0].body.is_none(), "{:?}", seen[0].body);
}

#[tokio::test]
async fn metadata_lists_brokers_controller_topics_leaders_and_ids() {
    let cluster = MockCluster::start(3).await.expect("starts");
    let id = cluster.create_topic("t", 3, 2).expect("created");
    let conn = connect(&cluster, 1).await;
    let m = conn
        .send(&MetadataRequest {
            topics: None,
            ..Default::default()
        })
        .await
        .expect("answered");
    assert_eq!(m.brokers.len(), 3);
    let ports: Vec<String> = m
        .brokers
        .iter()
        .map(|b| format!("{}:{}", b.host, b.port))
        .collect();
    assert_eq!(ports.join(","), cluster.bootstrap_servers());
    assert_eq!(m.controller_id, 0);
    assert!(m.cluster_id.is_some());
    assert_eq!(m.topics.len(), 1);
    let t = &m.topics[0];
    assert_eq!(
        (t.error_code, t.name.as_deref(), t.topic_id),
        (0, Some("t"), id)
    );
    let leaders: Vec<i32> = t.partitions.iter().map(|p| p.leader_id).collect();
    assert_eq!(leaders, vec![0, 1, 2]);
    assert_eq!(t.partitions[2].replica_nodes, vec![2, 0]);
    assert_eq!(t.partitions[2].isr_nodes, vec![2, 0]);
    assert_eq!(t.partitions[2].leader_epoch, 0);

    // v0 names the topics it wants, and gets them.
    let old = conn
        .send_version(&metadata_for(&["t"]), 0)
        .await
        .expect("v0 answered");
    assert_eq!(old.topics[0].partitions.len(), 3);
    // v12 asks by id.
    let by_id = MetadataRequest {
        topics: Some(vec![MetadataRequestTopic {
            topic_id: id,
            name: None,
            ..Default::default()
        }]),
        ..Default::default()
    };
    let r = conn.send_version(&by_id, 12).await.expect("v12 answered");
    assert_eq!(r.topics[0].name.as_deref(), Some("t"));
}

#[tokio::test]
async fn unknown_topics_are_refused_unless_auto_creation_is_on() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    let r = conn.send(&metadata_for(&["nope"])).await.expect("answered");
    assert_eq!(
        r.topics[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    assert!(r.topics[0].partitions.is_empty());

    cluster.set_auto_create_topics(true);
    cluster.set_default_partitions(4);
    let mut refuse = metadata_for(&["still-nope"]);
    refuse.allow_auto_topic_creation = false;
    let r = conn.send(&refuse).await.expect("answered");
    assert_eq!(
        r.topics[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code()
    );
    let r = conn.send(&metadata_for(&["nope"])).await.expect("answered");
    assert_eq!(r.topics[0].error_code, 0);
    assert_eq!(r.topics[0].partitions.len(), 4);
    assert_eq!(cluster.leader_of("nope", 3), Ok(1));
}

#[tokio::test]
async fn create_and_delete_topics_over_the_wire() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let conn = connect(&cluster, 1).await;
    let topic = |name: &str, partitions: i32, replication: i16| CreatableTopic {
        name: name.into(),
        num_partitions: partitions,
        replication_factor: replication,
        ..Default::default()
    };
    let r = conn
        .send(&CreateTopicsRequest {
            topics: vec![topic("a", 2, 2), topic("b", 1, 3), topic("", 1, 1)],
            ..Default::default()
        })
        .await
        .expect("answered");
    let codes: Vec<i16> = r.topics.iter().map(|t| t.error_code).collect();
    assert_eq!(
        codes,
        vec![
            0,
            ErrorCode::InvalidReplicationFactor.code(),
            ErrorCode::InvalidTopicException.code()
        ]
    );
    assert_eq!(r.topics[0].num_partitions, 2);
    assert_ne!(r.topics[0].topic_id, Uuid::ZERO);
    let again = conn
        .send(&CreateTopicsRequest {
            topics: vec![topic("a", 2, 2)],
            validate_only: true,
            ..Default::default()
        })
        .await
        .expect("answered");
    assert_eq!(
        again.topics[0].error_code,
        ErrorCode::TopicAlreadyExists.code()
    );

    let delete = DeleteTopicsRequest {
        topics: vec![
            DeleteTopicState {
                name: Some("a".into()),
                ..Default::default()
            },
            DeleteTopicState {
                name: None,
                topic_id: Uuid([9; 16]),
                ..Default::default()
            },
        ],
        topic_names: vec!["a".into()],
        ..Default::default()
    };
    let r = conn.send(&delete).await.expect("v6 answered");
    let codes: Vec<i16> = r.responses.iter().map(|t| t.error_code).collect();
    assert_eq!(codes, vec![0, ErrorCode::UnknownTopicId.code()]);
    let r = conn.send_version(&delete, 3).await.expect("v3 answered");
    assert_eq!(
        r.responses[0].error_code,
        ErrorCode::UnknownTopicOrPartition.code(),
        "already gone"
    );
    assert!(cluster.leader_of("a", 0).is_err());
}
