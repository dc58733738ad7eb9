//! The `cooperative-sticky` assignor (KIP-429): a balanced assignment that
//! leaves each partition with the member that owned it in the previous
//! generation wherever balance allows, computed from the `owned_partitions`
//! and `generation_id` every member sends in its subscription.
//!
//! Cooperative rebalancing needs one more rule: a partition that moves is
//! not handed to its new owner in the same generation. Its old owner sees
//! it missing from its assignment, revokes it (committing its offset) and
//! rejoins; the follow-up rebalance finds it unowned and gives it out.
//! So no partition is ever owned by two members at once, and members keep
//! consuming every partition that stays with them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::assignor::Member;

/// A partition, by topic name and index.
type Key<'a> = (&'a str, i32);

/// Computes the assignment into `out` (member id -> topic -> partitions).
/// `members` are in the group's sort order, which breaks ties.
pub(super) fn assign<'a>(
    members: &[&'a Member],
    partitions_per_topic: &'a HashMap<String, i32>,
    out: &mut BTreeMap<String, BTreeMap<String, Vec<i32>>>,
) {
    let subscribes = |m: &Member, topic: &str| m.subscription.topics.iter().any(|t| t == topic);
    let all: BTreeSet<Key<'a>> = partitions_per_topic
        .iter()
        .filter(|(t, _)| members.iter().any(|m| subscribes(m, t)))
        .flat_map(|(t, &n)| (0..n.max(0)).map(move |p| (t.as_str(), p)))
        .collect();
    let previous = previous_owners(members, &all);

    let mut assigned: Vec<BTreeSet<Key<'a>>> = vec![BTreeSet::new(); members.len()];
    for (&key, &owner) in &previous {
        assigned[owner].insert(key);
    }
    // Unowned partitions go, in order, to the least loaded member that
    // wants them.
    for &key in all.iter().filter(|k| !previous.contains_key(*k)) {
        let least = (0..members.len())
            .filter(|&i| subscribes(members[i], key.0))
            .min_by_key(|&i| (assigned[i].len(), i));
        if let Some(i) = least {
            assigned[i].insert(key);
        }
    }
    balance(members, &previous, &mut assigned);

    // Cooperative: what moves away from its previous owner waits for the
    // next generation, after the owner revoked it.
    for (i, set) in assigned.iter_mut().enumerate() {
        set.retain(|k| previous.get(k).is_none_or(|&owner| owner == i));
    }
    for (i, set) in assigned.into_iter().enumerate() {
        let Some(topics) = out.get_mut(&members[i].member_id) else {
            continue;
        };
        for (topic, p) in set {
            topics.entry(topic.to_owned()).or_default().push(p);
        }
    }
}

/// Who owned each partition in the previous generation: the claim of the
/// highest generation wins; two claims of the same generation cancel out
/// (one of them is stale, and nothing tells which), as in Kafka's
/// `AbstractStickyAssignor`. Claims on partitions that no longer exist or
/// that the member no longer subscribes to are ignored.
fn previous_owners<'a>(members: &[&'a Member], all: &BTreeSet<Key<'a>>) -> HashMap<Key<'a>, usize> {
    let mut claims: HashMap<Key<'a>, (i32, Vec<usize>)> = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        let generation = m.subscription.generation_id;
        for tp in &m.subscription.owned_partitions {
            if !m.subscription.topics.contains(&tp.topic) {
                continue;
            }
            for &p in &tp.partitions {
                let Some(&key) = all.get(&(tp.topic.as_str(), p)) else {
                    continue;
                };
                let claim = claims.entry(key).or_insert((generation, Vec::new()));
                if generation > claim.0 {
                    *claim = (generation, vec![i]);
                } else if generation == claim.0 && !claim.1.contains(&i) {
                    claim.1.push(i);
                }
            }
        }
    }
    claims
        .into_iter()
        .filter_map(|(key, (_, owners))| match owners.as_slice() {
            [only] => Some((key, *only)),
            _ => None,
        })
        .collect()
}

/// Moves partitions from the most loaded members to members that want
/// them and hold at least two fewer, until no such move is left. Each move
/// lowers the sum of squared loads, so this ends; with equal subscriptions
/// it leaves loads differing by at most one. Partitions a member did not
/// own before move first, so as few as possible are revoked.
fn balance(
    members: &[&Member],
    previous: &HashMap<Key<'_>, usize>,
    assigned: &mut [BTreeSet<Key<'_>>],
) {
    let subscribes =
        |i: usize, topic: &str| members[i].subscription.topics.iter().any(|t| t == topic);
    loop {
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(assigned[i].len()), i));
        let mut moved = None;
        'find: for &from in &order {
            let load = assigned[from].len();
            // Newly given partitions first, then the highest ones.
            let mut candidates: Vec<Key<'_>> = assigned[from].iter().rev().copied().collect();
            candidates.sort_by_key(|k| previous.get(k) == Some(&from));
            for key in candidates {
                let to = (0..members.len())
                    .filter(|&j| j != from && subscribes(j, key.0) && assigned[j].len() + 1 < load)
                    .min_by_key(|&j| (assigned[j].len(), j));
                if let Some(to) = to {
                    moved = Some((key, from, to));
                    break 'find;
                }
            }
        }
        let Some((key, from, to)) = moved else {
            return;
        };
        assigned[from].remove(&key);
        assigned[to].insert(key);
    }
}

#[cfg(test)]
mod tests;
