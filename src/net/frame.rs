//! Size-prefixed frames: a request is its header and body behind an `int32`
//! size; so is a response.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use ferrokafka_protocol::messages::ProduceRequest;
use ferrokafka_protocol::{ApiKey, Encode, RequestHeader};

use crate::error::Result;

/// A request frame as the socket writer takes it: one buffer, or (a
/// Produce request) the slices around the record batches and the batches
/// themselves, written with one vectored write rather than copied into
/// one buffer first.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    chunks: VecDeque<Bytes>,
    remaining: usize,
}

impl From<Bytes> for Frame {
    fn from(b: Bytes) -> Self {
        let remaining = b.len();
        Frame {
            chunks: VecDeque::from([b]),
            remaining,
        }
    }
}

impl Frame {
    fn push(&mut self, b: Bytes) {
        if !b.is_empty() {
            self.remaining += b.len();
            self.chunks.push_back(b);
        }
    }
}

impl Buf for Frame {
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        self.chunks.front().map_or(&[], |b| &b[..])
    }

    fn advance(&mut self, mut cnt: usize) {
        self.remaining -= cnt.min(self.remaining);
        while cnt > 0 {
            let Some(front) = self.chunks.front_mut() else {
                return;
            };
            if cnt < front.len() {
                front.advance(cnt);
                return;
            }
            cnt -= front.len();
            self.chunks.pop_front();
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, chunk) in dst.iter_mut().zip(&self.chunks) {
            *slot = IoSlice::new(chunk);
            n += 1;
        }
        n
    }
}

/// Encodes one request frame: size, header (of the version the API and
/// version call for), body.
pub(crate) fn encode_request(
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
    body: &impl Encode,
) -> Result<Bytes> {
    let mut buf = BytesMut::with_capacity(128);
    buf.put_i32(0);
    encode_header(&mut buf, api_key, version, correlation_id, client_id)?;
    body.encode(&mut buf, version)?;
    let size = buf.len() - 4;
    buf[..4].copy_from_slice(&frame_size(size)?.to_be_bytes());
    Ok(buf.freeze())
}

/// Encodes a Produce request frame without copying its record batches:
/// the frame's own bytes are cut where each partition's batches go, and
/// the batches (`Bytes` the producer already holds) go between them.
pub(crate) fn encode_produce_request(
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
    body: &ProduceRequest,
) -> Result<Frame> {
    let mut buf = BytesMut::with_capacity(256);
    buf.put_i32(0);
    let api_key = ApiKey::Produce;
    encode_header(&mut buf, api_key, version, correlation_id, client_id)?;
    let splices = body.encode_split(&mut buf, version)?;
    let size = buf.len() - 4 + splices.iter().map(|(_, b)| b.len()).sum::<usize>();
    buf[..4].copy_from_slice(&frame_size(size)?.to_be_bytes());
    let mut frame = Frame::default();
    let mut at = 0;
    for (offset, batches) in splices {
        frame.push(buf.split_to(offset - at).freeze());
        at = offset;
        frame.push(batches);
    }
    frame.push(buf.freeze());
    Ok(frame)
}

fn encode_header(
    buf: &mut BytesMut,
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    client_id: Option<&str>,
) -> Result<()> {
    let header = RequestHeader {
        request_api_key: api_key as i16,
        request_api_version: version,
        correlation_id,
        client_id: client_id.map(str::to_owned),
        unknown_tagged_fields: Vec::new(),
    };
    header.encode(buf, RequestHeader::header_version(api_key, version))?;
    Ok(())
}

/// The frame's size prefix.
fn frame_size(size: usize) -> Result<i32> {
    Ok(
        i32::try_from(size).map_err(|_| ferrokafka_protocol::EncodeError::TooLong {
            what: "request frame",
            length: size,
        })?,
    )
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
        )
        .expect("encodes");
        assert_eq!(
            &frame[..],
            &[0, 0, 0, 11, 0, 18, 0, 0, 0, 0, 0, 9, 0, 1, b'c']
        );
    }

    #[test]
    fn a_produce_frame_in_slices_is_the_frame_in_one_buffer() {
        use ferrokafka_protocol::messages::produce::{PartitionProduceData, TopicProduceData};
        let request = ProduceRequest {
            acks: -1,
            timeout_ms: 1000,
            topic_data: vec![TopicProduceData {
                name: "t".into(),
                partition_data: (0..3)
                    .map(|i| PartitionProduceData {
                        index: i,
                        records: Some(Bytes::from(vec![i as u8; 100 * (i as usize + 1)])),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        };
        for version in [3, 8, 9, 12] {
            let whole =
                encode_request(ApiKey::Produce, version, 5, Some("c"), &request).expect("encodes");
            let mut frame =
                encode_produce_request(version, 5, Some("c"), &request).expect("encodes");
            assert_eq!(frame.remaining(), whole.len());
            let mut slices = [IoSlice::new(&[]); 16];
            // Before each batch the frame's own bytes; after the last,
            // its tagged fields (flexible versions only).
            let chunks = if version >= 9 { 7 } else { 6 };
            assert_eq!(frame.chunks_vectored(&mut slices), chunks);
            let joined = frame.copy_to_bytes(frame.remaining());
            assert_eq!(joined, whole, "version {version}");
        }
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
