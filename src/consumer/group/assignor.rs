//! Partition assignors, as the group leader runs them after JoinGroup:
//! `range` and `roundrobin`, computed exactly as the Java client computes
//! them, so that a group of mixed clients agrees on who owns what, and
//! `cooperative-sticky` (see [`super::sticky`]).

use std::collections::{BTreeMap, HashMap};

use ferrokafka_protocol::consumer_protocol::{ConsumerProtocolSubscription, TopicPartition};

use super::sticky;

/// One member as the leader sees it in the JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// Its static id (`group.instance.id`), if any.
    pub group_instance_id: Option<String>,
    /// What it subscribed to.
    pub subscription: ConsumerProtocolSubscription,
}

impl Member {
    /// Java's `MemberInfo` order: static members by instance id first, then
    /// by member id.
    fn sort_key(&self) -> (u8, &str, &str) {
        match &self.group_instance_id {
            Some(id) => (0, id.as_str(), self.member_id.as_str()),
            None => (1, self.member_id.as_str(), ""),
        }
    }
}

/// The assignment: member id -> its partitions, topics in name order.
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// An assignment strategy by its protocol name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignor {
    /// `range`: each topic's partitions in contiguous runs.
    Range,
    /// `roundrobin`: every partition of every topic dealt in turn.
    RoundRobin,
    /// `cooperative-sticky`: balanced, keeps partitions where they were,
    /// and rebalances incrementally (KIP-429).
    CooperativeSticky,
}

impl Assignor {
    /// The protocol name members announce in JoinGroup.
    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Whether the assignor supports the cooperative rebalance protocol:
    /// members keep their partitions through a rebalance and give back
    /// only those that move.
    pub fn is_cooperative(self) -> bool {
        self == Assignor::CooperativeSticky
    }

    /// The assignor for a protocol name, if this client has it.
    pub fn from_name(name: &str) -> Option<Assignor> {
        match name {
            "range" => Some(Assignor::Range),
            "roundrobin" => Some(Assignor::RoundRobin),
            "cooperative-sticky" => Some(Assignor::CooperativeSticky),
            _ => None,
        }
    }

    /// Assigns the partitions of subscribed topics (`partitions_per_topic`;
    /// topics missing from it are skipped) among `members`.
    pub fn assign(
        self,
        members: &[Member],
        partitions_per_topic: &HashMap<String, i32>,
    ) -> Assignment {
        let mut sorted: Vec<&Member> = members.iter().collect();
        sorted.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut out: BTreeMap<String, BTreeMap<String, Vec<i32>>> = members
            .iter()
            .map(|m| (m.member_id.clone(), BTreeMap::new()))
            .collect();
        match self {
            Assignor::Range => range(&sorted, partitions_per_topic, &mut out),
            Assignor::RoundRobin => round_robin(&sorted, partitions_per_topic, &mut out),
            Assignor::CooperativeSticky => sticky::assign(&sorted, partitions_per_topic, &mut out),
        }
        out.into_iter()
            .map(|(member, topics)| {
                let tps = topics
                    .into_iter()
                    .map(|(topic, partitions)| TopicPartition { topic, partitions })
                    .collect();
                (member, tps)
            })
            .collect()
    }
}

fn subscribes(m: &Member, topic: &str) -> bool {
    m.subscription.topics.iter().any(|t| t == topic)
}

fn give(out: &mut BTreeMap<String, BTreeMap<String, Vec<i32>>>, member: &str, topic: &str, p: i32) {
    if let Some(topics) = out.get_mut(member) {
        topics.entry(topic.to_owned()).or_default().push(p);
    }
}

fn range(
    members: &[&Member],
    partitions_per_topic: &HashMap<String, i32>,
    out: &mut BTreeMap<String, BTreeMap<String, Vec<i32>>>,
) {
    let mut topics: Vec<(&String, &i32)> = partitions_per_topic.iter().collect();
    topics.sort();
    for (topic, &count) in topics {
        let consumers: Vec<&&Member> = members.iter().filter(|m| subscribes(m, topic)).collect();
        if consumers.is_empty() || count <= 0 {
            continue;
        }
        let n = consumers.len() as i32;
        let (per, extra) = (count / n, count % n);
        for (i, m) in consumers.iter().enumerate() {
            let i = i as i32;
            let start = per * i + i.min(extra);
            let len = per + i32::from(i < extra);
            for p in start..start + len {
                give(out, &m.member_id, topic, p);
            }
        }
    }
}

fn round_robin(
    members: &[&Member],
    partitions_per_topic: &HashMap<String, i32>,
    out: &mut BTreeMap<String, BTreeMap<String, Vec<i32>>>,
) {
    let mut topics: Vec<(&String, &i32)> = partitions_per_topic
        .iter()
        .filter(|(t, _)| members.iter().any(|m| subscribes(m, t)))
        .collect();
    topics.sort();
    if members.is_empty() {
        return;
    }
    let mut next = 0usize;
    for (topic, &count) in topics {
        for p in 0..count.max(0) {
            // Deal to the next member in the ring that wants this topic.
            for _ in 0..members.len() {
                let m = members[next % members.len()];
                next += 1;
                if subscribes(m, topic) {
                    give(out, &m.member_id, topic, p);
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, topics: &[&str]) -> Member {
        Member {
            member_id: id.into(),
            group_instance_id: None,
            subscription: ConsumerProtocolSubscription {
                topics: topics.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            },
        }
    }

    fn parts(a: &Assignment, member: &str, topic: &str) -> Vec<i32> {
        a[member]
            .iter()
            .find(|tp| tp.topic == topic)
            .map(|tp| tp.partitions.clone())
            .unwrap_or_default()
    }

    #[test]
    fn range_gives_contiguous_runs_extra_to_the_first() {
        let members = [
            member("c2", &["t1", "t2"]),
            member("c1", &["t1", "t2"]),
            member("c3", &["t1"]),
        ];
        let counts = HashMap::from([("t1".to_string(), 7), ("t2".to_string(), 3)]);
        let a = Assignor::Range.assign(&members, &counts);
        assert_eq!(parts(&a, "c1", "t1"), [0, 1, 2]);
        assert_eq!(parts(&a, "c2", "t1"), [3, 4]);
        assert_eq!(parts(&a, "c3", "t1"), [5, 6]);
        assert_eq!(parts(&a, "c1", "t2"), [0, 1]);
        assert_eq!(parts(&a, "c2", "t2"), [2]);
        assert!(parts(&a, "c3", "t2").is_empty());
    }

    #[test]
    fn roundrobin_deals_in_turn_skipping_non_subscribers() {
        let members = [member("a", &["t1", "t2"]), member("b", &["t1"])];
        let counts = HashMap::from([("t1".to_string(), 3), ("t2".to_string(), 2)]);
        let a = Assignor::RoundRobin.assign(&members, &counts);
        assert_eq!(parts(&a, "a", "t1"), [0, 2]);
        assert_eq!(parts(&a, "b", "t1"), [1]);
        assert_eq!(parts(&a, "a", "t2"), [0, 1]);
    }

    #[test]
    fn every_partition_exactly_once_for_any_group() {
        for assignor in [
            Assignor::Range,
            Assignor::RoundRobin,
            Assignor::CooperativeSticky,
        ] {
            for n in 1..6 {
                let members: Vec<Member> = (0..n)
                    .map(|i| member(&format!("m{i}"), &["x", "y"]))
                    .collect();
                let counts = HashMap::from([
                    ("x".to_string(), 6),
                    ("y".to_string(), 5),
                    ("z".to_string(), 4),
                ]);
                let a = assignor.assign(&members, &counts);
                let mut seen: Vec<(String, i32)> = a
                    .values()
                    .flatten()
                    .flat_map(|tp| tp.partitions.iter().map(|p| (tp.topic.clone(), *p)))
                    .collect();
                seen.sort();
                let want: Vec<(String, i32)> = (0..6)
                    .map(|p| ("x".to_string(), p))
                    .chain((0..5).map(|p| ("y".to_string(), p)))
                    .collect();
                assert_eq!(seen, want, "{assignor:?} with {n} members");
                let sizes: Vec<usize> = a
                    .values()
                    .map(|t| t.iter().map(|tp| tp.partitions.len()).sum())
                    .collect();
                let (min, max) = (sizes.iter().min(), sizes.iter().max());
                assert!(
                    max.zip(min).is_some_and(|(x, y)| x - y <= 2),
                    "{assignor:?} balance {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn static_members_sort_by_instance_id() {
        let mut a = member("zzz", &["t"]);
        a.group_instance_id = Some("instance-1".into());
        let b = member("aaa", &["t"]);
        let counts = HashMap::from([("t".to_string(), 2)]);
        let out = Assignor::Range.assign(&[b, a], &counts);
        assert_eq!(parts(&out, "zzz", "t"), [0], "static member sorts first");
        assert_eq!(parts(&out, "aaa", "t"), [1]);
    }
}
