//! The Apache Kafka wire protocol, sans IO: bytes in, typed messages out,
//! and back. No sockets, no tasks, no clocks: the `ferrokafka` client (and
//! its mock cluster, and the fuzzers) drive it.
//!
//! ```
//! use bytes::BytesMut;
//! use ferrokafka_protocol::messages::ApiVersionsRequest;
//! use ferrokafka_protocol::{decode_body, Encode};
//!
//! let request = ApiVersionsRequest {
//!     client_software_name: "ferrokafka".into(),
//!     client_software_version: "0.1.0".into(),
//!     ..Default::default()
//! };
//! let mut buf = BytesMut::new();
//! request.encode(&mut buf, 3)?;
//! let back: ApiVersionsRequest = decode_body(buf.freeze(), 3)?;
//! assert_eq!(back, request);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod api;
pub mod consumer_protocol;
pub mod error;
pub mod header;
pub mod message;
pub mod messages;
pub mod primitives;
pub mod records;

pub use api::{ApiKey, ApiSupport, SUPPORTED_APIS};
pub use error::{ErrorCode, KafkaError};
pub use header::{RequestHeader, ResponseHeader};
pub use message::{decode_body, Decode, Encode, Message, Request};
pub use primitives::{DecodeError, EncodeError, RawTaggedField, Uuid};
