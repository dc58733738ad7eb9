//! What the declaration macros reach through `$crate`, for the
//! compile-fail cases: each case includes `src/messages/macros.rs` as a
//! module of its own, so the macros are local to it as they are to the
//! protocol crate, and rustc places their errors as it does there.

pub mod primitives {
    pub use ferrokafka_protocol::primitives::*;
}

pub mod messages {
    pub use ferrokafka_protocol::messages::field;
}

pub mod api {
    pub use ferrokafka_protocol::api::*;
}

pub mod message {
    pub use ferrokafka_protocol::message::*;
    use ferrokafka_protocol::primitives::{DecodeResult, EncodeResult};

    pub fn check_encode_version<M: Message>(_: i16) -> EncodeResult {
        Ok(())
    }

    pub fn check_decode_version<M: Message>(_: i16) -> DecodeResult<()> {
        Ok(())
    }
}
