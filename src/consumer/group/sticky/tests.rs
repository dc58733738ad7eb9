//! The cooperative-sticky assignor: balance, stickiness, the withheld
//! moves of cooperative rebalancing, and groups driven round after round
//! the way real members would (each owning what it was given).

use std::collections::{BTreeMap, HashMap};

use ferrokafka_protocol::consumer_protocol::{ConsumerProtocolSubscription, TopicPartition};

use super::super::assignor::{Assignment, Assignor, Member};

const T: &str = "my_events_topic";

fn member(id: &str, topics: &[&str], generation: i32, owned: &[(&str, &[i32])]) -> Member {
    Member {
        member_id: id.into(),
        group_instance_id: None,
        subscription: ConsumerProtocolSubscription {
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned_partitions: owned
                .iter()
                .map(|(t, ps)| TopicPartition {
                    topic: t.to_string(),
                    partitions: ps.to_vec(),
                })
                .collect(),
            generation_id: generation,
            ..Default::default()
        },
    }
}

fn parts(a: &Assignment, member: &str, topic: &str) -> Vec<i32> {
    a.get(member)
        .and_then(|tps| tps.iter().find(|tp| tp.topic == topic))
        .map(|tp| tp.partitions.clone())
        .unwrap_or_default()
}

fn counts(list: &[(&str, i32)]) -> HashMap<String, i32> {
    list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

fn assign(members: &[Member], counts: &HashMap<String, i32>) -> Assignment {
    Assignor::CooperativeSticky.assign(members, counts)
}

#[test]
fn a_fresh_group_is_balanced() {
    let members = [
        member("c", &[T], -1, &[]),
        member("a", &[T], -1, &[]),
        member("b", &[T], -1, &[]),
    ];
    let a = assign(&members, &counts(&[(T, 7)]));
    let sizes: Vec<usize> = ["a", "b", "c"]
        .iter()
        .map(|m| parts(&a, m, T).len())
        .collect();
    assert_eq!(sizes, [3, 2, 2]);
    let mut all: Vec<i32> = ["a", "b", "c"]
        .iter()
        .flat_map(|m| parts(&a, m, T))
        .collect();
    all.sort();
    assert_eq!(all, (0..7).collect::<Vec<_>>());
}

#[test]
fn a_joining_member_gets_moved_partitions_only_after_they_are_revoked() {
    let counts = counts(&[(T, 6)]);
    // Round 1: a owns everything; b joins. a keeps half, and the other
    // half is withheld: b gets nothing until a gave it up.
    let round1 = assign(
        &[
            member("a", &[T], 4, &[(T, &[0, 1, 2, 3, 4, 5])]),
            member("b", &[T], -1, &[]),
        ],
        &counts,
    );
    let kept = parts(&round1, "a", T);
    assert_eq!(kept.len(), 3);
    assert!(parts(&round1, "b", T).is_empty(), "{round1:?}");
    // Round 2: a rejoined owning what it kept.
    let round2 = assign(
        &[
            member("a", &[T], 5, &[(T, &kept)]),
            member("b", &[T], 5, &[]),
        ],
        &counts,
    );
    assert_eq!(parts(&round2, "a", T), kept, "a keeps its partitions");
    let mut given = parts(&round2, "b", T);
    given.extend(kept);
    given.sort();
    assert_eq!(given, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn a_leaving_members_partitions_are_spread_and_nothing_else_moves() {
    let a = assign(
        &[
            member("a", &[T], 7, &[(T, &[0, 1])]),
            member("b", &[T], 7, &[(T, &[2, 3])]),
        ],
        &counts(&[(T, 6)]),
    );
    let (pa, pb) = (parts(&a, "a", T), parts(&a, "b", T));
    assert_eq!(pa.len() + pb.len(), 6);
    assert!(pa.starts_with(&[0, 1]) && pb.starts_with(&[2, 3]), "{a:?}");
}

#[test]
fn the_newest_generation_claim_wins_and_equal_claims_cancel() {
    let counts = counts(&[(T, 3)]);
    let a = assign(
        &[
            member("a", &[T], 3, &[(T, &[0, 1, 2])]),
            member("b", &[T], 2, &[(T, &[0])]),
        ],
        &counts,
    );
    assert_eq!(parts(&a, "a", T), [0, 1], "a's newer claim on 0 wins");
    assert!(
        parts(&a, "b", T).is_empty(),
        "2 is withheld until a revokes it"
    );

    let a = assign(
        &[
            member("a", &[T], 3, &[(T, &[0, 1])]),
            member("b", &[T], 3, &[(T, &[1, 2])]),
        ],
        &counts,
    );
    let (pa, pb) = (parts(&a, "a", T), parts(&a, "b", T));
    assert!(pa.contains(&0) && pb.contains(&2), "{a:?}");
    assert_eq!(
        pa.len() + pb.len(),
        3,
        "1 is claimed twice, so unowned: {a:?}"
    );
}

#[test]
fn claims_on_unsubscribed_or_deleted_topics_are_ignored() {
    let a = assign(
        &[
            member("a", &["x"], 3, &[("y", &[0]), ("x", &[5])]),
            member("b", &["x", "y"], 3, &[]),
        ],
        &counts(&[("x", 2), ("y", 1)]),
    );
    assert_eq!(parts(&a, "b", "y"), [0]);
    assert!(parts(&a, "a", "y").is_empty());
    assert_eq!(parts(&a, "a", "x").len() + parts(&a, "b", "x").len(), 2);
}

/// The group as members see it: each owns what it was last given, at
/// the generation it was given in.
struct Group {
    subscriptions: BTreeMap<String, Vec<&'static str>>,
    owned: BTreeMap<String, Vec<(String, i32)>>,
    generation: i32,
}

impl Group {
    fn new() -> Group {
        Group {
            subscriptions: BTreeMap::new(),
            owned: BTreeMap::new(),
            generation: 0,
        }
    }

    fn members(&self) -> Vec<Member> {
        self.subscriptions
            .iter()
            .map(|(id, topics)| {
                let owned = self.owned.get(id).cloned().unwrap_or_default();
                let mut by_topic: BTreeMap<String, Vec<i32>> = BTreeMap::new();
                for (t, p) in owned {
                    by_topic.entry(t).or_default().push(p);
                }
                let mut m = member(id, topics, self.generation, &[]);
                m.subscription.owned_partitions = by_topic
                    .into_iter()
                    .map(|(topic, partitions)| TopicPartition { topic, partitions })
                    .collect();
                m
            })
            .collect()
    }

    /// One rebalance; returns whether any member must revoke (and so
    /// rejoin). Checks that nobody is given what another still owns and
    /// that nobody loses a partition it keeps owning afterwards.
    fn rebalance(&mut self, counts: &HashMap<String, i32>) -> bool {
        self.generation += 1;
        let a = assign(&self.members(), counts);
        let mut revoked_any = false;
        let mut owners: HashMap<(String, i32), String> = HashMap::new();
        for (id, tps) in &a {
            let new: Vec<(String, i32)> = tps
                .iter()
                .flat_map(|tp| tp.partitions.iter().map(|p| (tp.topic.clone(), *p)))
                .collect();
            for tp in &new {
                if let Some(other) = owners.insert(tp.clone(), id.clone()) {
                    panic!("{tp:?} given to {id} and {other}");
                }
                for (other, theirs) in &self.owned {
                    assert!(
                        other == id || !theirs.contains(tp),
                        "{tp:?} given to {id} while {other} still owns it"
                    );
                }
            }
            let old = self.owned.get(id).cloned().unwrap_or_default();
            revoked_any |= old.iter().any(|tp| !new.contains(tp));
        }
        self.owned = a
            .into_iter()
            .map(|(id, tps)| {
                let v = tps
                    .iter()
                    .flat_map(|tp| tp.partitions.iter().map(|p| (tp.topic.clone(), *p)))
                    .collect();
                (id, v)
            })
            .collect();
        revoked_any
    }

    /// Rebalances until nobody revokes; returns how many rounds it took.
    fn settle(&mut self, counts: &HashMap<String, i32>) -> usize {
        let mut rounds = 1;
        while self.rebalance(counts) {
            rounds += 1;
            assert!(rounds <= 3, "no convergence: {:?}", self.owned);
        }
        rounds
    }

    fn loads(&self) -> Vec<usize> {
        self.subscriptions
            .keys()
            .map(|id| self.owned.get(id).map_or(0, Vec::len))
            .collect()
    }

    fn total(&self) -> usize {
        self.owned.values().map(Vec::len).sum()
    }
}

#[test]
fn members_joining_one_by_one_converge_in_two_rounds_moving_the_minimum() {
    let counts = counts(&[(T, 6)]);
    let mut g = Group::new();
    g.subscriptions.insert("m1".into(), vec![T]);
    assert_eq!(g.settle(&counts), 1);
    assert_eq!(g.loads(), [6]);
    for (id, want) in [("m2", vec![3, 3]), ("m3", vec![2, 2, 2])] {
        let before = g.owned.clone();
        g.subscriptions.insert(id.into(), vec![T]);
        assert_eq!(g.settle(&counts), 2, "revoke, then give out");
        assert_eq!(g.loads(), want);
        // Everyone kept a subset of what it had: the minimum moved.
        for (member, had) in before {
            let now = &g.owned[&member];
            assert!(
                now.iter().all(|tp| had.contains(tp)),
                "{member} gained while others waited"
            );
        }
        assert_eq!(g.total(), 6);
    }
}

#[test]
fn mixed_subscriptions_and_departures_stay_complete_and_exclusive() {
    let counts = counts(&[("x", 5), ("y", 4), ("z", 3)]);
    let mut g = Group::new();
    let steps: [(&str, Option<Vec<&'static str>>); 7] = [
        ("a", Some(vec!["x", "y"])),
        ("b", Some(vec!["x"])),
        ("c", Some(vec!["y", "z"])),
        ("d", Some(vec!["x", "y", "z"])),
        ("a", None),
        ("e", Some(vec!["z"])),
        ("b", None),
    ];
    for (id, subscription) in steps {
        match subscription {
            Some(topics) => {
                g.subscriptions.insert(id.into(), topics);
            }
            None => {
                g.subscriptions.remove(id);
                g.owned.remove(id);
            }
        }
        g.settle(&counts);
        let wanted: usize = counts
            .iter()
            .filter(|(t, _)| g.subscriptions.values().any(|s| s.contains(&t.as_str())))
            .map(|(_, n)| *n as usize)
            .sum();
        assert_eq!(g.total(), wanted, "every partition owned: {:?}", g.owned);
        for (member, tps) in &g.owned {
            let topics = &g.subscriptions[member];
            assert!(tps.iter().all(|(t, _)| topics.contains(&t.as_str())));
        }
    }
}

#[test]
fn a_large_group_is_assigned_quickly() {
    // 200 members, 50 topics of 40 partitions; every member subscribes to
    // a different half of the topics, and half the members own what an
    // earlier round gave them.
    let topics: Vec<String> = (0..50).map(|t| format!("t{t}")).collect();
    let counts: HashMap<String, i32> = topics.iter().map(|t| (t.clone(), 40)).collect();
    let mut members: Vec<Member> = (0..200)
        .map(|i| {
            let mine: Vec<&str> = topics
                .iter()
                .enumerate()
                .filter(|(t, _)| (t + i) % 2 == 0)
                .map(|(_, t)| t.as_str())
                .collect();
            member(&format!("m{i:03}"), &mine, 1, &[])
        })
        .collect();
    let first = assign(&members, &counts);
    for m in members.iter_mut().step_by(2) {
        m.subscription.owned_partitions = first[&m.member_id].clone();
    }
    let started = std::time::Instant::now();
    let second = assign(&members, &counts);
    let total: usize = second
        .values()
        .flatten()
        .map(|tp| tp.partitions.len())
        .sum();
    assert!(total <= 2000);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}
