//! From a decoded request to its response: an injected error if one is
//! queued, else the API's handler. SASL requests never get here: they
//! change the connection's state, which the broker loop owns.

use ferrokafka_protocol::messages::{
    RequestBody, ResponseBody, SaslAuthenticateResponse, SaslHandshakeResponse,
};
use ferrokafka_protocol::ErrorCode;

use super::state::Shared;
use super::{fetch, group_api, inject, metadata, offsets, produce};

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
pub(crate) async fn dispatch(
    shared: &Shared,
    broker: i32,
    version: i16,
    client_id: &str,
    request: &RequestBody,
) -> Outcome {
    let silent = matches!(request, RequestBody::Produce(p) if p.acks == 0);
    let injected = {
        let mut state = shared.lock();
        state
            .faults
            .next_error(broker, request.api_key())
            .and_then(|code| inject::error_response(&state, request, version, code))
    };
    if let Some(response) = injected {
        return if silent {
            Outcome::Silent
        } else {
            Outcome::Respond(response)
        };
    }
    let response = match request {
        RequestBody::ApiVersions(_) => ResponseBody::ApiVersions(metadata::api_versions()),
        RequestBody::Metadata(r) => {
            ResponseBody::Metadata(metadata::metadata(&mut shared.lock(), version, r))
        }
        RequestBody::CreateTopics(r) => {
            ResponseBody::CreateTopics(metadata::create_topics(&mut shared.lock(), r))
        }
        RequestBody::DeleteTopics(r) => {
            ResponseBody::DeleteTopics(metadata::delete_topics(&mut shared.lock(), r))
        }
        RequestBody::Produce(r) => {
            let (response, appended) = produce::produce(&mut shared.lock(), broker, version, r);
            if appended {
                shared.data_arrived.notify_waiters();
            }
            if silent {
                return Outcome::Silent;
            }
            ResponseBody::Produce(response)
        }
        RequestBody::InitProducerId(r) => {
            ResponseBody::InitProducerId(produce::init_producer_id(&mut shared.lock(), broker, r))
        }
        RequestBody::Fetch(r) => {
            ResponseBody::Fetch(fetch::fetch(shared, broker, version, r).await)
        }
        RequestBody::ListOffsets(r) => {
            ResponseBody::ListOffsets(fetch::list_offsets(&shared.lock(), broker, r))
        }
        RequestBody::FindCoordinator(r) => {
            ResponseBody::FindCoordinator(offsets::find_coordinator(&shared.lock(), version, r))
        }
        RequestBody::OffsetCommit(r) => ResponseBody::OffsetCommit(offsets::offset_commit(
            &mut shared.lock(),
            broker,
            version,
            r,
        )),
        RequestBody::OffsetFetch(r) => {
            ResponseBody::OffsetFetch(offsets::offset_fetch(&shared.lock(), broker, version, r))
        }
        RequestBody::JoinGroup(r) => ResponseBody::JoinGroup(
            group_api::join_group(shared, broker, version, client_id, r).await,
        ),
        RequestBody::SyncGroup(r) => {
            ResponseBody::SyncGroup(group_api::sync_group(shared, broker, version, r).await)
        }
        RequestBody::Heartbeat(r) => {
            ResponseBody::Heartbeat(group_api::heartbeat(shared, &mut shared.lock(), broker, r))
        }
        RequestBody::LeaveGroup(r) => ResponseBody::LeaveGroup(group_api::leave_group(
            shared,
            &mut shared.lock(),
            broker,
            version,
            r,
        )),
        // The broker loop handles SASL while the connection needs it; a
        // handshake after that is out of place.
        RequestBody::SaslHandshake(_) => ResponseBody::SaslHandshake(SaslHandshakeResponse {
            error_code: ErrorCode::IllegalSaslState.code(),
            mechanisms: vec![super::sasl::PLAIN.into()],
            ..Default::default()
        }),
        RequestBody::SaslAuthenticate(_) => {
            ResponseBody::SaslAuthenticate(SaslAuthenticateResponse {
                error_code: ErrorCode::IllegalSaslState.code(),
                ..Default::default()
            })
        }
        // An API the protocol crate learned after the mock: Kafka closes
        // connections that send what it does not serve.
        _ => return Outcome::Close,
    };
    Outcome::Respond(response)
}
