//! Integration tests of the bridge API against a real L1 simulator, the
//! rollup contracts and a real sequencer, all in-process.
#![allow(missing_docs)]

mod api;
mod challenges;
mod deposits;
mod events;
mod guard;
mod harness;
mod reorg;
mod sse;
mod withdrawals;

use serde_json::Value;

/// `GET url` -> (status, JSON body).
pub(crate) async fn get(http: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = http.get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("GET {url}: not JSON: {text}")))
}

/// `POST url` with a raw body -> (status, JSON body).
pub(crate) async fn post(http: &reqwest::Client, url: &str, body: &str) -> (u16, Value) {
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("POST {url}: not JSON: {text}")))
}

/// Asserts an error response: `status` and `{"error": {"code": code, "message": non-empty}}`.
#[track_caller]
pub(crate) fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    let (got_status, body) = got;
    assert_eq!(*got_status, status, "status of {body}");
    assert_eq!(body["error"]["code"], code, "code of {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "message of {body}");
}

/// A JSON string field parsed as `T`.
#[track_caller]
pub(crate) fn field<T: std::str::FromStr>(body: &Value, name: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    body[name].as_str().unwrap_or_else(|| panic!("{name} missing in {body}")).parse().expect(name)
}

/// A URL on which nothing listens.
pub(crate) fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
