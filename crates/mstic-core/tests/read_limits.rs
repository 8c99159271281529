//! The size caps of `mstic_core::limits` against a real HTTP server on 127.0.0.1: a body past the
//! cap fails naming the URL and the cap, whether its length is declared up front or only known
//! as it streams in.

use mstic_core::limits::{CapKind, ByteCap, CappedReadError, ReadLimits, read_response};
use std::io::{Read, Write};
use std::net::TcpListener;

/// A one-connection server answering with `body`; with `declare_length` the answer has a
/// `Content-Length`, else the body ends when the connection closes.
fn serve_once(body: Vec<u8>, declare_length: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let length = if declare_length { format!("Content-Length: {}\r\n", body.len()) } else { String::new() };
        let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n");
        let _ = stream.write_all(head.as_bytes());
        for piece in body.chunks(1000) {
            if stream.write_all(piece).is_err() {
                return;
            }
        }
    });
    url
}

fn fetch(url: &str, cap: ByteCap) -> Result<Vec<u8>, CappedReadError<reqwest::Error>> {
    mstic_core::runtime::block_on(async {
        let response = reqwest::Client::new().get(url).send().await.unwrap();
        read_response(response, cap, url).await
    })
}

fn too_large_message(result: Result<Vec<u8>, CappedReadError<reqwest::Error>>) -> String {
    match result {
        Err(CappedReadError::TooLarge(e)) => e.to_string(),
        Err(other) => panic!("expected the cap to stop the read, got {other}"),
        Ok(body) => panic!("expected the cap to stop the read, got {} bytes", body.len()),
    }
}

const CAP: ByteCap = ByteCap { kind: CapKind::Response, bytes: 2048 };

#[test]
fn streamed_body_past_the_cap_names_url_and_cap() {
    let url = serve_once(vec![b'x'; 50_000], false);
    assert_eq!(
        too_large_message(fetch(&url, CAP)),
        format!("{url} is larger than the response cap of 2048 bytes (2 KiB); set MSTIC_MAX_RESPONSE_BYTES to raise it")
    );
}

#[test]
fn declared_length_past_the_cap_fails_before_reading() {
    let url = serve_once(vec![b'x'; 50_000], true);
    assert!(too_large_message(fetch(&url, CAP)).starts_with(&format!("{url} is larger than the response cap of 2048 bytes")));
}

#[test]
fn body_at_the_cap_is_read_whole() {
    let url = serve_once(vec![b'y'; 2048], false);
    assert_eq!(fetch(&url, CAP).unwrap(), vec![b'y'; 2048]);
    let url = serve_once(vec![b'z'; 2048], true);
    assert_eq!(fetch(&url, CAP).unwrap(), vec![b'z'; 2048]);
}

#[test]
fn download_cap_is_named_in_its_message() {
    let url = serve_once(vec![0u8; 10_000], false);
    let limits = ReadLimits { max_download_bytes: 4096, ..ReadLimits::default() };
    assert_eq!(
        too_large_message(fetch(&url, limits.download())),
        format!("{url} is larger than the download cap of 4096 bytes (4 KiB); set MSTIC_MAX_DOWNLOAD_BYTES to raise it")
    );
}
