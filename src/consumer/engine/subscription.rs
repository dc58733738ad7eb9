//! What the consumer reads beyond what the group hands it: partitions the
//! application adds and removes itself (`incremental_assign`,
//! `incremental_unassign`), and subscriptions with patterns under the
//! classic protocol: a name starting with `^` is a regular expression,
//! matched here, librdkafka-style, against every topic the metadata lists
//! (internal topics left out); each new snapshot is matched again, and a
//! changed set of topics is a new subscription (the member rejoins).

use std::collections::BTreeSet;

use regex::Regex;
use tokio::time::Instant;

use super::group;
use super::{Engine, Spec};
use crate::cluster::ClusterMetadata;
use crate::config::GroupProtocol;
use crate::consumer::Tp;

/// A subscription with patterns: its plain names, its patterns, and the
/// topics it came to (the plain names and every match) last time.
#[derive(Debug)]
pub(super) struct Patterns {
    names: Vec<String>,
    regexes: Vec<Regex>,
    matched: BTreeSet<String>,
}

impl Patterns {
    /// Splits `topics` into names and patterns; `None` when there is no
    /// pattern. The handle checked that every pattern compiles.
    pub(super) fn new(topics: &[String]) -> Option<Patterns> {
        let mut names = Vec::new();
        let mut regexes = Vec::new();
        for t in topics {
            if t.starts_with('^') {
                // Checked by the handle; one that still fails matches nothing.
                if let Ok(r) = Regex::new(t) {
                    regexes.push(r);
                }
            } else {
                names.push(t.clone());
            }
        }
        if regexes.is_empty() {
            return None;
        }
        Some(Patterns {
            names,
            regexes,
            matched: BTreeSet::new(),
        })
    }

    /// The topics the subscription stands for in `snapshot`.
    fn resolve(&self, snapshot: &ClusterMetadata) -> BTreeSet<String> {
        let mut topics: BTreeSet<String> = self.names.iter().cloned().collect();
        for t in snapshot.topics() {
            if !snapshot.is_internal(&t.name) && self.regexes.iter().any(|r| r.is_match(&t.name)) {
                topics.insert(t.name.clone());
            }
        }
        topics
    }
}

impl Engine {
    /// Subscribes to `topics` (names and `^patterns`).
    pub(super) fn subscribe(&mut self, topics: Vec<String>, now: Instant) {
        let names: Vec<String> = topics
            .iter()
            .filter(|t| !t.starts_with('^'))
            .cloned()
            .collect();
        self.cluster.add_topics(&names);
        if !names.is_empty() {
            self.check_topics(names.clone());
        }
        if self.config.group_protocol == GroupProtocol::Consumer {
            // Under KIP-848 a `^` entry is a pattern the broker matches.
            self.membership
                .get_or_insert_with(|| group::new_member(&self.config, now))
                .subscribe(topics, now);
            return;
        }
        self.patterns = Patterns::new(&topics);
        self.cluster.set_all_topics(self.patterns.is_some());
        let m = self
            .membership
            .get_or_insert_with(|| group::new_member(&self.config, now));
        match &mut self.patterns {
            None => m.subscribe(topics, now),
            Some(p) => {
                let snapshot = self.metadata.borrow().clone();
                p.matched = p.resolve(&snapshot);
                m.subscribe(p.matched.iter().cloned().collect(), now);
                // The snapshot so far holds only the topics asked about:
                // ask about them all now rather than at the next refresh.
                self.refresh_metadata();
            }
        }
    }

    /// Matches the patterns against a new snapshot; a different set of
    /// topics becomes the membership's new subscription.
    pub(super) fn match_patterns(&mut self, snapshot: &ClusterMetadata, now: Instant) {
        let (Some(p), Some(m)) = (self.patterns.as_mut(), self.membership.as_mut()) else {
            return;
        };
        let topics = p.resolve(snapshot);
        if topics == p.matched {
            return;
        }
        tracing::info!(
            topics = ?topics,
            "the subscription's patterns match a new set of topics"
        );
        self.cluster.add_topics(&topics);
        p.matched = topics;
        m.subscribe(p.matched.iter().cloned().collect(), now);
    }

    /// Adds partitions to a manual assignment (those already assigned keep
    /// their position).
    pub(super) fn assign_more(&mut self, list: Vec<(Tp, Spec)>) {
        self.cluster.add_topics(list.iter().map(|(tp, _)| &*tp.0));
        let fresh: Vec<(Tp, Spec)> = list
            .into_iter()
            .filter(|(tp, _)| !self.parts.contains_key(tp))
            .collect();
        self.add_parts(fresh);
    }

    /// Removes partitions from a manual assignment: nothing more is
    /// fetched for them, and what is in flight is dropped (its epoch is
    /// gone).
    pub(super) fn unassign(&mut self, tps: &[Tp]) {
        for tp in tps {
            if self.parts.remove(tp).is_some() {
                self.split_taken_away(tp, None);
            }
        }
        let parts = &self.parts;
        self.shared.retain_watermarks(|tp| parts.contains_key(tp));
    }
}

#[cfg(test)]
mod tests {
    use ferrokafka_protocol::messages::metadata::{
        MetadataResponsePartition, MetadataResponseTopic,
    };
    use ferrokafka_protocol::messages::MetadataResponse;

    use super::*;

    fn snapshot(topics: &[(&str, bool)]) -> ClusterMetadata {
        ClusterMetadata::from_response(&MetadataResponse {
            topics: topics
                .iter()
                .map(|(name, internal)| MetadataResponseTopic {
                    name: Some((*name).into()),
                    is_internal: *internal,
                    partitions: vec![MetadataResponsePartition::default()],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn patterns_match_names_internal_topics_left_out() {
        let subscription = vec![
            "^metrics-.*".to_owned(),
            "^__.*".to_owned(),
            "audit".to_owned(),
        ];
        let p = Patterns::new(&subscription).expect("has patterns");
        let m = snapshot(&[
            ("metrics-a", false),
            ("metrics-b", false),
            ("xmetrics-c", false),
            ("__consumer_offsets", true),
            ("__mine", false),
            ("other", false),
        ]);
        let got: Vec<String> = p.resolve(&m).into_iter().collect();
        // `audit` stays a name, even before it exists; `__mine` is not
        // internal, only marked topics are left out.
        assert_eq!(got, ["__mine", "audit", "metrics-a", "metrics-b"]);
    }

    #[test]
    fn a_subscription_without_patterns_is_plain() {
        assert!(Patterns::new(&["metrics".to_owned(), "a^b".to_owned()]).is_none());
    }
}
