//! Crashing and restarting three-node cluster nodes through
//! `scripts/kafka.sh` (which finds the running cluster under
//! `FERROKAFKA_CACHE`, or the repository's own `.cache`). Only tests alone
//! in their file use it: a node down is felt by every test beside it.

fn kafka_sh(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/kafka.sh");
    let status = std::process::Command::new(script)
        .args(args)
        .status()
        .expect("scripts/kafka.sh runs");
    assert!(status.success(), "kafka.sh {args:?} failed");
}

/// A killed cluster node, started again when dropped: a failing test
/// must not leave the shared cluster short of a node.
pub struct KilledNode(Option<i32>);

impl KilledNode {
    /// Kills node `node` at once (SIGKILL), as a crash would.
    pub fn kill(node: i32) -> Self {
        kafka_sh(&["kill-node", &node.to_string()]);
        KilledNode(Some(node))
    }

    /// Starts the node again and waits until it is ready.
    pub fn restart(&mut self) {
        if let Some(node) = self.0.take() {
            kafka_sh(&["start-node", &node.to_string()]);
        }
    }
}

impl Drop for KilledNode {
    fn drop(&mut self) {
        self.restart();
    }
}
