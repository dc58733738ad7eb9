//! From a decoded request to its response: an injected error if one is
//! queued, else the API's handler.
//!
//! Every API the mock serves is one file here holding its two halves:
//! `handle`, which serves the request, and `error`, which answers it with
//! an injected error code (the request's own topics, partitions, groups
//! or keys echoed back, each with the code, in every error field the API
//! has at the version asked). The table at the bottom maps each request
//! variant to its file: adding an API means one new file, its `mod` line
//! and its row in the table.
//!
//! SASL requests reach this table only once a connection no longer needs
//! them: before that they change the connection's state, which the broker
//! loop owns (it calls [`sasl_handshake::handshake`] and
//! [`sasl_authenticate::authenticate`] itself).

use bytes::{Bytes, BytesMut};
use ferrokafka_protocol::messages::{RequestBody, ResponseBody};
use ferrokafka_protocol::{decode_body, DecodeError, Encode, EncodeError, ErrorCode};

use super::state::{ClusterState, Shared};

mod add_offsets_to_txn;
mod add_partitions_to_txn;
mod api_versions;
mod consumer_group_describe;
mod consumer_group_heartbeat;
mod create_topics;
mod delete_topics;
mod end_txn;
mod fetch;
mod find_coordinator;
mod heartbeat;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_offsets;
mod metadata;
mod offset_commit;
mod offset_fetch;
mod produce;
pub(crate) mod sasl_authenticate;
pub(crate) mod sasl_handshake;
mod sync_group;
mod txn_offset_commit;

/// One request as a broker received it: what every handler may look at
/// besides the request body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    /// The cluster's state and wake-ups.
    pub(crate) shared: &'a Shared,
    /// The broker that received it.
    pub(crate) broker: i32,
    /// The request's version.
    pub(crate) version: i16,
    /// The client id in its header (empty when null).
    pub(crate) client_id: &'a str,
}

/// What the connection does with a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Send this response.
    Respond(ResponseBody),
    /// Send nothing (Produce with acks=0).
    Silent,
    /// Close the connection: a request the mock cannot answer.
    Close,
}

/// The response to one request.
pub(crate) async fn dispatch(call: &Call<'_>, request: &RequestBody) -> Outcome {
    let silent = matches!(request, RequestBody::Produce(p) if p.acks == 0);
    let injected = {
        let mut state = call.shared.lock();
        state
            .faults
            .next_error(call.broker, request.api_key())
            .and_then(|code| error_response(&state, call, request, code))
    };
    let response = match injected {
        Some(response) => Some(response),
        None => handle(call, request).await,
    };
    match response {
        _ if silent => Outcome::Silent,
        Some(response) => Outcome::Respond(response),
        // An API outside the table: `decode_request` already refuses
        // those, so this only guards a request built elsewhere. Kafka
        // closes connections that send what it does not serve.
        None => Outcome::Close,
    }
}

/// The table: each request variant and the file that serves it. It
/// generates [`handle`] and [`error_response`], so both halves of every
/// API are found the same way.
macro_rules! apis {
    ($($variant:ident => $api:ident,)*) => {
        /// The APIs the mock serves: ApiVersions advertises these only,
        /// as a broker advertises what it answers.
        pub const SERVED: &[ferrokafka_protocol::ApiKey] =
            &[$(ferrokafka_protocol::ApiKey::$variant,)*];

        /// Decodes the body of a request to a served API. Only these: the
        /// protocol crate's `RequestBody::decode` holds the request
        /// decoder of every API it speaks, and linking it put the other
        /// half of every admin codec into each binary that embeds the mock.
        pub(crate) fn decode_request(
            api: ferrokafka_protocol::ApiKey,
            version: i16,
            body: Bytes,
        ) -> Result<RequestBody, DecodeError> {
            match api {
                $(ferrokafka_protocol::ApiKey::$variant => {
                    decode_body(body, version).map(RequestBody::$variant)
                })*
                _ => Err(DecodeError::Invalid {
                    what: "api key",
                    reason: format!("{api:?} is not served by the mock"),
                }),
            }
        }

        /// Appends a response body, as `version` encodes it: the served
        /// APIs' encoders only, for the same reason.
        pub(crate) fn encode_response(
            body: &ResponseBody,
            buf: &mut BytesMut,
            version: i16,
        ) -> Result<(), EncodeError> {
            match body {
                $(ResponseBody::$variant(m) => m.encode(buf, version),)*
                _ => Err(EncodeError::UnsupportedVersion {
                    what: "a response to an API the mock does not serve",
                    version,
                }),
            }
        }

        /// The API's handler's response; `None` for an API the mock does
        /// not serve.
        async fn handle(call: &Call<'_>, request: &RequestBody) -> Option<ResponseBody> {
            Some(match request {
                $(RequestBody::$variant(r) => ResponseBody::$variant($api::handle(call, r).await),)*
                _ => return None,
            })
        }

        /// The response to `request` failing with `error`; `None` for a
        /// request this mock cannot fail (it is then served as usual).
        pub(crate) fn error_response(
            state: &ClusterState,
            call: &Call<'_>,
            request: &RequestBody,
            error: ErrorCode,
        ) -> Option<ResponseBody> {
            Some(match request {
                $(RequestBody::$variant(r) => {
                    ResponseBody::$variant($api::error(state, call, r, error))
                })*
                _ => return None,
            })
        }
    };
}

apis! {
    ApiVersions => api_versions,
    Metadata => metadata,
    CreateTopics => create_topics,
    DeleteTopics => delete_topics,
    Produce => produce,
    InitProducerId => init_producer_id,
    Fetch => fetch,
    ListOffsets => list_offsets,
    FindCoordinator => find_coordinator,
    OffsetCommit => offset_commit,
    OffsetFetch => offset_fetch,
    JoinGroup => join_group,
    SyncGroup => sync_group,
    Heartbeat => heartbeat,
    LeaveGroup => leave_group,
    SaslHandshake => sasl_handshake,
    SaslAuthenticate => sasl_authenticate,
    AddPartitionsToTxn => add_partitions_to_txn,
    AddOffsetsToTxn => add_offsets_to_txn,
    EndTxn => end_txn,
    TxnOffsetCommit => txn_offset_commit,
    ConsumerGroupHeartbeat => consumer_group_heartbeat,
    ConsumerGroupDescribe => consumer_group_describe,
}
