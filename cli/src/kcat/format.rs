//! kcat's output: the `-f` format string with its `%` tokens and `\`
//! escapes, and the `-J` JSON envelope, written byte for byte as kcat
//! writes them (JSON strings escaped as yajl escapes them: control
//! characters, `"` and `\`; other bytes as they are).

use ferrokafka::consumer::{Message, TimestampType};

use crate::kcat::fatal;
use crate::kcat::pack::Pack;

/// One piece of a parsed format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// Literal bytes.
    Str(Vec<u8>),
    /// `%o`.
    Offset,
    /// `%k`.
    Key,
    /// `%K`.
    KeyLen,
    /// `%s`.
    Payload,
    /// `%S`.
    PayloadLen,
    /// `%R`.
    PayloadLenBinary,
    /// `%t`.
    Topic,
    /// `%p`.
    Partition,
    /// `%T`.
    Timestamp,
    /// `%h`.
    Headers,
}

/// A literal piece with kcat's `\` escapes applied: `\t \n \r`, `\xHH`,
/// `\NNN` (C's `strtoul`, base 0 so a leading 0 is octal), any other
/// escaped character as itself. Like kcat's C string, it ends at a NUL.
fn literal(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() {
            i += 1;
            let mut base = 0;
            match s[i] {
                b't' => out.push(b'\t'),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                c => {
                    if c == b'x' {
                        i += 1;
                        base = 16;
                    }
                    match s.get(i) {
                        Some(d) if d.is_ascii_digit() => {
                            let (v, used) = strtoul(&s[i..], base);
                            out.push(v as u8);
                            i += used.max(1) - 1;
                        }
                        Some(&d) => out.push(d),
                        None => {}
                    }
                }
            }
        } else {
            out.push(s[i]);
        }
        i += 1;
    }
    if let Some(nul) = out.iter().position(|&b| b == 0) {
        out.truncate(nul);
    }
    out
}

/// C's `strtoul` on digits (base 0: `0x` hex, leading `0` octal, else
/// decimal): the value and how many bytes it read.
fn strtoul(s: &[u8], base: u32) -> (u64, usize) {
    let (radix, start) = match base {
        0 if s.len() > 2 && s[0] == b'0' && (s[1] | 0x20) == b'x' && s[2].is_ascii_hexdigit() => {
            (16, 2)
        }
        0 if s.first() == Some(&b'0') => (8, 0),
        0 => (10, 0),
        b => (b, 0),
    };
    let mut v: u64 = 0;
    let mut i = start;
    while let Some(d) = s.get(i).and_then(|&c| (c as char).to_digit(radix)) {
        v = v.wrapping_mul(u64::from(radix)).wrapping_add(u64::from(d));
        i += 1;
    }
    (v, i)
}

/// Parses a format string as kcat's `fmt_parse` does; an unknown token
/// is fatal (`Unsupported formatter: %H`), as in kcat.
pub(crate) fn parse(fmt: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut s = fmt;
    while !s.is_empty() {
        let Some(t) = s.iter().position(|&b| b == b'%') else {
            tokens.push(Token::Str(literal(s)));
            break;
        };
        if t > 0 {
            tokens.push(Token::Str(literal(&s[..t])));
        }
        let tok = match s.get(t + 1) {
            Some(b'o') => Token::Offset,
            Some(b'k') => Token::Key,
            Some(b'K') => Token::KeyLen,
            Some(b's') => Token::Payload,
            Some(b'S') => Token::PayloadLen,
            Some(b'R') => Token::PayloadLenBinary,
            Some(b't') => Token::Topic,
            Some(b'p') => Token::Partition,
            Some(b'T') => Token::Timestamp,
            Some(b'h') => Token::Headers,
            Some(b'%') => Token::Str(b"%".to_vec()),
            None => fatal("Empty formatter"),
            Some(&c) => fatal(&format!("Unsupported formatter: %{}", c as char)),
        };
        tokens.push(tok);
        s = &s[t + 2..];
    }
    tokens
}

/// What a token needs besides the message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// `-Z`: write "NULL" for empty keys and values.
    pub(crate) null: bool,
    /// The broker the message came from (`-J`'s `broker`).
    pub(crate) broker: i32,
    /// What follows each JSON object (the `-D` delimiter).
    pub(crate) json_end: &'a [u8],
    /// `-s key=...`: how `%k` unpacks a key.
    pub(crate) key_pack: Option<&'a Pack>,
    /// `-s value=...`: how `%s` unpacks a value.
    pub(crate) value_pack: Option<&'a Pack>,
}

/// Writes `msg` as the tokens say (kcat's `fmt_msg_output_str`); fails
/// when a `-s` pack format does not fit the key or value, with what was
/// written before it left in `out`.
pub(crate) fn write_tokens(
    out: &mut Vec<u8>,
    tokens: &[Token],
    msg: &Message,
    ctx: &Context,
) -> Result<(), String> {
    use std::io::Write;
    for tok in tokens {
        // Writing to a Vec cannot fail.
        let _ = match tok {
            Token::Str(s) => {
                out.extend_from_slice(s);
                Ok(())
            }
            Token::Offset => write!(out, "{}", msg.offset()),
            Token::Key => {
                match msg.key() {
                    Some(k) if !k.is_empty() => match ctx.key_pack {
                        Some(p) => p.write(out, k, "key")?,
                        None => out.extend_from_slice(k),
                    },
                    _ if ctx.null => out.extend_from_slice(b"NULL"),
                    _ => {}
                }
                Ok(())
            }
            Token::KeyLen => write!(out, "{}", msg.key().map_or(-1, |k| k.len() as i64)),
            Token::Payload => {
                match msg.value() {
                    Some(v) if !v.is_empty() => match ctx.value_pack {
                        Some(p) => p.write(out, v, "value")?,
                        None => out.extend_from_slice(v),
                    },
                    _ if ctx.null => out.extend_from_slice(b"NULL"),
                    _ => {}
                }
                Ok(())
            }
            Token::PayloadLen => write!(out, "{}", msg.value().map_or(-1, |v| v.len() as i64)),
            Token::PayloadLenBinary => {
                let len = msg.value().map_or(-1, |v| v.len() as i32);
                out.extend_from_slice(&len.to_be_bytes());
                Ok(())
            }
            Token::Topic => {
                out.extend_from_slice(msg.topic().as_bytes());
                Ok(())
            }
            Token::Partition => write!(out, "{}", msg.partition()),
            Token::Timestamp => write!(out, "{}", msg.timestamp()),
            Token::Headers => {
                for (i, h) in msg.headers().iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(h.key_bytes());
                    out.push(b'=');
                    match &h.value {
                        Some(v) => out.extend_from_slice(v),
                        None => out.extend_from_slice(b"NULL"),
                    }
                }
                Ok(())
            }
        };
    }
    Ok(())
}

/// A JSON string as yajl writes it (no UTF-8 validation: bytes above
/// 0x7f are copied as they are).
pub(crate) fn json_string(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    for &b in s {
        match b {
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            0x0c => out.extend_from_slice(b"\\f"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            c if c < 0x20 => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xf)]);
            }
            c => out.push(c),
        }
    }
    out.push(b'"');
}

fn json_opt(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        Some(v) => json_string(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes `msg` in kcat's `-J` envelope, followed by `ctx.json_end`.
pub(crate) fn write_json(out: &mut Vec<u8>, msg: &Message, ctx: &Context) {
    use std::io::Write;
    out.extend_from_slice(b"{\"topic\":");
    json_string(out, msg.topic().as_bytes());
    let tstype = match msg.timestamp_type() {
        TimestampType::CreateTime => "create",
        TimestampType::LogAppendTime => "logappend",
    };
    let _ = write!(
        out,
        ",\"partition\":{},\"offset\":{},\"tstype\":\"{tstype}\",\"ts\":{},\"broker\":{}",
        msg.partition(),
        msg.offset(),
        msg.timestamp(),
        ctx.broker
    );
    if !msg.headers().is_empty() {
        out.extend_from_slice(b",\"headers\":[");
        for (i, h) in msg.headers().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_string(out, h.key_bytes());
            out.push(b',');
            json_opt(out, h.value.as_deref());
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"key\":");
    json_opt(out, msg.key());
    out.extend_from_slice(b",\"payload\":");
    json_opt(out, msg.value());
    out.push(b'}');
    out.extend_from_slice(ctx.json_end);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_literals() {
        assert_eq!(
            parse(b"%t [%p] @%o: %k=%s\\n"),
            vec![
                Token::Topic,
                Token::Str(b" [".to_vec()),
                Token::Partition,
                Token::Str(b"] @".to_vec()),
                Token::Offset,
                Token::Str(b": ".to_vec()),
                Token::Key,
                Token::Str(b"=".to_vec()),
                Token::Payload,
                Token::Str(b"\n".to_vec()),
            ]
        );
        assert_eq!(parse(b"%%"), vec![Token::Str(b"%".to_vec())]);
        assert_eq!(parse(b"%S%R%K%T%h")[1], Token::PayloadLenBinary);
    }

    #[test]
    fn escapes_as_kcat_reads_them() {
        assert_eq!(literal(b"a\\tb\\r\\n"), b"a\tb\r\n");
        assert_eq!(literal(b"\\x41\\x4a"), b"AJ");
        // \x followed by a non-digit: kcat drops the x, keeps the letter.
        assert_eq!(literal(b"\\xff"), b"ff");
        // \NNN: base 0, so 065 is octal (53, '5') and 65 decimal ('A').
        assert_eq!(literal(b"\\065\\65"), b"5A");
        assert_eq!(literal(b"\\\\\\q"), b"\\q");
        // A C string ends at NUL.
        assert_eq!(literal(b"ab\\x00;cd"), b"ab");
        // strtoul reads every hex digit: \x00cd is 0xcd.
        assert_eq!(literal(b"ab\\x00cd"), b"ab\xcd");
    }

    #[test]
    fn json_strings_escape_like_yajl() {
        let mut out = Vec::new();
        json_string(&mut out, b"a\"b\\c/\x01\x1f\t\xff");
        assert_eq!(out, b"\"a\\\"b\\\\c/\\u0001\\u001F\\t\xff\"".to_vec());
    }
}
