//! API keys and the versions this crate speaks of each.

/// The Kafka APIs this crate encodes and decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i16)]
#[non_exhaustive]
pub enum ApiKey {
    /// Produce (0).
    Produce = 0,
    /// Fetch (1).
    Fetch = 1,
    /// ListOffsets (2).
    ListOffsets = 2,
    /// Metadata (3).
    Metadata = 3,
    /// OffsetCommit (8).
    OffsetCommit = 8,
    /// OffsetFetch (9).
    OffsetFetch = 9,
    /// FindCoordinator (10).
    FindCoordinator = 10,
    /// JoinGroup (11).
    JoinGroup = 11,
    /// Heartbeat (12).
    Heartbeat = 12,
    /// LeaveGroup (13).
    LeaveGroup = 13,
    /// SyncGroup (14).
    SyncGroup = 14,
    /// DescribeGroups (15).
    DescribeGroups = 15,
    /// ListGroups (16).
    ListGroups = 16,
    /// SaslHandshake (17).
    SaslHandshake = 17,
    /// ApiVersions (18).
    ApiVersions = 18,
    /// CreateTopics (19).
    CreateTopics = 19,
    /// DeleteTopics (20).
    DeleteTopics = 20,
    /// DeleteRecords (21).
    DeleteRecords = 21,
    /// InitProducerId (22).
    InitProducerId = 22,
    /// AddPartitionsToTxn (24).
    AddPartitionsToTxn = 24,
    /// AddOffsetsToTxn (25).
    AddOffsetsToTxn = 25,
    /// EndTxn (26).
    EndTxn = 26,
    /// TxnOffsetCommit (28).
    TxnOffsetCommit = 28,
    /// DescribeAcls (29).
    DescribeAcls = 29,
    /// CreateAcls (30).
    CreateAcls = 30,
    /// DeleteAcls (31).
    DeleteAcls = 31,
    /// DescribeConfigs (32).
    DescribeConfigs = 32,
    /// DescribeLogDirs (35).
    DescribeLogDirs = 35,
    /// SaslAuthenticate (36).
    SaslAuthenticate = 36,
    /// CreatePartitions (37).
    CreatePartitions = 37,
    /// DeleteGroups (42).
    DeleteGroups = 42,
    /// ElectLeaders (43).
    ElectLeaders = 43,
    /// IncrementalAlterConfigs (44).
    IncrementalAlterConfigs = 44,
    /// AlterPartitionReassignments (45).
    AlterPartitionReassignments = 45,
    /// ListPartitionReassignments (46).
    ListPartitionReassignments = 46,
    /// OffsetDelete (47).
    OffsetDelete = 47,
    /// DescribeClientQuotas (48).
    DescribeClientQuotas = 48,
    /// AlterClientQuotas (49).
    AlterClientQuotas = 49,
    /// DescribeUserScramCredentials (50).
    DescribeUserScramCredentials = 50,
    /// AlterUserScramCredentials (51).
    AlterUserScramCredentials = 51,
    /// DescribeCluster (60).
    DescribeCluster = 60,
    /// DescribeProducers (61).
    DescribeProducers = 61,
    /// DescribeTransactions (65).
    DescribeTransactions = 65,
    /// ListTransactions (66).
    ListTransactions = 66,
    /// ConsumerGroupHeartbeat (68).
    ConsumerGroupHeartbeat = 68,
    /// ConsumerGroupDescribe (69).
    ConsumerGroupDescribe = 69,
}

impl ApiKey {
    /// The key for a number from the wire, if this crate speaks that API.
    pub fn from_i16(key: i16) -> Option<ApiKey> {
        SUPPORTED_APIS
            .iter()
            .find(|s| s.api_key as i16 == key)
            .map(|s| s.api_key)
    }

    /// The versions this crate speaks of this API.
    pub fn support(self) -> &'static ApiSupport {
        // Every variant has a row: the table is built from the same list.
        SUPPORTED_APIS
            .iter()
            .find(|s| s.api_key == self)
            .unwrap_or(&SUPPORTED_APIS[0])
    }
}

/// One row of [`SUPPORTED_APIS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiSupport {
    /// The API.
    pub api_key: ApiKey,
    /// Its name, as in Kafka's schemas.
    pub name: &'static str,
    /// The lowest version this crate speaks.
    pub min_version: i16,
    /// The highest version this crate speaks.
    pub max_version: i16,
    /// The first flexible version, if any.
    pub flexible_from: Option<i16>,
}

/// For each API key: the version range this crate speaks and the first
/// flexible version. Built from the messages' own constants, so it cannot
/// drift from what the codecs do.
pub static SUPPORTED_APIS: &[ApiSupport] = crate::messages::SUPPORTED_APIS;
