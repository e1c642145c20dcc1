//! The HTTP start: the core's JSON body, signed per Standard Webhooks with
//! `DISPATCH_SIGNING_SECRET`. The `webhook-id` is the execution id, so a receiver that
//! deduplicates by it sees one message however often the start is attempted.

use pipehook::dispatch::{DispatchMessage, SigningKey};

/// The POST's headers and body at `now_ms` (`webhook-timestamp` is in seconds). The error
/// (a malformed secret) never quotes the secret.
pub fn signed_post(secret: &str, message: &DispatchMessage, now_ms: u64) -> Result<(Vec<(String, String)>, String), String> {
    let key = SigningKey::parse(secret)?;
    let body = message.http_body();
    let timestamp = (now_ms / 1000) as i64;
    let id = &message.execution.id;
    let headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("user-agent".to_string(), "pipehook-dispatch/1".to_string()),
        ("webhook-id".to_string(), id.clone()),
        ("webhook-timestamp".to_string(), timestamp.to_string()),
        ("webhook-signature".to_string(), key.sign(id, timestamp, &body)),
    ];
    Ok((headers, body))
}
