//! Any bytes to a broker of the mock cluster (`ferrokafka-mock`): no
//! panic (libFuzzer's panic hook aborts on a panic in any thread, the
//! mock's connection tasks included) and no unbounded growth (the run's
//! RSS limit; the mock's log retention is 1 MiB and its request record is
//! cleared after each input).
//!
//! The input is a list of frames, each a 2-byte big-endian length and that
//! many bytes, written to one connection each with its 4-byte size prefix
//! (so the fuzzer reaches request decoding and the handlers); an input
//! starting with 0xFF is written raw instead (to reach the framing).
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use ferrokafka_mock::MockCluster;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

struct Setup {
    runtime: Runtime,
    cluster: MockCluster,
    broker: SocketAddr,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let cluster = runtime
            .block_on(MockCluster::start(1))
            .expect("mock starts");
        cluster.create_topic("t", 2, 1).expect("topic");
        cluster.set_retention_bytes(1 << 20);
        cluster.set_max_frame_size(1 << 20);
        let broker = cluster
            .bootstrap_servers()
            .parse()
            .expect("one broker address");
        Setup {
            runtime,
            cluster,
            broker,
        }
    })
}

fn frames(data: &[u8]) -> Vec<u8> {
    if data.first() == Some(&0xff) {
        return data[1..].to_vec();
    }
    let mut out = Vec::with_capacity(data.len() + 16);
    let mut rest = data;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        out.extend_from_slice(&(len as i32).to_be_bytes());
        out.extend_from_slice(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let s = setup();
    let bytes = frames(data);
    s.runtime.block_on(async {
        let Ok(mut stream) = TcpStream::connect(s.broker).await else {
            return;
        };
        let _ = stream.write_all(&bytes).await;
        let _ = stream.shutdown().await;
        // Read what the mock answers until it closes, or give up after a
        // moment (a Fetch may wait on purpose).
        let mut buf = vec![0u8; 64 * 1024];
        let _ = tokio::time::timeout(Duration::from_millis(100), async {
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    });
    s.cluster.clear_requests();
});
