//! FindCoordinator, the classic group protocol over the wire, and
//! OffsetCommit / OffsetFetch in their old and new shapes.

use ferrokafka_protocol::messages::join_group::JoinGroupRequestProtocol;
use ferrokafka_protocol::messages::leave_group::MemberIdentity;
use ferrokafka_protocol::messages::offset_commit::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use ferrokafka_protocol::messages::offset_fetch::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use ferrokafka_protocol::messages::sync_group::SyncGroupRequestAssignment;
use ferrokafka_protocol::messages::{
    FindCoordinatorRequest, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse,
    LeaveGroupRequest, OffsetCommitRequest, OffsetFetchRequest, SyncGroupRequest,
};
use ferrokafka_protocol::ErrorCode;

use super::*;

fn join(member_id: &str, session_timeout_ms: i32) -> JoinGroupRequest {
    JoinGroupRequest {
        group_id: "g".into(),
        session_timeout_ms,
        rebalance_timeout_ms: 10_000,
        member_id: member_id.into(),
        protocol_type: "consumer".into(),
        protocols: vec![JoinGroupRequestProtocol {
            name: "range".into(),
            metadata: Bytes::from(format!("subscription of {member_id}")),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// JoinGroup with the MEMBER_ID_REQUIRED dance; returns the first answer's
/// member id.
async fn member_id(conn: &Connection) -> String {
    let r = conn.send(&join("", 10_000)).await.expect("answered");
    assert_eq!(r.error_code, ErrorCode::MemberIdRequired.code());
    assert!(!r.member_id.is_empty());
    r.member_id
}

async fn heartbeat(conn: &Connection, member: &str, generation: i32) -> i16 {
    conn.send(&HeartbeatRequest {
        group_id: "g".into(),
        generation_id: generation,
        member_id: member.into(),
        ..Default::default()
    })
    .await
    .expect("answered")
    .error_code
}

fn sync(member: &str, generation: i32, assignments: &[(&str, &str)]) -> SyncGroupRequest {
    SyncGroupRequest {
        group_id: "g".into(),
        generation_id: generation,
        member_id: member.into(),
        protocol_type: Some("consumer".into()),
        protocol_name: Some("range".into()),
        assignments: assignments
            .iter()
            .map(|(m, a)| SyncGroupRequestAssignment {
                member_id: (*m).into(),
                assignment: Bytes::from((*a).to_owned()),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn find_coordinator_answers_one_key_and_many() {
    let cluster = MockCluster::start(3).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    let old = conn
        .send_version(
            &FindCoordinatorRequest {
                key: "g".into(),
                ..Default::default()
            },
            3,
        )
        .await
        .expect("v3 answered");
    assert_eq!(old.error_code, 0);
    assert_eq!(old.node_id, cluster.coordinator_for("g"));
    assert_eq!(
        format!("{}:{}", old.host, old.port),
        cluster.broker_address(old.node_id).expect("addr")
    );
    let new = conn
        .send(&FindCoordinatorRequest {
            coordinator_keys: vec!["g".into(), "other".into()],
            ..Default::default()
        })
        .await
        .expect("v6 answered");
    let nodes: Vec<i32> = new.coordinators.iter().map(|c| c.node_id).collect();
    assert_eq!(
        nodes,
        vec![
            cluster.coordinator_for("g"),
            cluster.coordinator_for("other")
        ]
    );
}

#[tokio::test]
async fn two_members_join_sync_heartbeat_and_one_leaves() {
    let cluster = MockCluster::start(3).await.expect("starts");
    let coordinator = cluster.coordinator_for("g");
    let a = connect(&cluster, coordinator).await;
    let b = connect(&cluster, coordinator).await;
    let elsewhere = connect(&cluster, (coordinator + 1) % 3).await;
    let r = elsewhere.send(&join("", 10_000)).await.expect("answered");
    assert_eq!(r.error_code, ErrorCode::NotCoordinator.code());

    // a joins alone and leads generation 1.
    let a_id = member_id(&a).await;
    let r = a.send(&join(&a_id, 10_000)).await.expect("answered");
    assert_eq!((r.error_code, r.generation_id), (0, 1));
    assert_eq!(r.leader, a_id);
    let r = a
        .send(&sync(&a_id, 1, &[(&a_id, "all")]))
        .await
        .expect("answered");
    assert_eq!(r.assignment, Bytes::from_static(b"all"));

    // b joins; its JoinGroup waits for a to rejoin, which a learns from
    // its heartbeat.
    let b_id = member_id(&b).await;
    let b_join = {
        let (b, b_id) = (b.clone(), b_id.clone());
        tokio::spawn(async move { b.send(&join(&b_id, 10_000)).await })
    };
    let mut code = 0;
    for _ in 0..100 {
        code = heartbeat(&a, &a_id, 1).await;
        if code != 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(code, ErrorCode::RebalanceInProgress.code());
    let ra: JoinGroupResponse = a.send(&join(&a_id, 10_000)).await.expect("answered");
    let rb = b_join.await.expect("task").expect("answered");
    assert_eq!((ra.error_code, rb.error_code), (0, 0));
    assert_eq!((ra.generation_id, rb.generation_id), (2, 2));
    assert_eq!(
        (ra.leader.as_str(), rb.leader.as_str()),
        (a_id.as_str(), a_id.as_str())
    );
    assert_eq!(ra.protocol_name.as_deref(), Some("range"));
    let mut seen: Vec<&str> = ra.members.iter().map(|m| m.member_id.as_str()).collect();
    seen.sort_unstable();
    let mut want = vec![a_id.as_str(), b_id.as_str()];
    want.sort_unstable();
    assert_eq!(seen, want, "the leader gets every member");
    assert!(rb.members.is_empty());

    // b's SyncGroup waits for the leader's.
    let b_sync = {
        let (b, b_id) = (b.clone(), b_id.clone());
        tokio::spawn(async move { b.send(&sync(&b_id, 2, &[])).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!b_sync.is_finished(), "followers wait for the leader");
    let ra = a
        .send(&sync(&a_id, 2, &[(&a_id, "p0"), (&b_id, "p1")]))
        .await
        .expect("answered");
    let rb = b_sync.await.expect("task").expect("answered");
    assert_eq!(ra.assignment, Bytes::from_static(b"p0"));
    assert_eq!(rb.assignment, Bytes::from_static(b"p1"));
    assert_eq!(rb.protocol_name.as_deref(), Some("range"));
    assert_eq!(heartbeat(&a, &a_id, 2).await, 0);
    assert_eq!(heartbeat(&b, &b_id, 2).await, 0);
    assert_eq!(
        heartbeat(&b, &b_id, 1).await,
        ErrorCode::IllegalGeneration.code()
    );

    // b leaves (v5, batched); a must rejoin.
    let r = b
        .send(&LeaveGroupRequest {
            group_id: "g".into(),
            members: vec![MemberIdentity {
                member_id: b_id.clone(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("answered");
    assert_eq!((r.error_code, r.members[0].error_code), (0, 0));
    assert_eq!(
        heartbeat(&a, &a_id, 2).await,
        ErrorCode::RebalanceInProgress.code()
    );
    assert_eq!(
        heartbeat(&b, &b_id, 2).await,
        ErrorCode::UnknownMemberId.code()
    );
    let r = a.send(&join(&a_id, 10_000)).await.expect("answered");
    assert_eq!((r.generation_id, r.members.len()), (3, 1));
    // v0-2 leave one member by id.
    let r = a
        .send_version(
            &LeaveGroupRequest {
                group_id: "g".into(),
                member_id: a_id.clone(),
                ..Default::default()
            },
            1,
        )
        .await
        .expect("answered");
    assert_eq!(r.error_code, 0);
}

#[tokio::test]
async fn a_silent_member_is_dropped_after_its_session_timeout() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    let id = member_id(&conn).await;
    let r = conn.send(&join(&id, 500)).await.expect("answered");
    assert_eq!(r.error_code, 0);
    assert_eq!(heartbeat(&conn, &id, 1).await, 0);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        heartbeat(&conn, &id, 1).await,
        ErrorCode::UnknownMemberId.code()
    );
}

#[tokio::test]
async fn committed_offsets_come_back_in_every_shape() {
    let cluster = MockCluster::start(2).await.expect("starts");
    let t = create(&cluster, "t", 2);
    let coordinator = cluster.coordinator_for("g");
    let conn = connect(&cluster, coordinator).await;
    let commit = OffsetCommitRequest {
        group_id: "g".into(),
        topics: vec![OffsetCommitRequestTopic {
            name: "t".into(),
            topic_id: t.id,
            partitions: vec![
                OffsetCommitRequestPartition {
                    partition_index: 1,
                    committed_offset: 42,
                    committed_leader_epoch: 3,
                    committed_metadata: Some("meta".into()),
                    ..Default::default()
                },
                OffsetCommitRequestPartition {
                    partition_index: 9,
                    committed_offset: 1,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        ..Default::default()
    };
    // v2 has no leader epoch: the v10 commit, last, stores it.
    for version in [2, 10] {
        let r = conn.send_version(&commit, version).await.expect("answered");
        let codes: Vec<i16> = r.topics[0]
            .partitions
            .iter()
            .map(|p| p.error_code)
            .collect();
        assert_eq!(
            codes,
            vec![0, ErrorCode::UnknownTopicOrPartition.code()],
            "v{version}"
        );
    }
    // v1-7: one group.
    let old = OffsetFetchRequest {
        group_id: "g".into(),
        topics: Some(vec![OffsetFetchRequestTopic {
            name: "t".into(),
            partition_indexes: vec![0, 1],
            ..Default::default()
        }]),
        ..Default::default()
    };
    for version in [1, 7] {
        let r = conn.send_version(&old, version).await.expect("answered");
        let got: Vec<(i32, i64)> = r.topics[0]
            .partitions
            .iter()
            .map(|p| (p.partition_index, p.committed_offset))
            .collect();
        assert_eq!(got, vec![(0, -1), (1, 42)], "v{version}");
        assert_eq!(r.topics[0].partitions[1].metadata.as_deref(), Some("meta"));
    }
    // v8+: several groups, by topic id from v10, all topics when null.
    let new = OffsetFetchRequest {
        groups: vec![
            OffsetFetchRequestGroup {
                group_id: "g".into(),
                topics: Some(vec![OffsetFetchRequestTopics {
                    name: "t".into(),
                    topic_id: t.id,
                    partition_indexes: vec![1],
                    ..Default::default()
                }]),
                ..Default::default()
            },
            OffsetFetchRequestGroup {
                group_id: "g".into(),
                topics: None,
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    for version in [8, 10] {
        let r = conn.send_version(&new, version).await.expect("answered");
        assert_eq!(r.groups.len(), 2);
        for g in &r.groups {
            assert_eq!(g.error_code, 0, "v{version}");
            let p = &g.topics[0].partitions[0];
            assert_eq!(
                (p.partition_index, p.committed_offset),
                (1, 42),
                "v{version}"
            );
            assert_eq!(p.committed_leader_epoch, 3);
        }
        if version >= 10 {
            assert_eq!(r.groups[1].topics[0].topic_id, t.id);
        } else {
            assert_eq!(r.groups[1].topics[0].name, "t");
        }
    }
    // At a broker that does not coordinate the group.
    let other = connect(&cluster, 1 - coordinator).await;
    let r = other.send_version(&old, 7).await.expect("answered");
    assert_eq!(r.error_code, ErrorCode::NotCoordinator.code());
    let r = other.send(&new).await.expect("answered");
    assert_eq!(r.groups[0].error_code, ErrorCode::NotCoordinator.code());
}

#[tokio::test]
async fn commits_from_a_group_member_need_its_generation() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let t = create(&cluster, "t", 1);
    let conn = connect(&cluster, 0).await;
    let id = member_id(&conn).await;
    conn.send(&join(&id, 10_000)).await.expect("joined");
    conn.send(&sync(&id, 1, &[(&id, "x")]))
        .await
        .expect("synced");
    let commit = |generation: i32, member: &str| OffsetCommitRequest {
        group_id: "g".into(),
        generation_id_or_member_epoch: generation,
        member_id: member.into(),
        topics: vec![OffsetCommitRequestTopic {
            name: "t".into(),
            topic_id: t.id,
            partitions: vec![OffsetCommitRequestPartition {
                partition_index: 0,
                committed_offset: 5,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let code = |r: ferrokafka_protocol::messages::OffsetCommitResponse| {
        r.topics[0].partitions[0].error_code
    };
    assert_eq!(code(conn.send(&commit(1, &id)).await.expect("answered")), 0);
    assert_eq!(
        code(conn.send(&commit(7, &id)).await.expect("answered")),
        ErrorCode::IllegalGeneration.code()
    );
    assert_eq!(
        code(conn.send(&commit(1, "stranger")).await.expect("answered")),
        ErrorCode::UnknownMemberId.code()
    );
    assert_eq!(
        code(conn.send(&commit(-1, "")).await.expect("answered")),
        ErrorCode::UnknownMemberId.code(),
        "a live group takes no simple commits"
    );
}

#[tokio::test]
async fn old_joins_and_static_members_skip_the_member_id_dance() {
    let cluster = MockCluster::start(1).await.expect("starts");
    let conn = connect(&cluster, 0).await;
    // v3 predates MEMBER_ID_REQUIRED: the first join is the join.
    let r = conn
        .send_version(&join("", 10_000), 3)
        .await
        .expect("answered");
    assert_eq!((r.error_code, r.generation_id), (0, 1));
    assert!(r.member_id.starts_with("mock-test-"));
    let r = conn
        .send_version(
            &LeaveGroupRequest {
                group_id: "g".into(),
                member_id: r.member_id.clone(),
                ..Default::default()
            },
            0,
        )
        .await
        .expect("answered");
    assert_eq!(r.error_code, 0);

    let mut static_join = join("", 10_000);
    static_join.group_instance_id = Some("pod-1".into());
    let first = conn.send(&static_join).await.expect("answered");
    assert_eq!(first.error_code, 0, "static members get their id at once");
    // The same instance coming back fences its old member id.
    let second = conn.send(&static_join).await.expect("answered");
    assert_eq!(second.error_code, 0);
    assert_ne!(second.member_id, first.member_id);
    let stale = conn
        .send(&HeartbeatRequest {
            group_id: "g".into(),
            generation_id: second.generation_id,
            member_id: first.member_id.clone(),
            group_instance_id: Some("pod-1".into()),
            ..Default::default()
        })
        .await
        .expect("answered");
    assert_eq!(stale.error_code, ErrorCode::UnknownMemberId.code());
    let r = conn
        .send(&LeaveGroupRequest {
            group_id: "g".into(),
            members: vec![MemberIdentity {
                member_id: first.member_id.clone(),
                group_instance_id: Some("pod-1".into()),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("answered");
    assert_eq!(r.members[0].error_code, ErrorCode::FencedInstanceId.code());
}
