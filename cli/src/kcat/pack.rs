//! kcat's `-s` pack-format deserializers: a key or value read as a
//! sequence of integers, characters and a trailing string, each written
//! as kcat writes it (integers in decimal, `c` as the byte itself, `s` as
//! a C string: up to the first NUL). kcat 1.7.1 accepts `<` and `>` but
//! reads every integer big-endian; so do we, for the same output bytes.

/// One token of a pack format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// `<` or `>`: accepted, no effect (see the module's doc).
    Order,
    /// An integer: its width in bytes and whether it is signed.
    Int(usize, bool),
    /// `c`: one byte, as it is.
    Char,
    /// `s`: the rest, as a C string.
    Str,
    /// `$`: nothing may remain.
    End,
}

/// A parsed pack format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pack(Vec<Item>);

impl Pack {
    /// Parses `fmt`; `what` (`key` or `value`) names it in the error.
    pub(crate) fn parse(fmt: &str, what: &str) -> Result<Pack, String> {
        fmt.chars()
            .map(|c| {
                Ok(match c {
                    '<' | '>' => Item::Order,
                    'b' => Item::Int(1, true),
                    'B' => Item::Int(1, false),
                    'h' => Item::Int(2, true),
                    'H' => Item::Int(2, false),
                    'i' => Item::Int(4, true),
                    'I' => Item::Int(4, false),
                    'q' => Item::Int(8, true),
                    'Q' => Item::Int(8, false),
                    'c' => Item::Char,
                    's' => Item::Str,
                    '$' => Item::End,
                    _ => {
                        return Err(format!(
                            "Invalid token '{c}' in {what} pack-format, see -s usage."
                        ))
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Pack)
    }

    /// Writes `data` unpacked into `out`; what was written before a
    /// failure stays (kcat writes as it goes). `what` names the field in
    /// the error.
    pub(crate) fn write(&self, out: &mut Vec<u8>, data: &[u8], what: &str) -> Result<(), String> {
        use std::io::Write;
        let mut rest = data;
        for item in &self.0 {
            match *item {
                Item::Order => {}
                Item::Int(width, signed) => {
                    if rest.len() < width {
                        let letter = letter(width, signed);
                        return Err(format!(
                            "{what} truncated, expected {width} bytes to unpack {letter} but only {} bytes remaining",
                            rest.len()
                        ));
                    }
                    let (bytes, tail) = rest.split_at(width);
                    rest = tail;
                    let mut raw = [0u8; 8];
                    raw[8 - width..].copy_from_slice(bytes);
                    let unsigned = u64::from_be_bytes(raw);
                    // Writing to a Vec cannot fail.
                    let _ = if signed {
                        let shift = 64 - 8 * width as u32;
                        write!(out, "{}", ((unsigned << shift) as i64) >> shift)
                    } else {
                        write!(out, "{unsigned}")
                    };
                }
                Item::Char => {
                    let Some((&c, tail)) = rest.split_first() else {
                        return Err(format!(
                            "{what} truncated, expected 1 bytes to unpack c but only 0 bytes remaining"
                        ));
                    };
                    out.push(c);
                    rest = tail;
                }
                Item::Str => {
                    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
                    out.extend_from_slice(&rest[..end]);
                    rest = &[];
                }
                Item::End => {
                    if !rest.is_empty() {
                        return Err(format!(
                            "expected {what} end-of-input, but {} bytes remaining",
                            rest.len()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn letter(width: usize, signed: bool) -> char {
    match (width, signed) {
        (1, true) => 'b',
        (1, false) => 'B',
        (2, true) => 'h',
        (2, false) => 'H',
        (4, true) => 'i',
        (4, false) => 'I',
        (8, true) => 'q',
        _ => 'Q',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpack(fmt: &str, data: &[u8]) -> (Vec<u8>, Result<(), String>) {
        let mut out = Vec::new();
        let r = Pack::parse(fmt, "key")
            .expect("parses")
            .write(&mut out, data, "key");
        (out, r)
    }

    /// The outputs kcat 1.7.1 gave for the same bytes.
    #[test]
    fn unpacks_as_kcat_does() {
        let key = b"\0\0\0\x07hello";
        let value = b"\xff\xfe\0\x01ab";
        assert_eq!(unpack("I", key).0, b"7");
        assert_eq!(unpack(">I", value).0, b"4294836225");
        assert_eq!(unpack("<Hcc", key).0, b"0\0\x07");
        assert_eq!(unpack("<Hcc", value).0, b"65534\0\x01");
        assert_eq!(unpack("<I", key).0, b"7");
        assert_eq!(unpack("<h", value).0, b"-2");
        assert_eq!(unpack("<Bh", value).0, b"255-512");
        assert_eq!(unpack("bBs", key).0, b"00");
        assert_eq!(unpack("bBs", value).0, b"-1254");
        assert_eq!(unpack("<b>h", value).0, b"-1-512");
        assert_eq!(unpack("s", value).0, b"\xff\xfe");
        assert_eq!(unpack("c", value).0, b"\xff");
        assert_eq!(unpack("q", &[0xff; 8]).0, b"-1");
        assert_eq!(unpack("Q", &[0xff; 8]).0, b"18446744073709551615");
        assert_eq!(
            unpack("I", b"abc"),
            (
                Vec::new(),
                Err(
                    "key truncated, expected 4 bytes to unpack I but only 3 bytes remaining".into()
                )
            )
        );
        assert_eq!(
            unpack(">I$", key),
            (
                b"7".to_vec(),
                Err("expected key end-of-input, but 5 bytes remaining".into())
            )
        );
        assert_eq!(unpack("I$", &key[..4]), (b"7".to_vec(), Ok(())));
        assert_eq!(
            Pack::parse("Ix", "value"),
            Err("Invalid token 'x' in value pack-format, see -s usage.".into())
        );
    }
}
