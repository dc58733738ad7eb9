use super::*;
use bytes::BufMut;
use proptest::prelude::*;

fn roundtrip_varint(v: i32) -> i32 {
    let mut b = BytesMut::new();
    write_varint(&mut b, v);
    assert_eq!(b.len(), varint_len(v));
    read_varint(&mut b.freeze(), "v").expect("decodes")
}

proptest! {
    #[test]
    fn varint_roundtrips(v in any::<i32>()) {
        prop_assert_eq!(roundtrip_varint(v), v);
    }

    #[test]
    fn varlong_roundtrips(v in any::<i64>()) {
        let mut b = BytesMut::new();
        write_varlong(&mut b, v);
        prop_assert_eq!(b.len(), varlong_len(v));
        prop_assert_eq!(read_varlong(&mut b.freeze(), "v").expect("decodes"), v);
    }

    #[test]
    fn unsigned_varint_roundtrips(v in any::<u32>()) {
        let mut b = BytesMut::new();
        write_unsigned_varint(&mut b, v);
        prop_assert_eq!(b.len(), unsigned_varint_len(v));
        prop_assert_eq!(read_unsigned_varint(&mut b.freeze(), "v").expect("decodes"), v);
    }

    #[test]
    fn nullable_string_roundtrips(s in proptest::option::of(".{0,40}"), compact in any::<bool>()) {
        let mut b = BytesMut::new();
        write_nullable_string(&mut b, compact, s.as_deref(), "s").expect("encodes");
        let mut r = b.freeze();
        prop_assert_eq!(read_nullable_string(&mut r, compact, "s").expect("decodes"), s);
        prop_assert!(r.is_empty());
    }

    #[test]
    fn nullable_bytes_roundtrip(v in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)), compact in any::<bool>()) {
        let mut b = BytesMut::new();
        write_nullable_bytes(&mut b, compact, v.as_deref(), "b").expect("encodes");
        let mut r = b.freeze();
        let got = read_nullable_bytes(&mut r, compact, "b").expect("decodes");
        prop_assert_eq!(got.as_deref(), v.as_deref());
    }

    #[test]
    fn arrays_roundtrip(v in proptest::option::of(proptest::collection::vec(any::<i32>(), 0..32)), compact in any::<bool>()) {
        let mut b = BytesMut::new();
        write_nullable_array(&mut b, compact, v.as_deref(), "a", |b, x| { b.put_i32(*x); Ok(()) }).expect("encodes");
        let mut r = b.freeze();
        let got = read_nullable_array(&mut r, compact, "a", |b| read_i32(b, "a")).expect("decodes");
        prop_assert_eq!(got, v);
    }

    #[test]
    fn arbitrary_input_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64), compact in any::<bool>()) {
        let mut r = Bytes::from(data);
        let _ = read_nullable_array(&mut r, compact, "a", |b| read_string(b, compact, "s"));
        let _ = read_tagged_fields(&mut r, "t", |_, _| Ok(false));
    }
}

#[test]
fn known_varint_vectors() {
    // Values from the Kafka protocol guide and ByteUtilsTest.
    let cases: &[(i32, &[u8])] = &[
        (0, &[0]),
        (-1, &[1]),
        (1, &[2]),
        (-64, &[0x7f]),
        (64, &[0x80, 0x01]),
    ];
    for (v, bytes) in cases {
        let mut b = BytesMut::new();
        write_varint(&mut b, *v);
        assert_eq!(&b[..], *bytes, "encoding {v}");
    }
    let mut b = BytesMut::new();
    write_varint(&mut b, i32::MIN);
    assert_eq!(&b[..], &[0xff, 0xff, 0xff, 0xff, 0x0f]);
}

#[test]
fn rejects_overlong_varint() {
    let mut r = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert!(matches!(
        read_unsigned_varint(&mut r, "v"),
        Err(DecodeError::VarintTooLong { .. })
    ));
}

#[test]
fn rejects_array_count_past_remaining_bytes() {
    let mut r = Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff, 0, 0]);
    let err = read_array(&mut r, false, "topics", |b| read_i8(b, "x")).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::InvalidLength { what: "topics", .. }
    ));
}

#[test]
fn rejects_truncated_string() {
    let mut r = Bytes::from_static(&[0, 5, b'a', b'b']);
    assert!(matches!(
        read_string(&mut r, false, "s"),
        Err(DecodeError::InvalidLength { .. })
    ));
}

#[test]
fn rejects_null_where_not_nullable() {
    let mut r = Bytes::from_static(&[0xff, 0xff]);
    assert!(matches!(
        read_string(&mut r, false, "s"),
        Err(DecodeError::UnexpectedNull { what: "s" })
    ));
}

#[test]
fn keeps_unknown_tagged_fields_in_order() {
    let mut r = Bytes::from_static(&[2, 0, 1, 9, 5, 2, 7, 7]);
    let unknown = read_tagged_fields(&mut r, "t", |tag, b| {
        if tag == 0 {
            assert_eq!(read_i8(b, "x").expect("one byte"), 9);
            Ok(true)
        } else {
            Ok(false)
        }
    })
    .expect("decodes");
    assert_eq!(
        unknown,
        vec![RawTaggedField {
            tag: 5,
            data: Bytes::from_static(&[7, 7])
        }]
    );
    let mut w = TaggedFieldsWriter::new();
    w.field(0, |b| {
        b.put_i8(9);
        Ok(())
    })
    .expect("field");
    let mut out = BytesMut::new();
    w.finish(&mut out, &unknown).expect("encodes");
    assert_eq!(&out[..], &[2, 0, 1, 9, 5, 2, 7, 7]);
}

#[test]
fn rejects_tagged_fields_out_of_order() {
    // Found by the `header` fuzz target: tags 41 then 2.
    let mut r = Bytes::from_static(&[2, 41, 1, 0, 2, 1, 0]);
    let err = read_tagged_fields(&mut r, "t", |_, _| Ok(false)).unwrap_err();
    assert!(matches!(err, DecodeError::Invalid { .. }), "{err}");
    let mut r = Bytes::from_static(&[2, 3, 1, 0, 3, 1, 0]);
    assert!(
        read_tagged_fields(&mut r, "t", |_, _| Ok(false)).is_err(),
        "duplicate tag"
    );
}

#[test]
fn strings_past_32767_bytes_are_refused_both_ways_in_compact_form_too() {
    for compact in [false, true] {
        let mut buf = BytesMut::new();
        let at_max = "x".repeat(MAX_STRING_LEN);
        write_string(&mut buf, compact, &at_max, "s").expect("32,767 bytes fit");
        let mut r = buf.freeze();
        assert_eq!(read_string(&mut r, compact, "s").expect("reads"), at_max);

        let mut buf = BytesMut::new();
        let over = "x".repeat(MAX_STRING_LEN + 1);
        assert!(
            matches!(
                write_string(&mut buf, compact, &over, "s"),
                Err(EncodeError::TooLong {
                    what: "s",
                    length: 32_768
                })
            ),
            "compact={compact}"
        );
        // Bytes fields are not strings: they may be longer.
        let mut buf = BytesMut::new();
        write_bytes(&mut buf, compact, over.as_bytes(), "b").expect("bytes may be long");
    }
    // A compact string read from the wire claiming 32,768 bytes (all of
    // them there) is refused, as Kafka refuses it.
    let mut buf = BytesMut::new();
    write_unsigned_varint(&mut buf, 32_768 + 1);
    buf.extend_from_slice(&[b'y'; 32_768]);
    let err = read_string(&mut buf.freeze(), true, "s").unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::InvalidLength {
                what: "s",
                length: 32_768
            }
        ),
        "{err}"
    );
}

#[test]
fn an_array_count_reserves_no_more_memory_than_the_bytes_behind_it() {
    // 2^20 elements of 232 bytes claimed, 1 MiB of input behind them.
    assert_eq!(
        array_capacity::<[u8; 232]>(0x10_0000, 1 << 20),
        (1 << 20) / 232
    );
    // Small counts are reserved as they are.
    assert_eq!(array_capacity::<u64>(10, 1 << 20), 10);
    assert_eq!(array_capacity::<()>(7, 3), 3);
}
