//! The cluster's part of a client's [`Statistics`]: the brokers (their
//! connections' counters) and the metadata's view of each partition.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use tokio::time::Instant;

use super::pool::counters_of;
use super::Cluster;
use crate::statistics::{unix_time, BrokerStatistics, Statistics, TopparStatistics};

/// The monotonic clock statistics report (`ts`), from the first use.
fn micros_since_start() -> i64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    start.elapsed().as_micros() as i64
}

impl Cluster {
    /// A client's statistics with the cluster's part filled in: the top
    /// level (`name`, `type` is `kind`, clocks, `metadata_cache_cnt`) and
    /// every broker known (from metadata or bootstrap), each with the
    /// partitions it leads among the topics asked about. `reset` starts
    /// new rtt windows (the periodic statistics do; an on-demand call
    /// does not).
    pub(crate) fn statistics(&self, name: &str, kind: &str, reset: bool) -> Statistics {
        let metadata = self.metadata();
        let mut brokers: BTreeMap<String, BrokerStatistics> = BTreeMap::new();
        let mut add = |address: &str, node_id: Option<i32>| {
            let counters = counters_of(&self.inner.counters, address);
            let mut b = counters.statistics(reset);
            b.name = match node_id {
                Some(id) => format!("{address}/{id}"),
                None => format!("{address}/bootstrap"),
            };
            b.nodeid = node_id.unwrap_or(-1);
            b.nodename = address.to_owned();
            b.source = if node_id.is_some() {
                "learned"
            } else {
                "configured"
            }
            .into();
            if let Some(id) = node_id {
                b.toppars = metadata
                    .topics()
                    .flat_map(|t| {
                        t.partitions
                            .iter()
                            .filter(move |p| p.leader == id)
                            .map(move |p| (t.name.clone(), p.partition))
                    })
                    .map(|(topic, partition)| {
                        (
                            format!("{topic}-{partition}"),
                            TopparStatistics { topic, partition },
                        )
                    })
                    .collect();
            }
            brokers.insert(b.name.clone(), b);
        };
        let mut known: Vec<&str> = Vec::new();
        for b in metadata.brokers() {
            add(&b.address, Some(b.node_id));
            known.push(&b.address);
        }
        for address in &self.inner.config.bootstrap_servers {
            if !known.contains(&address.as_str()) {
                add(address, None);
            }
        }
        Statistics {
            name: name.to_owned(),
            client_id: self.inner.config.client_id.clone(),
            kind: kind.to_owned(),
            ts: micros_since_start(),
            time: unix_time(),
            metadata_cache_cnt: metadata.topics().count() as i64,
            brokers,
            ..Default::default()
        }
    }

    /// Sets each partition's `leader` and `unknown` from the metadata.
    pub(crate) fn fill_leaders(&self, stats: &mut Statistics) {
        let metadata = self.metadata();
        for t in stats.topics.values_mut() {
            let info = metadata.topic(&t.topic);
            for p in t.partitions.values_mut() {
                match info.and_then(|i| i.partition(p.partition)) {
                    Some(m) => p.leader = m.leader,
                    None => p.unknown = true,
                }
            }
        }
    }
}
