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

/// Issue 9 item 7: librdkafka writes any bytes as a header key; one that
/// is not UTF-8 used to fail its whole batch (and the consumer refetched
/// it every second). It is read leniently, its bytes kept.
#[tokio::test]
async fn a_header_key_that_is_not_utf8_does_not_stop_the_partition() {
    use std::os::unix::ffi::OsStringExt;
    let topic = unique("ferro-c-kcat-badkey");
    create_topic(&topic, 1).await;
    let header = std::ffi::OsString::from_vec(b"k\xff=v".to_vec());
    let mut child = std::process::Command::new("kcat")
        .args(["-b", &bootstrap(), "-t", &topic, "-P", "-K:"])
        .arg("-H")
        .arg(header)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("kcat (librdkafka) is installed");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a:first\nb:second\n")
        .expect("writes to kcat");
    assert!(child.wait().expect("kcat runs").success(), "kcat failed");

    let mut c = Consumer::new(group_config(&unique("ferro-g"))).expect("consumer");
    c.subscribe(&[&topic]).expect("subscribes");
    let got = consume(&mut c, 2, Duration::from_secs(30)).await;
    assert_eq!(
        got.iter().map(text).collect::<Vec<_>>(),
        ["first", "second"]
    );
    let h = &got[0].headers()[0];
    assert_eq!(h.key, "k\u{FFFD}");
    assert_eq!(h.key_bytes(), b"k\xff");
    assert_eq!(h.value.as_deref(), Some(&b"v"[..]));
    c.close().await.expect("closes");
}
