//! Where a record goes: the key's hash modulo the partition count, computed
//! exactly as the Java client (murmur2, the default) or librdkafka
//! (CRC32, FNV-1a) computes it, so that every client puts a key on the same
//! partition. Keyless records are left to the sticky choice of the
//! accumulator (KIP-480), except for the purely random partitioner.

use crate::config::Partitioner;

/// Kafka's murmur2, as `org.apache.kafka.common.utils.Utils.murmur2`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let mut h: u32 = SEED ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    // Java's switch falls through from the longest tail down.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Java's `Utils.toPositive`: clears the sign bit (not `abs`).
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// CRC-32 (IEEE), as librdkafka's `consistent` partitioners hash keys.
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// FNV-1a (32-bit), as librdkafka's `fnv1a` partitioners hash keys.
pub fn fnv1a(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The partition for `key` among `partitions` (which must be above zero),
/// or `None` when the choice is the accumulator's: a keyless record under a
/// partitioner that does not hash null keys.
pub fn partition_for_key(
    partitioner: Partitioner,
    key: Option<&[u8]>,
    partitions: u32,
) -> Option<u32> {
    debug_assert!(partitions > 0);
    let partitions = partitions.max(1);
    match (partitioner, key) {
        (Partitioner::Random, _) => None,
        (
            Partitioner::Murmur2Random | Partitioner::ConsistentRandom | Partitioner::Fnv1aRandom,
            None,
        ) => None,
        (Partitioner::Murmur2 | Partitioner::Murmur2Random, key) => {
            Some(to_positive(murmur2(key.unwrap_or_default())) as u32 % partitions)
        }
        (Partitioner::Consistent | Partitioner::ConsistentRandom, key) => {
            Some(crc32(key.unwrap_or_default()) % partitions)
        }
        (Partitioner::Fnv1a | Partitioner::Fnv1aRandom, key) => {
            Some(fnv1a(key.unwrap_or_default()) % partitions)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed with kafka-clients 4.3.1: `Utils.murmur2(key.getBytes(UTF_8))`
    /// and `Utils.toPositive(h) % 6`, which is where the Java client's
    /// default partitioner puts the key on a 6-partition topic.
    const JAVA: &[(&str, i32, u32)] = &[
        ("", 275646681, 3),
        ("0", 971027396, 2),
        ("1", -1993445489, 3),
        ("2", 648968168, 2),
        ("3", -1148165505, 5),
        ("4", 1514888353, 1),
        ("21", -973932308, 0),
        ("foobar", -790332482, 0),
        ("abc", 479470107, 3),
        ("key-17", 956945460, 0),
        ("a-little-bit-long-string", -985981536, 2),
        (
            "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            -58897971,
            5,
        ),
        ("\u{e9}t\u{e9}", -2101193575, 1),
    ];

    #[test]
    fn murmur2_matches_the_java_client() {
        for &(key, hash, partition) in JAVA {
            assert_eq!(murmur2(key.as_bytes()), hash, "murmur2({key:?})");
            assert_eq!(
                partition_for_key(Partitioner::Murmur2Random, Some(key.as_bytes()), 6),
                Some(partition),
                "partition of {key:?}"
            );
        }
    }

    #[test]
    fn crc32_and_fnv1a_match_known_vectors() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
    }

    #[test]
    fn keyless_records_are_left_to_the_sticky_choice() {
        assert_eq!(partition_for_key(Partitioner::Murmur2Random, None, 6), None);
        assert_eq!(
            partition_for_key(Partitioner::ConsistentRandom, None, 6),
            None
        );
        assert_eq!(
            partition_for_key(Partitioner::Murmur2, None, 6),
            Some(to_positive(murmur2(b"")) as u32 % 6)
        );
        assert_eq!(partition_for_key(Partitioner::Random, Some(b"k"), 6), None);
    }
}
