//! Size-prefixed frames: a request is its header and body behind an `int32`
//! size; so is a response.

use bytes::{BufMut, Bytes, BytesMut};
use ferrokafka_protocol::{ApiKey, Encode, RequestHeader};

use crate::error::Result;

/// Encodes one request frame: size, header (of the version the API and
/// version call for), body. `size_hint` is the body's expected size: room
/// reserved up front, so a large Produce request is not grown (each
/// growth a copy into fresh pages) on the way.
pub(crate) fn encode_request(
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
    body: &impl Encode,
    size_hint: usize,
) -> Result<Bytes> {
    let mut buf = BytesMut::with_capacity(128 + size_hint);
    buf.put_i32(0);
    let header = RequestHeader {
        request_api_key: api_key as i16,
        request_api_version: version,
        correlation_id,
        client_id: client_id.map(str::to_owned),
        unknown_tagged_fields: Vec::new(),
    };
    header.encode(&mut buf, RequestHeader::header_version(api_key, version))?;
    body.encode(&mut buf, version)?;
    let size = buf.len() - 4;
    let size = i32::try_from(size).map_err(|_| ferrokafka_protocol::EncodeError::TooLong {
        what: "request frame",
        length: size,
    })?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf.freeze())
}

/// Splits one whole frame off the front of `buf`, if one is there. `Err`
/// carries the announced size when it is negative or past `limit`.
pub(crate) fn split_frame(buf: &mut BytesMut, limit: usize) -> Result<Option<Bytes>, i64> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let size = i64::from(i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]));
    if size < 0 || size as u64 > limit as u64 {
        return Err(size);
    }
    let size = size as usize;
    if buf.len() < 4 + size {
        buf.reserve(4 + size - buf.len());
        return Ok(None);
    }
    let mut frame = buf.split_to(4 + size);
    let _ = frame.split_to(4);
    Ok(Some(frame.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokafka_protocol::messages::ApiVersionsRequest;

    #[test]
    fn request_frame_has_size_header_and_body() {
        let frame = encode_request(
            ApiKey::ApiVersions,
            0,
            9,
            Some("c"),
            &ApiVersionsRequest::default(),
            0,
        )
        .expect("encodes");
        assert_eq!(
            &frame[..],
            &[0, 0, 0, 11, 0, 18, 0, 0, 0, 0, 0, 9, 0, 1, b'c']
        );
    }

    #[test]
    fn splits_whole_frames_and_waits_for_partial_ones() {
        let mut buf = BytesMut::from(&[0, 0, 0, 2, 7, 8, 0, 0, 0, 3, 1][..]);
        assert_eq!(
            split_frame(&mut buf, 100).expect("ok").as_deref(),
            Some(&[7u8, 8][..])
        );
        assert_eq!(split_frame(&mut buf, 100).expect("ok"), None);
        buf.extend_from_slice(&[2, 3]);
        assert_eq!(
            split_frame(&mut buf, 100).expect("ok").as_deref(),
            Some(&[1u8, 2, 3][..])
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn rejects_negative_and_oversized_frames() {
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff][..]);
        assert_eq!(split_frame(&mut buf, 100), Err(-1));
        let mut buf = BytesMut::from(&[0, 0, 1, 0][..]);
        assert_eq!(split_frame(&mut buf, 100), Err(256));
    }
}
