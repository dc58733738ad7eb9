//! Record batch encode and decode: 1,000 records of 100 B, uncompressed and
//! with each codec, ferrokafka against the `kafka-protocol` crate in the
//! same run, and CRC32C over the same bytes as the floor a decoder cannot
//! beat (it must check the CRC). Numbers: BENCHMARKS.md.

// criterion_group! defines an undocumented `benches` function.
#![allow(missing_docs)]

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrokafka_protocol::records::{
    decode_batches, BatchOptions, Compression, DecodeOptions, RecordBatchWriter,
};
use kafka_protocol::records as kp;

const RECORDS: usize = 1_000;
const T0: i64 = 1_700_000_000_000;

fn payloads() -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..RECORDS)
        .map(|i| {
            let key = format!("key-{i:06}").into_bytes();
            // 100 B of JSON-ish text: compressible like real events.
            let mut value =
                format!("{{\"id\":{i},\"message\":\"Event {i} from the bench\",\"ts\":{T0}}}")
                    .into_bytes();
            value.resize(100, b' ');
            (key, value)
        })
        .collect()
}

fn ours(codec: Compression, data: &[(Vec<u8>, Vec<u8>)]) -> Bytes {
    let mut w = RecordBatchWriter::with_capacity(
        BatchOptions {
            compression: codec,
            ..Default::default()
        },
        128 * RECORDS,
    );
    for (i, (k, v)) in data.iter().enumerate() {
        w.append(T0 + i as i64, Some(k), Some(v), &[]);
    }
    w.finish().expect("encodes")
}

fn kp_codec(codec: Compression) -> kp::Compression {
    match codec {
        Compression::None => kp::Compression::None,
        Compression::Gzip => kp::Compression::Gzip,
        Compression::Snappy => kp::Compression::Snappy,
        Compression::Lz4 => kp::Compression::Lz4,
        Compression::Zstd => kp::Compression::Zstd,
    }
}

fn kp_records(data: &[(Vec<u8>, Vec<u8>)]) -> Vec<kp::Record> {
    data.iter()
        .enumerate()
        .map(|(i, (k, v))| kp::Record {
            transactional: false,
            control: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: kp::TimestampType::Creation,
            offset: i as i64,
            // kafka-protocol starts a new batch unless offset - sequence stays constant.
            sequence: i as i32,
            timestamp: T0 + i as i64,
            key: Some(Bytes::copy_from_slice(k)),
            value: Some(Bytes::copy_from_slice(v)),
            headers: Default::default(),
        })
        .collect()
}

fn theirs(codec: Compression, records: &[kp::Record]) -> Bytes {
    let mut buf = BytesMut::new();
    kp::RecordBatchEncoder::encode(
        &mut buf,
        records,
        &kp::RecordEncodeOptions {
            version: 2,
            compression: kp_codec(codec),
        },
    )
    .expect("kafka-protocol encodes");
    buf.freeze()
}

const CODECS: [Compression; 5] = [
    Compression::None,
    Compression::Gzip,
    Compression::Snappy,
    Compression::Lz4,
    Compression::Zstd,
];

fn decode(c: &mut Criterion) {
    let data = payloads();
    let kp_recs = kp_records(&data);
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(RECORDS as u64));
    for codec in CODECS {
        let our_bytes = ours(codec, &data);
        // Each decoder reads the batch its own encoder wrote, so that a
        // framing one of them lacks (xerial snappy) does not decide the race.
        let their_bytes = theirs(codec, &kp_recs);
        let options = DecodeOptions::default();
        assert_eq!(
            decode_batches(our_bytes.clone(), &options)
                .expect("decodes")
                .batches[0]
                .len(),
            RECORDS
        );
        let their_count = kp::RecordBatchDecoder::decode(&mut their_bytes.clone())
            .expect("kafka-protocol decodes")
            .records
            .len();
        assert_eq!(
            their_count, RECORDS,
            "kafka-protocol decoded {their_count} records"
        );
        g.bench_with_input(
            BenchmarkId::new("ferrokafka", codec.name()),
            &our_bytes,
            |b, bytes| b.iter(|| decode_batches(bytes.clone(), &options).expect("decodes")),
        );
        // Decoding and then taking every record as owned `Bytes` key and
        // value, which is what kafka-protocol's decode hands out.
        g.bench_with_input(
            BenchmarkId::new("ferrokafka-owned", codec.name()),
            &our_bytes,
            |b, bytes| {
                b.iter(|| {
                    let batches = decode_batches(bytes.clone(), &options).expect("decodes");
                    batches
                        .batches
                        .iter()
                        .flat_map(|b| b.records())
                        .collect::<Vec<_>>()
                })
            },
        );
        g.bench_with_input(
            BenchmarkId::new("kafka-protocol", codec.name()),
            &their_bytes,
            |b, bytes| {
                b.iter(|| kp::RecordBatchDecoder::decode(&mut bytes.clone()).expect("decodes"))
            },
        );
        if codec == Compression::None {
            g.bench_with_input(
                BenchmarkId::new("crc32c-floor", codec.name()),
                &our_bytes,
                |b, bytes| b.iter(|| crc32c::crc32c(&bytes[21..])),
            );
        }
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let data = payloads();
    let kp_recs = kp_records(&data);
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(RECORDS as u64));
    for codec in CODECS {
        g.bench_with_input(
            BenchmarkId::new("ferrokafka", codec.name()),
            &data,
            |b, data| b.iter(|| ours(codec, data)),
        );
        g.bench_with_input(
            BenchmarkId::new("kafka-protocol", codec.name()),
            &kp_recs,
            |b, recs| b.iter(|| theirs(codec, recs)),
        );
    }
    g.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
