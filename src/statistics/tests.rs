//! The JSON against librdkafka's documented field names (STATISTICS.md).

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

/// librdkafka's documented fields, section by section (STATISTICS.md;
/// `txn_state` is what librdkafka's `rd_kafka_stats_emit_eos` writes
/// beside the documented `eos` fields).
const TOP: &[&str] = &[
    "name",
    "client_id",
    "type",
    "ts",
    "time",
    "age",
    "replyq",
    "msg_cnt",
    "msg_size",
    "msg_max",
    "msg_size_max",
    "tx",
    "txbytes",
    "rx",
    "rxbytes",
    "txmsgs",
    "txmsg_bytes",
    "rxmsgs",
    "rxmsg_bytes",
    "simple_cnt",
    "metadata_cache_cnt",
    "brokers",
    "topics",
    "cgrp",
    "eos",
];
const BROKER: &[&str] = &[
    "name",
    "nodeid",
    "nodename",
    "source",
    "state",
    "stateage",
    "outbuf_cnt",
    "outbuf_msg_cnt",
    "waitresp_cnt",
    "waitresp_msg_cnt",
    "tx",
    "txbytes",
    "txerrs",
    "txretries",
    "txidle",
    "req_timeouts",
    "rx",
    "rxbytes",
    "rxerrs",
    "rxcorriderrs",
    "rxpartial",
    "rxidle",
    "req",
    "zbuf_grow",
    "buf_grow",
    "wakeups",
    "connects",
    "disconnects",
    "int_latency",
    "outbuf_latency",
    "rtt",
    "throttle",
    "toppars",
];
const WINDOW: &[&str] = &[
    "min",
    "max",
    "avg",
    "sum",
    "cnt",
    "stddev",
    "hdrsize",
    "p50",
    "p75",
    "p90",
    "p95",
    "p99",
    "p99_99",
    "outofrange",
];
const TOPPAR: &[&str] = &["topic", "partition"];
const TOPIC: &[&str] = &[
    "topic",
    "age",
    "metadata_age",
    "batchsize",
    "batchcnt",
    "partitions",
];
const PARTITION: &[&str] = &[
    "partition",
    "broker",
    "leader",
    "desired",
    "unknown",
    "msgq_cnt",
    "msgq_bytes",
    "xmit_msgq_cnt",
    "xmit_msgq_bytes",
    "fetchq_cnt",
    "fetchq_size",
    "fetch_state",
    "query_offset",
    "next_offset",
    "app_offset",
    "stored_offset",
    "stored_leader_epoch",
    "commited_offset",
    "committed_offset",
    "committed_leader_epoch",
    "eof_offset",
    "lo_offset",
    "hi_offset",
    "ls_offset",
    "consumer_lag",
    "consumer_lag_stored",
    "leader_epoch",
    "txmsgs",
    "txbytes",
    "rxmsgs",
    "rxbytes",
    "msgs",
    "rx_ver_drops",
    "msgs_inflight",
    "next_ack_seq",
    "next_err_seq",
    "acked_msgid",
];
const CGRP: &[&str] = &[
    "state",
    "stateage",
    "joinstate",
    "rebalance_age",
    "rebalance_cnt",
    "rebalance_reason",
    "assignment_size",
];
const EOS: &[&str] = &[
    "idemp_state",
    "idemp_stateage",
    "txn_state",
    "txn_stateage",
    "txn_may_enq",
    "producer_id",
    "producer_epoch",
    "epoch_cnt",
];

/// The fields the issue asks for, which must be present.
const REQUIRED_BROKER: &[&str] = &[
    "state",
    "rtt",
    "outbuf_cnt",
    "waitresp_cnt",
    "tx",
    "txbytes",
    "rx",
    "rxbytes",
    "txerrs",
    "rxerrs",
    "req_timeouts",
    "connects",
    "disconnects",
];
const REQUIRED_PARTITION: &[&str] = &[
    "msgq_cnt",
    "msgq_bytes",
    "txmsgs",
    "rxmsgs",
    "consumer_lag",
    "fetchq_cnt",
    "committed_offset",
    "stored_offset",
    "hi_offset",
    "lo_offset",
    "leader",
];
const REQUIRED_CGRP: &[&str] = &["state", "rebalance_cnt", "assignment_size"];
const REQUIRED_EOS: &[&str] = &["idemp_state", "producer_id", "producer_epoch", "txn_state"];

fn full() -> Statistics {
    let mut s = Statistics {
        name: "ferrokafka#consumer-1".into(),
        client_id: "ferrokafka".into(),
        kind: "consumer".into(),
        ..Default::default()
    };
    let mut window = Window::default();
    window.record(1500);
    let broker = BrokerStatistics {
        name: "localhost:9092/1".into(),
        nodeid: 1,
        req: BTreeMap::from([("Fetch".to_owned(), 3)]),
        rtt: window.statistics(),
        toppars: BTreeMap::from([(
            "t-0".to_owned(),
            TopparStatistics {
                topic: "t".into(),
                partition: 0,
            },
        )]),
        ..Default::default()
    };
    s.brokers.insert(broker.name.clone(), broker);
    s.partition("t", 0).rxmsgs = 5;
    s.cgrp = Some(GroupStatistics::default());
    s.eos = Some(EosStatistics::default());
    s
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

fn only_documented(v: &Value, documented: &[&str], what: &str) {
    for k in keys(v) {
        assert!(
            documented.contains(&k.as_str()),
            "{what}.{k} is not one of librdkafka's field names"
        );
    }
}

fn has(v: &Value, required: &[&str], what: &str) {
    for k in required {
        assert!(v.get(k).is_some(), "{what}.{k} missing");
    }
}

#[test]
fn json_uses_librdkafkas_field_names_and_has_those_asked_for() {
    let v: Value = serde_json::from_str(&full().to_json()).expect("valid JSON");
    only_documented(&v, TOP, "top");
    assert_eq!(v["type"], "consumer");
    let b = &v["brokers"]["localhost:9092/1"];
    only_documented(b, BROKER, "brokers");
    has(b, REQUIRED_BROKER, "brokers");
    only_documented(&b["rtt"], WINDOW, "rtt");
    has(&b["rtt"], &["avg", "p99"], "rtt");
    assert_eq!(b["rtt"]["cnt"], 1);
    assert_eq!(b["req"]["Fetch"], 3);
    only_documented(&b["toppars"]["t-0"], TOPPAR, "toppars");
    let t = &v["topics"]["t"];
    only_documented(t, TOPIC, "topics");
    let p = &t["partitions"]["0"];
    only_documented(p, PARTITION, "partitions");
    has(p, REQUIRED_PARTITION, "partitions");
    assert_eq!(p["rxmsgs"], 5);
    assert_eq!(p["committed_offset"], OFFSET_INVALID);
    assert_eq!(p["consumer_lag"], -1);
    only_documented(&v["cgrp"], CGRP, "cgrp");
    has(&v["cgrp"], REQUIRED_CGRP, "cgrp");
    only_documented(&v["eos"], EOS, "eos");
    has(&v["eos"], REQUIRED_EOS, "eos");
}

#[test]
fn json_round_trips_and_leaves_out_absent_sections() {
    let s = full();
    let back: Statistics = serde_json::from_str(&s.to_json()).expect("parses back");
    assert_eq!(back, s);
    let producer = Statistics::default();
    let v: Value = serde_json::from_str(&producer.to_json()).expect("valid JSON");
    assert!(v.get("cgrp").is_none() && v.get("eos").is_none());
}

#[test]
fn totals_and_lag_are_computed_as_librdkafka_does() {
    let mut s = full();
    s.brokers.values_mut().for_each(|b| b.tx = 4);
    s.partition("t", 1).txmsgs = 7;
    s.sum_up();
    assert_eq!((s.tx, s.txmsgs, s.rxmsgs), (4, 7, 5));
    let p = s.partition("t", 0);
    p.hi_offset = 100;
    p.compute_lag();
    assert_eq!(p.consumer_lag, -1, "nothing read or committed: unknown");
    p.committed_offset = 40;
    p.app_offset = 60;
    p.compute_lag();
    assert_eq!(p.consumer_lag, 40, "hi - max(app, committed)");
}
