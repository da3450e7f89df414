//! A minimal Server-Sent Events reader over a reqwest response.

use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// An open `GET /v1/events` stream.
pub(crate) struct Sse {
    response: reqwest::Response,
    buf: String,
    /// Every event read so far: (type, data).
    pub(crate) seen: Vec<(String, Value)>,
}

impl Sse {
    /// Opens the stream at `url` (the subscription exists once this returns).
    pub(crate) async fn connect(http: &reqwest::Client, url: &str) -> Self {
        let response = http.get(url).send().await.expect("GET /v1/events");
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/event-stream"), "content-type {content_type}");
        Self { response, buf: String::new(), seen: Vec::new() }
    }

    /// The next event (comments skipped), `None` at `deadline` or the end.
    async fn next(&mut self, deadline: Instant) -> Option<(String, Value)> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut kind, mut data) = (None, Vec::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        kind = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                    }
                }
                if kind.is_none() && data.is_empty() {
                    continue; // a comment (connected, keep-alive)
                }
                let data = data.join("\n");
                let value = serde_json::from_str(&data)
                    .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {data}"));
                let event = (kind.unwrap_or_else(|| "message".into()), value);
                self.seen.push(event.clone());
                return Some(event);
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) | Ok(Ok(None)) => return None,
                Ok(Ok(Some(bytes))) => {
                    self.buf.push_str(std::str::from_utf8(&bytes).expect("UTF-8 stream"));
                }
                Ok(Err(e)) => panic!("event stream failed: {e}"),
            }
        }
    }

    /// Reads events until one of type `kind` whose data satisfies `pred`
    /// (at most `secs` seconds) and returns its data.
    pub(crate) async fn wait_for(
        &mut self,
        secs: u64,
        kind: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while let Some((k, data)) = self.next(deadline).await {
            if k == kind && pred(&data) {
                return data;
            }
        }
        let kinds: Vec<_> = self.seen.iter().map(|(k, _)| k.as_str()).collect();
        panic!("no {kind} event within {secs}s; saw {kinds:?}");
    }

    /// The events of type `kind` read so far.
    pub(crate) fn seen(&self, kind: &str) -> Vec<&Value> {
        self.seen.iter().filter(|(k, _)| k == kind).map(|(_, v)| v).collect()
    }
}
