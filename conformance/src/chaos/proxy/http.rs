//! One proxied connection: two pumps that frame HTTP/1.1 messages just enough to apply a
//! verdict to one request and to its answer.
//!
//! The request pump decides each request's verdict before forwarding its head and passes it to
//! the response pump through a channel, so the verdict is always there before the server can
//! answer. A `1xx` answer is forwarded and does not count as the answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::{Shared, Verdict};

/// Longest head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// How long a connection waits for the rest of an answer after the client finished.
const DRAIN: Duration = Duration::from_secs(30);
/// How long a reset waits for body bytes before cutting anyway.
const RESET_IDLE: Duration = Duration::from_millis(300);

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// What the response pump needs to know about a request.
#[derive(Debug, Clone, Copy)]
struct Pending {
    verdict: Verdict,
    head_request: bool,
    /// A BE list (Doris `/api/backends`, StarRocks `/api/show_proc?path=/backends`), whose
    /// ports are rewritten like redirects.
    backends: bool,
}

/// How the request pump ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    ClientClosed,
    Abort,
}

pub(super) async fn serve(client: TcpStream, shared: Arc<Shared>) {
    let Ok(upstream) = TcpStream::connect(shared.upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    let (tx, rx) = mpsc::unbounded_channel();
    let requests = forward_requests(BufReader::new(client_read), upstream_write, tx, &shared);
    let responses = forward_responses(BufReader::new(upstream_read), client_write, rx, &shared);
    tokio::pin!(requests, responses);
    tokio::select! {
        end = &mut requests => {
            if end == End::ClientClosed {
                let _ = tokio::time::timeout(DRAIN, &mut responses).await;
            }
        }
        _ = &mut responses => {}
    }
}

async fn forward_requests<R, W>(
    mut client: BufReader<R>,
    mut upstream: W,
    tx: mpsc::UnboundedSender<Pending>,
    shared: &Shared,
) -> End
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let head = match read_head(&mut client).await {
            Ok(Some(head)) => head,
            Ok(None) => return End::ClientClosed,
            Err(_) => return End::Abort,
        };
        let text = String::from_utf8_lossy(&head).into_owned();
        let body = request_body(&text);
        let verdict = shared.verdict(body != Body::None);
        if let Verdict::Reset { after_bytes } = verdict {
            let _ = upstream.write_all(&head).await;
            let _ = copy_some(&mut client, &mut upstream, after_bytes).await;
            shared.count(verdict);
            return End::Abort;
        }
        let head_request = text.starts_with("HEAD ");
        let backends = text
            .lines()
            .next()
            .is_some_and(|l| l.contains("/api/backends") || l.contains("/api/show_proc"));
        let pending = Pending {
            verdict,
            head_request,
            backends,
        };
        if tx.send(pending).is_err() {
            return End::Abort;
        }
        if upstream.write_all(&head).await.is_err()
            || copy_body(&mut client, &mut upstream, body).await.is_err()
        {
            return End::Abort;
        }
    }
}

async fn forward_responses<R, W>(
    mut upstream: BufReader<R>,
    mut client: W,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    shared: &Shared,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let Ok(Some(head)) = read_head(&mut upstream).await else {
            return;
        };
        let text = String::from_utf8_lossy(&head).into_owned();
        let status = status_of(&text);
        if (100..200).contains(&status) && status != 101 {
            if client.write_all(&head).await.is_err() {
                return;
            }
            continue;
        }
        let pending = rx.try_recv().unwrap_or(Pending {
            verdict: Verdict::Pass,
            head_request: false,
            backends: false,
        });
        let mut body = response_body(&text, status, pending.head_request);
        let rewrites = shared.rewrites();
        let mut head = rewrite_location(&text, status, &rewrites).map_or(head, String::into_bytes);
        if let (true, Body::Length(length)) = (pending.backends, body) {
            let Ok(rewritten) = rewrite_backends(&mut upstream, &head, length, &rewrites).await
            else {
                return;
            };
            head = rewritten;
            body = Body::None;
        }
        match pending.verdict {
            Verdict::DropAnswer => {
                let _ = copy_body(&mut upstream, &mut tokio::io::sink(), body).await;
                shared.count(pending.verdict);
                return;
            }
            Verdict::Delay(delay) => {
                tokio::time::sleep(delay).await;
                shared.count(pending.verdict);
            }
            Verdict::Pass | Verdict::Reset { .. } => {}
        }
        if client.write_all(&head).await.is_err()
            || copy_body(&mut upstream, &mut client, body).await.is_err()
        {
            return;
        }
    }
}

/// Reads a head up to its empty line; `None` on a clean end of stream before any byte.
async fn read_head<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        let read = reader.read_until(b'\n', &mut head).await?;
        if read == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(std::io::ErrorKind::UnexpectedEof.into())
            };
        }
        let line = &head[start..];
        if line == b"\r\n" || line == b"\n" {
            // Blank lines before a message are allowed and skipped.
            if start == 0 {
                head.clear();
                continue;
            }
            return Ok(Some(head));
        }
        if head.len() > MAX_HEAD {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn framing(head: &str) -> Option<Body> {
    if header(head, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Some(Body::Chunked);
    }
    let length = header(head, "content-length")?.parse().ok()?;
    Some(if length == 0 {
        Body::None
    } else {
        Body::Length(length)
    })
}

fn request_body(head: &str) -> Body {
    framing(head).unwrap_or(Body::None)
}

fn status_of(head: &str) -> u16 {
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn response_body(head: &str, status: u16, head_request: bool) -> Body {
    if head_request || status == 204 || status == 304 || (100..200).contains(&status) {
        return Body::None;
    }
    framing(head).unwrap_or(Body::UntilClose)
}

/// The head with `Location` rewritten, when this is a redirect naming a rewritten address.
fn rewrite_location(
    head: &str,
    status: u16,
    rewrites: &[(SocketAddr, SocketAddr)],
) -> Option<String> {
    if !(300..400).contains(&status) || rewrites.is_empty() {
        return None;
    }
    let mut changed = false;
    let lines: Vec<String> = head
        .split_inclusive('\n')
        .map(|line| {
            let is_location = line
                .split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("location"));
            let mut line = line.to_owned();
            if is_location {
                for (from, to) in rewrites {
                    let (from, to) = (from.to_string(), to.to_string());
                    if line.contains(&from) {
                        line = line.replace(&from, &to);
                        changed = true;
                    }
                }
            }
            line
        })
        .collect();
    changed.then(|| lines.concat())
}

/// Reads a BE list's body and returns head and body with the BEs' HTTP ports rewritten (and
/// `Content-Length` fixed): a client takes a redirect target for a BE only when the FE lists it.
async fn rewrite_backends<R: AsyncRead + Unpin>(
    upstream: &mut BufReader<R>,
    head: &[u8],
    length: u64,
    rewrites: &[(SocketAddr, SocketAddr)],
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    (&mut *upstream).take(length).read_to_end(&mut body).await?;
    let mut text = String::from_utf8_lossy(&body).into_owned();
    for (from, to) in rewrites {
        for spacing in ["", " "] {
            // Doris: `"http_port": 8040`; StarRocks: `"HttpPort": "8040"`.
            text = text.replace(
                &format!("\"http_port\":{spacing}{}", from.port()),
                &format!("\"http_port\":{spacing}{}", to.port()),
            );
            text = text.replace(
                &format!("\"HttpPort\":{spacing}\"{}\"", from.port()),
                &format!("\"HttpPort\":{spacing}\"{}\"", to.port()),
            );
        }
    }
    let head = String::from_utf8_lossy(head);
    let mut out: String = head
        .split_inclusive('\n')
        .filter(|line| {
            !line
                .split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        })
        .collect();
    let blank = out.len() - 2;
    out.insert_str(blank, &format!("content-length: {}\r\n", text.len()));
    out.push_str(&text);
    Ok(out.into_bytes())
}

async fn copy_body<R, W>(
    reader: &mut BufReader<R>,
    writer: &mut W,
    body: Body,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    match body {
        Body::None => Ok(()),
        Body::Length(length) => copy_exact(reader, writer, length).await,
        Body::UntilClose => tokio::io::copy(reader, writer).await.map(drop),
        Body::Chunked => loop {
            let mut line = Vec::new();
            if reader.read_until(b'\n', &mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            writer.write_all(&line).await?;
            let text = String::from_utf8_lossy(&line);
            let size = text.split(';').next().unwrap_or("").trim();
            let size =
                u64::from_str_radix(size, 16).map_err(|_| std::io::ErrorKind::InvalidData)?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let mut trailer = Vec::new();
                    if reader.read_until(b'\n', &mut trailer).await? == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    writer.write_all(&trailer).await?;
                    if trailer == b"\r\n" || trailer == b"\n" {
                        return Ok(());
                    }
                }
            }
            copy_exact(reader, writer, size + 2).await?;
        },
    }
}

async fn copy_exact<R, W>(
    reader: &mut BufReader<R>,
    writer: &mut W,
    length: u64,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let copied = tokio::io::copy(&mut reader.take(length), writer).await?;
    if copied == length {
        Ok(())
    } else {
        Err(std::io::ErrorKind::UnexpectedEof.into())
    }
}

/// Forwards up to `limit` bytes of whatever follows, giving up when the sender pauses.
async fn copy_some<R, W>(
    reader: &mut BufReader<R>,
    writer: &mut W,
    limit: usize,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut left = limit;
    let mut buf = [0u8; 512];
    while left > 0 {
        let want = left.min(buf.len());
        let read = match tokio::time::timeout(RESET_IDLE, reader.read(&mut buf[..want])).await {
            Ok(read) => read?,
            Err(_) => return Ok(()),
        };
        if read == 0 {
            return Ok(());
        }
        writer.write_all(&buf[..read]).await?;
        left -= read;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_to_a_rewritten_address_are_rewritten() {
        let head = "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://root:@127.0.0.1:4001/api/db/t/_stream_load?\r\ncontent-length: 0\r\n\r\n";
        let rewrites = vec![(
            "127.0.0.1:4001".parse().unwrap(),
            "127.0.0.1:5001".parse().unwrap(),
        )];
        let out = rewrite_location(head, 307, &rewrites).unwrap();
        assert!(
            out.contains("http://root:@127.0.0.1:5001/api/db/t/_stream_load?\r\n"),
            "{out}"
        );
        assert!(rewrite_location(head, 200, &rewrites).is_none());
    }

    #[tokio::test]
    async fn backend_lists_name_the_proxy() {
        let body =
            br#"{"data":{"backends":[{"ip":"127.0.0.1","http_port":4001,"is_alive":true}]}}"#;
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
        let rewrites = vec![(
            "127.0.0.1:4001".parse().unwrap(),
            "127.0.0.1:5001".parse().unwrap(),
        )];
        let mut reader = BufReader::new(&body[..]);
        let length = u64::try_from(body.len()).unwrap();
        let out = rewrite_backends(&mut reader, head.as_bytes(), length, &rewrites)
            .await
            .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("\"http_port\":5001"), "{out}");
        assert!(
            out.contains(&format!("content-length: {}\r\n\r\n{{", body.len())),
            "{out}"
        );
    }

    #[test]
    fn bodies_are_framed_by_length_or_chunks() {
        assert_eq!(
            request_body("PUT / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"),
            Body::Length(5)
        );
        assert_eq!(
            request_body("PUT / HTTP/1.1\r\ncontent-length: 0\r\n\r\n"),
            Body::None
        );
        assert_eq!(
            request_body("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Body::Chunked
        );
        assert_eq!(
            response_body("HTTP/1.1 200 OK\r\n\r\n", 200, false),
            Body::UntilClose
        );
        assert_eq!(
            response_body("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n", 200, true),
            Body::None
        );
    }
}
