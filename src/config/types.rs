//! The enumerated settings, each spelled as librdkafka and the Java client
//! accept it.

use std::fmt;

macro_rules! setting {
    (
        $(#[$doc:meta])* $name:ident, $expected:literal {
            $($(#[$vdoc:meta])* $variant:ident = $display:literal $(| $alias:literal)*,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($display $(| $alias)* => Ok(Self::$variant),)*
                    _ => Err(format!("expected {}", $expected)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self {
                    $(Self::$variant => $display,)*
                })
            }
        }
    };
}

setting! {
    /// `acks`: how many replicas must have a record before it counts as
    /// delivered.
    Acks, "0, 1, all or -1" {
        /// `0`: no response; delivered once written to the socket.
        None = "0",
        /// `1`: the leader has it.
        Leader = "1",
        /// `all` (`-1`): every in-sync replica has it.
        All = "all" | "-1",
    }
}

impl Acks {
    /// The value of ProduceRequest's `acks` field.
    pub fn as_i16(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

setting! {
    /// `compression.type`: the codec of produced batches.
    Compression, "none, gzip, snappy, lz4 or zstd" {
        /// No compression.
        None = "none",
        /// gzip.
        Gzip = "gzip",
        /// Snappy.
        Snappy = "snappy",
        /// LZ4 frame.
        Lz4 = "lz4",
        /// Zstandard.
        Zstd = "zstd",
    }
}

setting! {
    /// `partitioner`: where records go. Keyed records use the key's hash;
    /// keyless ones stick to one partition per batch (KIP-480).
    Partitioner, "murmur2_random, murmur2, consistent_random, consistent, random, fnv1a or fnv1a_random" {
        /// murmur2 of the key as the Java client hashes it; keyless records
        /// sticky-random. The Java client's default.
        Murmur2Random = "murmur2_random",
        /// murmur2 of the key; a null key hashes as empty.
        Murmur2 = "murmur2",
        /// CRC32 of the key; keyless records random (librdkafka's default).
        ConsistentRandom = "consistent_random",
        /// CRC32 of the key; a null key hashes as empty.
        Consistent = "consistent",
        /// Random, key or not.
        Random = "random",
        /// FNV-1a of the key.
        Fnv1a = "fnv1a",
        /// FNV-1a of the key; keyless records random.
        Fnv1aRandom = "fnv1a_random",
    }
}

setting! {
    /// `auto.offset.reset`: where to start when there is no committed
    /// offset or it is out of range.
    AutoOffsetReset, "earliest, latest or error (or smallest, beginning, largest, end)" {
        /// The oldest record.
        Earliest = "earliest" | "smallest" | "beginning",
        /// After the newest record.
        Latest = "latest" | "largest" | "end",
        /// An error for the application.
        Error = "error",
    }
}

setting! {
    /// `isolation.level`: whether records of open and aborted transactions
    /// are read.
    IsolationLevel, "read_committed or read_uncommitted" {
        /// Everything, committed or not.
        ReadUncommitted = "read_uncommitted",
        /// Only committed records, up to the last stable offset.
        ReadCommitted = "read_committed",
    }
}

impl IsolationLevel {
    /// The value of FetchRequest's `isolation_level` field.
    pub fn as_i8(self) -> i8 {
        match self {
            IsolationLevel::ReadUncommitted => 0,
            IsolationLevel::ReadCommitted => 1,
        }
    }
}

setting! {
    /// `security.protocol`.
    SecurityProtocol, "plaintext, sasl_plaintext, ssl or sasl_ssl" {
        /// No authentication, no encryption.
        Plaintext = "plaintext",
        /// SASL authentication without encryption.
        SaslPlaintext = "sasl_plaintext",
        /// TLS.
        Ssl = "ssl",
        /// SASL over TLS.
        SaslSsl = "sasl_ssl",
    }
}

setting! {
    /// `group.protocol`: which consumer group protocol a subscribing
    /// consumer speaks.
    GroupProtocol, "classic or consumer" {
        /// JoinGroup/SyncGroup/Heartbeat, assignment by the group leader
        /// (the default, as in librdkafka and the Java client).
        Classic = "classic",
        /// KIP-848: ConsumerGroupHeartbeat, assignment by the broker,
        /// incremental rebalances without stopping the group (Kafka 4.0+).
        Consumer = "consumer",
    }
}
