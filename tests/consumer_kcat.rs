//! Records written by librdkafka (kcat) with every codec and with headers,
//! read back by the consumer.

mod consumer_util;

use std::io::Write;
use std::time::Duration;

use consumer_util::*;
use ferrokafka::consumer::Consumer;

#[tokio::test]
async fn kcat_records_of_every_codec_with_headers_are_consumed() {
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = unique(&format!("ferro-c-kcat-{codec}"));
        create_topic(&topic, 1).await;
        let input: String = (0..20).map(|i| format!("key-{i}:value-{i}\n")).collect();
        let mut child = std::process::Command::new("kcat")
            .args(["-b", &bootstrap(), "-t", &topic, "-P", "-K:", "-z", codec])
            .args(["-H", "source=kcat", "-H", &format!("codec={codec}")])
            .args(["-X", "linger.ms=50"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("kcat (librdkafka) is installed");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("writes to kcat");
        assert!(child.wait().expect("kcat runs").success(), "kcat failed");

        let mut c = Consumer::new(group_config(&unique("ferro-g"))).expect("consumer");
        c.subscribe(&[&topic]).expect("subscribes");
        let got = consume(&mut c, 20, Duration::from_secs(30)).await;
        for (i, m) in got.iter().enumerate() {
            assert_eq!(m.offset(), i as i64, "{codec}");
            assert_eq!(m.key(), Some(format!("key-{i}").as_bytes()), "{codec}");
            assert_eq!(text(m), format!("value-{i}"), "{codec}");
            assert_eq!(m.header("source"), Some(&b"kcat"[..]), "{codec}");
            assert_eq!(m.header("codec"), Some(codec.as_bytes()), "{codec}");
            assert_eq!(m.headers().len(), 2);
            assert!(m.timestamp() > 0);
        }
        c.close().await.expect("closes");
    }
}
