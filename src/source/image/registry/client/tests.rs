//! The client against a registry of canned answers on 127.0.0.1.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A registry on 127.0.0.1 that answers each HTTP request with the next canned
/// response (and closes the connection), recording the requests' first line and
/// Authorization and Range headers. A TLS hello (the --tls-verify=false probe) is dropped.
fn canned(responses: impl FnOnce(u16) -> Vec<String>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let responses = responses(port);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        let mut responses = responses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() || !first.starts_with("GET") {
                continue;
            }
            let mut authorization = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if lower.starts_with("authorization:") || lower.starts_with("range:") {
                    authorization += line.trim_end();
                }
            }
            log.lock()
                .unwrap()
                .push(format!("{} {authorization}", first.trim_end()));
            let Some(response) = responses.next() else {
                return;
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (port, seen)
}

fn response(status: &str, headers: &[&str], body: &str) -> String {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for h in headers {
        text += &format!("{h}\r\n");
    }
    text + "\r\n" + body
}

/// A client with no credentials (an empty auth file, kept while the client is),
/// for `port`.
fn client(port: u16) -> (Client, tempfile::NamedTempFile) {
    let auth = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(auth.path(), "{}").unwrap();
    let reference = RegistryRef::parse(&format!("registry:127.0.0.1:{port}/org/app:1"))
        .unwrap()
        .unwrap();
    let client = Client::new(
        &reference,
        &RegistryAccess {
            tls_verify: false,
            authfile: Some(auth.path().to_path_buf()),
        },
    )
    .unwrap();
    (client, auth)
}

#[test]
fn busy_registries_are_retried_then_named() {
    let busy = response("429 Too Many Requests", &["Retry-After: 0"], "");
    let (port, seen) = canned(|_| {
        vec![
            response("503 Service Unavailable", &["Retry-After: 0"], ""),
            busy.clone(),
            response("200 OK", &[], "{}"),
        ]
    });
    let body = client(port)
        .0
        .manifest("1", "*/*")
        .unwrap()
        .bytes(100, "m")
        .unwrap();
    assert_eq!(body, b"{}");
    assert_eq!(seen.lock().unwrap().len(), 3);
    // Still busy after every try: the error names the reference and the limit.
    let (port, _) = canned(|_| vec![busy; 4]);
    let e = client(port)
        .0
        .manifest("1", "*/*")
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains(&format!("127.0.0.1:{port}/org/app:1"))
            && e.contains("429 Too Many Requests")
            && e.contains("after 4 tries"),
        "{e}"
    );
}

#[test]
fn a_bearer_challenge_is_answered_with_a_token_for_the_pull_scope() {
    let (port, seen) = canned(|port| {
        let challenge = format!(
            r#"WWW-Authenticate: Bearer realm="http://127.0.0.1:{port}/token",service="test registry""#
        );
        vec![
            response("401 Unauthorized", &[&challenge], ""),
            response("200 OK", &[], r#"{"token":"t0k3n"}"#),
            response("200 OK", &[], "{}"),
        ]
    });
    let body = client(port)
        .0
        .manifest("1", "*/*")
        .unwrap()
        .bytes(100, "m")
        .unwrap();
    assert_eq!(body, b"{}");
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        [
            "GET /v2/org/app/manifests/1 HTTP/1.1 ".to_string(),
            "GET /token?scope=repository%3Aorg%2Fapp%3Apull&service=test%20registry HTTP/1.1 "
                .to_string(),
            "GET /v2/org/app/manifests/1 HTTP/1.1 authorization: Bearer t0k3n".to_string(),
        ]
    );
}

#[test]
fn a_layer_cut_mid_transfer_is_resumed_where_it_stopped() {
    let digest = format!("sha256:{}", "0".repeat(64));
    let (port, seen) = canned(|_| {
        vec![
            // Declares 10 bytes, sends 4, closes.
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123".into(),
            response("206 Partial Content", &[], "456789"),
        ]
    });
    let (client, _auth) = client(port);
    let client = std::sync::Arc::new(client);
    let first = client.blob(&digest).unwrap();
    let mut stream = LayerStream::new(client, &digest, 10, first);
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, b"0123456789");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].ends_with("range: bytes=4-"), "{seen:?}");
}

#[test]
fn refusals_name_the_reference_and_the_way_out() {
    let (port, _) = canned(|_| {
        vec![
            response(
                "401 Unauthorized",
                &[r#"WWW-Authenticate: Basic realm="r""#],
                "",
            ),
            response(
                "401 Unauthorized",
                &[r#"WWW-Authenticate: Basic realm="r""#],
                "",
            ),
            response(
                "403 Forbidden",
                &[],
                r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
            ),
        ]
    });
    let (client, _auth) = client(port);
    let e = client.manifest("1", "*/*").err().unwrap().to_string();
    assert!(
        e.starts_with(&format!("127.0.0.1:{port}/org/app:1: 401 Unauthorized"))
            && e.contains("no credentials for 127.0.0.1")
            && e.contains("--authfile"),
        "{e}"
    );
    let e = client.manifest("1", "*/*").err().unwrap().to_string();
    assert!(
        e.contains("403 Forbidden (DENIED: requested access to the resource is denied)")
            && e.contains("an anonymous client")
            && e.contains("org/app"),
        "{e}"
    );
}
