//! Golden vectors written by Kafka itself (scripts/golden/MessageVectors.java
//! with kafka-clients 4.3.1): every request and response of every API and
//! version this crate speaks, every field non-default. Our decoder must
//! read each to the values Kafka's own JSON converter reports, and our
//! encoder must write the very same bytes back.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::messages::{RequestBody, ResponseBody};
use ferrokafka_protocol::SUPPORTED_APIS;
use serde_json::Value;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden")
}

struct Vector {
    api: String,
    api_key: i16,
    request: bool,
    version: i16,
    bytes: Bytes,
    java: Value,
}

fn vectors() -> Vec<Vector> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir(golden_dir())
        .expect("golden vectors are committed under protocol/tests/data/golden")
        .map(|e| e.expect("dir entry").path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let api = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        let api_key = SUPPORTED_APIS
            .iter()
            .find(|s| s.name == api)
            .unwrap_or_else(|| panic!("vectors for an API we do not speak: {api}"))
            .api_key as i16;
        let mut files: Vec<_> = fs::read_dir(&dir)
            .expect("api dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for bin in files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        {
            let stem = bin
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("stem")
                .to_owned();
            let (kind, version) = stem.split_once("-v").expect("<kind>-v<N>");
            let json = fs::read_to_string(bin.with_extension("json")).expect("json beside bin");
            out.push(Vector {
                api: api.clone(),
                api_key,
                request: kind == "request",
                version: version.parse().expect("version"),
                bytes: Bytes::from(fs::read(&bin).expect("bin")),
                java: serde_json::from_str(&json).expect("valid json"),
            });
        }
    }
    out
}

fn snake(camel: &str) -> String {
    let mut s = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
            s.push(c.to_ascii_lowercase());
        } else {
            s.push(c);
        }
    }
    s
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = bits << 6 | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Some(out)
}

fn byte_array(v: &Value) -> Option<Vec<u8>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_u64().and_then(|b| u8::try_from(b).ok()))
        .collect()
}

/// Compares Kafka's JSON with ours, key by key as Kafka wrote them.
fn compare(java: &Value, ours: &Value, path: &str, errors: &mut Vec<String>) {
    match (java, ours) {
        (Value::Object(j), Value::Object(o)) => {
            for (key, jv) in j {
                let name = snake(key);
                if name == "records" {
                    // Kafka's converter writes records as an opaque string;
                    // the byte-identical re-encode checks them.
                    continue;
                }
                match o.get(&name) {
                    Some(ov) => compare(jv, ov, &format!("{path}.{name}"), errors),
                    None => errors.push(format!("{path}.{name}: missing in ours (Kafka: {jv})")),
                }
            }
        }
        (Value::Array(j), Value::Array(o)) => {
            if j.len() != o.len() {
                errors.push(format!("{path}: {} elements, ours {}", j.len(), o.len()));
                return;
            }
            for (i, (jv, ov)) in j.iter().zip(o).enumerate() {
                compare(jv, ov, &format!("{path}[{i}]"), errors);
            }
        }
        // Bytes and UUIDs: base64 (UUIDs url-safe) in Kafka's JSON.
        (Value::String(j), Value::Array(_)) => {
            if base64_decode(j) != byte_array(ours) {
                errors.push(format!("{path}: Kafka {j:?} (base64), ours {ours}"));
            }
        }
        (Value::Number(j), Value::Number(o)) => {
            if j.as_f64() != o.as_f64() {
                errors.push(format!("{path}: Kafka {j}, ours {o}"));
            }
        }
        (j, o) => {
            if j != o {
                errors.push(format!("{path}: Kafka {j}, ours {o}"));
            }
        }
    }
}

fn check(v: &Vector) -> Vec<String> {
    let what = format!(
        "{} {} v{}",
        v.api,
        if v.request { "request" } else { "response" },
        v.version
    );
    let mut errors = Vec::new();
    let (ours, reencoded) = if v.request {
        match RequestBody::decode(v.api_key, v.version, v.bytes.clone()) {
            Ok(m) => {
                let mut buf = BytesMut::new();
                let enc = m.encode(&mut buf, v.version).map(|_| buf);
                (serde_json::to_value(&m).expect("serializes"), enc)
            }
            Err(e) => return vec![format!("{what}: decode failed: {e}")],
        }
    } else {
        match ResponseBody::decode(v.api_key, v.version, v.bytes.clone()) {
            Ok(m) => {
                let mut buf = BytesMut::new();
                let enc = m.encode(&mut buf, v.version).map(|_| buf);
                (serde_json::to_value(&m).expect("serializes"), enc)
            }
            Err(e) => return vec![format!("{what}: decode failed: {e}")],
        }
    };
    compare(&v.java, &ours, &what, &mut errors);
    match reencoded {
        Ok(buf) if buf[..] == v.bytes[..] => {}
        Ok(buf) => {
            let at = buf
                .iter()
                .zip(v.bytes.iter())
                .position(|(a, b)| a != b)
                .unwrap_or(buf.len().min(v.bytes.len()));
            errors.push(format!(
                "{what}: re-encoded {} bytes differ from Kafka's {} from byte {at}",
                buf.len(),
                v.bytes.len()
            ));
        }
        Err(e) => errors.push(format!("{what}: re-encode failed: {e}")),
    }
    errors
}

#[test]
fn decodes_kafkas_bytes_to_kafkas_values_and_reencodes_them_exactly() {
    let all = vectors();
    let mut failures = Vec::new();
    for v in &all {
        failures.extend(check(v));
    }
    assert!(
        failures.is_empty(),
        "{} mismatches over {} vectors:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    assert!(all.len() > 250, "only {} vectors", all.len());
}

#[test]
fn every_api_and_version_we_speak_has_vectors() {
    let have: BTreeSet<(String, bool, i16)> = vectors()
        .into_iter()
        .map(|v| (v.api, v.request, v.version))
        .collect();
    let mut missing = Vec::new();
    for api in SUPPORTED_APIS {
        for version in api.min_version..=api.max_version {
            for request in [true, false] {
                if !have.contains(&(api.name.to_owned(), request, version)) {
                    missing.push(format!(
                        "{} {} v{version}",
                        api.name,
                        if request { "request" } else { "response" }
                    ));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no golden vector for: {}",
        missing.join(", ")
    );
}

#[test]
fn rejects_every_truncation_of_kafkas_vectors() {
    for v in vectors() {
        for cut in [0, 1, v.bytes.len() / 2, v.bytes.len().saturating_sub(1)] {
            if cut >= v.bytes.len() {
                continue;
            }
            let prefix = v.bytes.slice(..cut);
            let decoded = if v.request {
                RequestBody::decode(v.api_key, v.version, prefix).is_ok()
            } else {
                ResponseBody::decode(v.api_key, v.version, prefix).is_ok()
            };
            assert!(
                !decoded,
                "{} v{}: {cut}-byte prefix decoded",
                v.api, v.version
            );
        }
    }
}

/// Decodes a response from Kafka's bytes, expecting it to fail.
fn response_error(v: &Vector, bytes: Bytes) -> ferrokafka_protocol::DecodeError {
    match ResponseBody::decode(v.api_key, v.version, bytes) {
        Ok(_) => panic!("{} v{}: decoded", v.api, v.version),
        Err(e) => e,
    }
}

#[test]
fn decode_errors_in_kafkas_bytes_name_the_field_path() {
    use ferrokafka_protocol::DecodeError;
    let v = vectors()
        .into_iter()
        .find(|v| v.api == "Fetch" && !v.request && v.version == 16)
        .expect("a Fetch v16 response vector");
    let topics = v.java["responses"].as_array().expect("responses");
    let t = topics.len() - 1;
    let partitions = topics[t]["partitions"].as_array().expect("partitions");
    let p = partitions.len() - 1;
    // The last partition ends with its preferred read replica, then its
    // records: compact bytes, a one-byte length + 1 here.
    let replica = partitions[p]["preferredReadReplica"]
        .as_i64()
        .and_then(|r| i32::try_from(r).ok())
        .expect("replica id")
        .to_be_bytes();
    let records = v
        .bytes
        .windows(4)
        .rposition(|w| w == replica)
        .expect("the replica id in Kafka's bytes")
        + 4;
    let len = usize::from(v.bytes[records]) - 1;
    assert!(len > 2 && len < 0x7f, "records of {len} bytes");
    let path = |field: &str| format!("FetchResponse.responses[{t}].partitions[{p}].{field}");

    // Truncated in the middle of the records.
    let err = response_error(&v, v.bytes.slice(..records + 1 + len / 2));
    assert_eq!(err.path(), Some(path("records").as_str()), "{err}");
    assert!(
        matches!(err.root(), DecodeError::InvalidLength { .. }),
        "{err}"
    );
    assert!(
        err.to_string().starts_with(&path("records")),
        "the message says where: {err}"
    );

    // Truncated in the middle of the replica id.
    let err = response_error(&v, v.bytes.slice(..records - 2));
    assert_eq!(
        err.path(),
        Some(path("preferred_read_replica").as_str()),
        "{err}"
    );
    assert!(matches!(err.root(), DecodeError::Truncated { .. }), "{err}");

    // Garbled: the last node endpoint's host (a tagged field) is not UTF-8.
    let endpoints = v.java["nodeEndpoints"].as_array().expect("node endpoints");
    let host = endpoints[endpoints.len() - 1]["host"]
        .as_str()
        .expect("host");
    let at = v
        .bytes
        .windows(host.len())
        .rposition(|w| w == host.as_bytes())
        .expect("the host in Kafka's bytes");
    let mut garbled = v.bytes.to_vec();
    garbled[at] = 0xff;
    let err = response_error(&v, Bytes::from(garbled));
    assert_eq!(
        err.path(),
        Some(format!("FetchResponse.node_endpoints[{}].host", endpoints.len() - 1).as_str()),
        "{err}"
    );
    assert!(
        matches!(err.root(), DecodeError::InvalidUtf8 { .. }),
        "{err}"
    );
}

#[test]
fn every_truncation_error_says_where_in_the_message() {
    for v in vectors().into_iter().filter(|v| !v.request) {
        let name = format!("{}Response", v.api);
        for cut in [
            0,
            1,
            v.bytes.len() / 3,
            v.bytes.len() / 2,
            v.bytes.len() - 1,
        ] {
            if cut >= v.bytes.len() {
                continue;
            }
            let err = response_error(&v, v.bytes.slice(..cut));
            let path = err
                .path()
                .unwrap_or_else(|| panic!("{name} v{} cut at {cut}: no path in {err}", v.version));
            assert!(
                path == name || path.starts_with(&format!("{name}.")),
                "{name} v{} cut at {cut}: {path}",
                v.version
            );
        }
    }
}
