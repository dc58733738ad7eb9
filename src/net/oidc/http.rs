//! The smallest HTTP/1.1 client the token endpoint needs: one `POST` of a
//! form per connection (`Connection: close`), over TLS for `https://`,
//! the response read whole up to a cap. Written here rather than taken
//! from a crate: hyper/reqwest would bring dozens of crates (and
//! reqwest's TLS choices lean on ring or aws-lc) for one request a token
//! lifetime; this uses our rustls stack and tokio, nothing else.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response larger than this is refused (token responses are a few KB).
pub(super) const MAX_RESPONSE: usize = 1 << 20;

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Url {
    /// `https` or not.
    pub(super) tls: bool,
    /// The host (without brackets for IPv6).
    pub(super) host: String,
    /// The port (443 or 80 when not given).
    pub(super) port: u16,
    /// The path and query, `/` at least.
    pub(super) path: String,
}

impl Url {
    /// Parses `url`; the error says what is wrong.
    pub(super) fn parse(url: &str) -> Result<Url, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err("not an http:// or https:// URL".into());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err("credentials in the URL are not supported".into());
        }
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
            match after.strip_prefix(':') {
                Some(p) => (host, p.parse().map_err(|_| "bad port")?),
                None if after.is_empty() => (host, default_port),
                None => return Err("bad host".into()),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| "bad port")?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() || path.contains(['\r', '\n', ' ']) {
            return Err("no host, or a path with spaces or line breaks".into());
        }
        Ok(Url {
            tls,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

/// A response: its status code and body.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Response {
    /// The status code.
    pub(super) status: u16,
    /// The body, de-chunked.
    pub(super) body: Vec<u8>,
}

/// POSTs `body` (a form) to `url` with the extra `headers`, within `timeout`.
pub(super) async fn post_form(
    url: &Url,
    headers: &[(&str, &str)],
    body: &str,
    tls: Option<&Arc<rustls::ClientConfig>>,
    timeout: Duration,
) -> Result<Response, String> {
    let host_header = if url.host.contains(':') {
        format!("[{}]:{}", url.host, url.port)
    } else {
        format!("{}:{}", url.host, url.port)
    };
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {host_header}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        url.path,
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let exchange = async {
        let tcp = TcpStream::connect((url.host.as_str(), url.port))
            .await
            .map_err(|e| format!("connecting to {host_header}: {e}"))?;
        if url.tls {
            let tls = tls.ok_or("no TLS configuration for an https:// URL")?;
            let name = ServerName::try_from(url.host.clone())
                .map_err(|e| format!("bad host name {}: {e}", url.host))?;
            let stream = tokio_rustls::TlsConnector::from(tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS with {host_header}: {e}"))?;
            exchange(stream, request.as_bytes()).await
        } else {
            exchange(tcp, request.as_bytes()).await
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| format!("no answer from {host_header} within {timeout:?}"))?
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
) -> Result<Response, String> {
    stream
        .write_all(request)
        .await
        .map_err(|e| format!("sending the request: {e}"))?;
    stream.flush().await.map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => {
                if raw.len() + n > MAX_RESPONSE {
                    return Err(format!("response over {MAX_RESPONSE} bytes"));
                }
                raw.extend_from_slice(&chunk[..n]);
                // Done as soon as the response is whole (some servers keep
                // the connection open despite `Connection: close`).
                if let Ok(Some(response)) = parse_response(&raw) {
                    return Ok(response);
                }
            }
            // A TLS peer closing without close_notify after a whole
            // response is common; the parse below decides.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(format!("reading the response: {e}")),
        }
    }
    match parse_response(&raw)? {
        Some(response) => Ok(response),
        None => parse_until_close(&raw),
    }
}

/// A response whose body runs to the end of the connection (no length).
fn parse_until_close(raw: &[u8]) -> Result<Response, String> {
    let (status, headers_end, framing) = head(raw)?.ok_or("the connection closed mid-headers")?;
    match framing {
        Framing::UntilClose => Ok(Response {
            status,
            body: raw[headers_end..].to_vec(),
        }),
        _ => Err("the connection closed before the whole response".into()),
    }
}

enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// The status, where the body starts and how it is framed, once the
/// headers are in; `None` before.
fn head(raw: &[u8]) -> Result<Option<(u16, usize, Framing)>, String> {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        if raw.len() > 64 * 1024 {
            return Err("response headers over 64 KiB".into());
        }
        return Ok(None);
    };
    let text = std::str::from_utf8(&raw[..end]).map_err(|_| "response headers not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if !version.starts_with("HTTP/1.") {
        return Err(format!("not an HTTP/1.x response: {status_line:.80}"));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| format!("bad status line: {status_line:.80}"))?;
    let mut framing = Framing::UntilClose;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            framing = Framing::Chunked;
        } else if name.eq_ignore_ascii_case("content-length")
            && !matches!(framing, Framing::Chunked)
        {
            framing = Framing::Length(value.parse().map_err(|_| "bad Content-Length")?);
        }
    }
    Ok(Some((status, end + 4, framing)))
}

/// The response in `raw` once it is whole (`None` while more is to come).
pub(super) fn parse_response(raw: &[u8]) -> Result<Option<Response>, String> {
    let Some((status, start, framing)) = head(raw)? else {
        return Ok(None);
    };
    let rest = &raw[start..];
    let body = match framing {
        Framing::Length(n) if n > MAX_RESPONSE => return Err("Content-Length too large".into()),
        Framing::Length(n) if rest.len() >= n => rest[..n].to_vec(),
        Framing::Length(_) | Framing::UntilClose => return Ok(None),
        Framing::Chunked => match dechunk(rest)? {
            Some(body) => body,
            None => return Ok(None),
        },
    };
    Ok(Some(Response { status, body }))
}

/// A chunked body, once its last chunk is in.
fn dechunk(mut rest: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        if size > MAX_RESPONSE {
            return Err("chunk too large".into());
        }
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(Some(body));
        }
        if rest.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// `application/x-www-form-urlencoded` escaping of one value (RFC 6749
/// appendix B: also what client ids and secrets get before Basic auth).
pub(super) fn form_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Url::parse("https://idp.example/oauth2/token?x=1").expect("url");
        assert_eq!(
            u,
            Url {
                tls: true,
                host: "idp.example".into(),
                port: 443,
                path: "/oauth2/token?x=1".into()
            }
        );
        let u = Url::parse("http://127.0.0.1:8080").expect("url");
        assert_eq!((u.tls, u.port, u.path.as_str()), (false, 8080, "/"));
        let u = Url::parse("https://[::1]:9443/t").expect("url");
        assert_eq!((u.host.as_str(), u.port), ("::1", 9443));
        for bad in [
            "ftp://x/",
            "https://:80/",
            "https://h:port/",
            "https://u:p@h/",
            "https://h/a b",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn responses_by_length_chunks_or_close() {
        let by_length = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(
            parse_response(by_length).expect("ok"),
            Some(Response {
                status: 200,
                body: b"hello".to_vec()
            })
        );
        assert_eq!(
            parse_response(&by_length[..by_length.len() - 1]).expect("ok"),
            None
        );
        let chunked = b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked).expect("ok"),
            Some(Response {
                status: 401,
                body: b"abcde".to_vec()
            })
        );
        assert_eq!(parse_response(&chunked[..60]).expect("ok"), None);
        let until_close = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{}";
        assert_eq!(parse_response(until_close).expect("ok"), None);
        assert_eq!(
            parse_until_close(until_close).expect("ok"),
            Response {
                status: 200,
                body: b"{}".to_vec()
            }
        );
        for bad in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ] {
            assert!(parse_response(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn form_escaping() {
        assert_eq!(form_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(form_escape("Az09-._*"), "Az09-._*");
    }
}
