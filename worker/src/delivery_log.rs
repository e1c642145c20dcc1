//! The delivery log: each delivery to a known webhook, recorded for its owner after it is
//! answered, read through `ListWebhookDeliveries`, `GetWebhookDelivery` and
//! `RedeliverWebhookDelivery` (`ops/deliveries.rs`).
//!
//! **One key per entry**, `delivery/<token>/<inverted ms>-<id>` (`store.rs`): KV allows about
//! one write per second per key, and a webhook may receive many deliveries a second. The id is a
//! time-ordered UUID (`ids::time_ordered`), so it names its key: `GetWebhookDelivery` is one KV
//! read, and the inverted time makes one KV list give the newest first, each entry's summary in
//! its metadata (at most [`SUMMARY_BYTES`], KV's metadata limit). The token scopes the log to
//! one webhook's life: a webhook deleted and created again under its name starts a new log, as
//! its URL is new. Every entry is written with `expirationTtl` [`TTL_S`] (7 days), so KV deletes
//! it then at no cost.
//!
//! **The value** is the entry's JSON, a newline (compact JSON has none), then the body's bytes
//! as they arrived, when kept: bodies up to [`MAX_KEPT_BODY`] (1 MB, for redelivery) of
//! deliveries that authenticated. A larger body is recorded by its size and SHA-256 only; so is
//! the body of a delivery refused for its signature or address, which no authenticated sender
//! sent and which is not redelivered (`ops/deliveries.rs`); a body over 25 MB, never read whole,
//! by its size alone.
//!
//! **Never a secret.** An entry holds the decision the core made (its reasons and traces show a
//! payload's `SecretToken` members as `****`) and which signature header came, by name: never a
//! signature's value, a SecretToken (current or previous) or anything of the definition.
//!
//! **Off the answer's path.** A delivery is answered first; its entry is built and written in
//! `ctx.waitUntil`, after yielding to the event loop so the answer leaves before (`delivery.rs`).
//! An accepted delivery is answered without its rules' traces; the entry's are built then,
//! by deciding the body again ([`pipehook::evaluate_authenticated`]) with the same compiled
//! definition. A log write that fails costs the delivery nothing.
//!
//! **Off** with `DELIVERY_LOG=off` ([`on`]), for deployments whose KV write limits or bill
//! cannot take a write and about a delete per delivery: nothing is built or written then.
//!
//! **The last 100.** Keeping a webhook's newest [`KEEP`] entries would cost a KV list on every
//! delivery if done each time. Instead each isolate trims a webhook's log on its 1st, 11th,
//! 21st… write to it ([`TRIM_EVERY`]): one list of the newest `KEEP + TRIM_BATCH` keys, and a
//! delete of those past the 100th, chained to the entry's write in one call into JS
//! (`store::write_log_entry`). Bounds:
//! - the API never answers more than the newest 100 (`ListWebhookDeliveries` stops paging there);
//! - storage holds at most 100 entries plus fewer than [`TRIM_EVERY`] per isolate that wrote to
//!   the webhook since the last trim (plus what KV's listing has not yet seen: up to 60 s across
//!   locations), and nothing older than 7 days, whatever happens;
//! - a trim deletes at most [`TRIM_BATCH`] entries, so its own cost is bounded too (an excess
//!   larger than that, from more than ten isolates writing to one webhook at once, takes the
//!   next trims).

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};

use wasm_bindgen::JsValue;
use worker::Env;

use crate::store::{self, LogWrite, StoreResult};

/// How many entries per webhook the log keeps and the API answers.
pub const KEEP: usize = 100;
/// How long an entry lives: 7 days, KV's `expirationTtl`.
pub const TTL_S: u64 = 7 * 24 * 3600;
/// The largest body kept for redelivery: 1 MB (1,048,576 bytes).
pub const MAX_KEPT_BODY: usize = 1024 * 1024;
/// Each isolate trims a webhook's log on every `TRIM_EVERY`th write to it, starting with the first.
pub const TRIM_EVERY: u32 = 10;
/// The most entries one trim deletes.
pub const TRIM_BATCH: usize = 100;
/// Workers KV's limit on a key's metadata, which holds the listing summary.
const SUMMARY_BYTES: usize = 1024;
/// How much of a sender-chosen header value (X-GitHub-Delivery, X-GitHub-Event, …) an entry keeps.
const HEADER_CHARS: usize = 256;
/// Bound on the per-isolate write counts; reaching it empties them (a trim is then due again).
const COUNTED_WEBHOOKS: usize = 1024;

/// One log entry as written: borrowed from the delivery it records, serialised once.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry<'a> {
    pub delivery_id: &'a str,
    /// Epoch seconds (with milliseconds), as the API's timestamps.
    pub delivered_at: f64,
    /// `X-GitHub-Delivery`, as GitHub's own delivery log calls it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<&'a str>,
    /// `X-GitHub-Event`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<&'a str>,
    /// Which signature header came (its name; never its value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_header: Option<&'a str>,
    pub outcome: &'a str,
    pub status: u16,
    pub reason: &'a str,
    /// Every rule's trace, in definition order (empty when refused before the rules ran).
    pub filters: &'a [pipehook::FilterTrace],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_secret: Option<pipehook::MatchedSecret>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_execution_id: Option<&'a str>,
    /// The body's length in bytes; `None` when a body over 25 MB was refused as it streamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_size: Option<u64>,
    /// The SHA-256 of a body read whole but not kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
    /// Whether the body follows the entry in the value (and can be redelivered).
    pub body_kept: bool,
    /// Made by RedeliverWebhookDelivery, as GitHub marks its redeliveries.
    pub redelivery: bool,
    /// The entry a redelivery decided again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redelivery_of: Option<&'a str>,
}

/// A sender-chosen header value as an entry keeps it.
pub fn header_value(value: Option<&str>) -> Option<&str> {
    value.map(|v| match v.char_indices().nth(HEADER_CHARS) {
        Some((i, _)) => &v[..i],
        None => v,
    })
}

/// Whether a body of `len` bytes is kept (for an authenticated delivery).
pub fn keeps(len: usize) -> bool {
    len <= MAX_KEPT_BODY
}

/// The core's outcome as the log names it (as the core's answers do).
pub fn outcome_name(outcome: pipehook::Outcome) -> &'static str {
    match outcome {
        pipehook::Outcome::Accepted => "accepted",
        pipehook::Outcome::Unauthorized => "unauthorized",
        pipehook::Outcome::Forbidden => "forbidden",
        pipehook::Outcome::Filtered => "filtered",
        pipehook::Outcome::Malformed => "malformed",
    }
}

/// The stored value: the entry's JSON, a newline, and the body when kept.
fn encode(entry: &Entry<'_>, body: Option<&[u8]>) -> StoreResult<Vec<u8>> {
    let mut value = serde_json::to_vec(entry).map_err(|e| crate::store::StoreError::Failed(e.to_string()))?;
    if let Some(body) = body {
        value.reserve(1 + body.len());
        value.push(b'\n');
        value.extend_from_slice(body);
    }
    Ok(value)
}

/// An entry read back: its JSON, and its body when kept.
pub struct Stored {
    pub entry: Value,
    pub body: Option<Vec<u8>>,
}

impl Stored {
    pub fn decode(mut value: Vec<u8>) -> Option<Stored> {
        let (entry, body) = match value.iter().position(|&b| b == b'\n') {
            Some(at) => {
                let body = value.split_off(at + 1);
                value.pop();
                (value, Some(body))
            }
            None => (value, None),
        };
        let entry: Value = serde_json::from_slice(&entry).ok()?;
        let kept = entry.get("bodyKept").and_then(Value::as_bool) == Some(true);
        Some(Stored { entry, body: body.filter(|_| kept) })
    }

    pub fn str(&self, member: &str) -> Option<&str> {
        self.entry.get(member).and_then(Value::as_str)
    }
}

/// The listing summary (KV metadata) as JSON text: the table's columns, within [`SUMMARY_BYTES`].
fn summary(entry: &Entry<'_>) -> String {
    let cut = |s: Option<&str>, n: usize| s.map(|s| s.chars().take(n).collect::<String>());
    let mut summary = json!({
        "deliveryId": entry.delivery_id,
        "deliveredAt": entry.delivered_at,
        "outcome": entry.outcome,
        "status": entry.status,
        "reason": entry.reason,
        "redelivery": entry.redelivery,
    });
    for (member, value) in [
        ("guid", cut(entry.guid, 100)),
        ("event", cut(entry.event, 100)),
        ("pipelineExecutionId", entry.pipeline_execution_id.map(str::to_string)),
    ] {
        if let Some(v) = value {
            summary[member] = json!(v);
        }
    }
    let text = summary.to_string();
    if text.len() > SUMMARY_BYTES {
        // Only the reason can be long: it is cut to the room left, counted as JSON escapes it.
        summary["reason"] = json!("");
        let mut room = SUMMARY_BYTES.saturating_sub(summary.to_string().len() + '…'.len_utf8());
        let mut reason = String::new();
        for c in entry.reason.chars() {
            let escaped = json!(c.to_string()).to_string().len() - 2;
            if escaped > room {
                break;
            }
            room -= escaped;
            reason.push(c);
        }
        reason.push('…');
        summary["reason"] = json!(reason);
        return summary.to_string();
    }
    text
}

thread_local! {
    /// How many entries this isolate has written per webhook (token).
    static WRITES: RefCell<HashMap<String, u32>> = RefCell::new(HashMap::new());
    /// `DELIVERY_LOG`, read once: vars do not change within an isolate's life.
    static ON: OnceCell<bool> = const { OnceCell::new() };
}

/// `DELIVERY_LOG` as a switch: `off` (or `false`, `no`, `0`, any case) turns the log off;
/// anything else, unset included, leaves it on, so a misspelt value never loses a record.
pub fn enabled(value: Option<&str>) -> bool {
    let off = |v: &str| ["off", "false", "no", "0"].iter().any(|o| v.trim().eq_ignore_ascii_case(o));
    !value.is_some_and(off)
}

/// Whether this deployment logs deliveries (`DELIVERY_LOG`).
pub fn on(env: &Env) -> bool {
    ON.with(|c| *c.get_or_init(|| enabled(crate::setting(env, "DELIVERY_LOG").as_deref())))
}

/// Counts a write to `token`'s log: whether this one trims it.
fn trim_due(token: &str) -> bool {
    WRITES.with(|w| {
        let mut w = w.borrow_mut();
        if w.len() >= COUNTED_WEBHOOKS && !w.contains_key(token) {
            w.clear();
        }
        let n = w.entry(token.to_string()).or_insert(0);
        *n = n.wrapping_add(1);
        *n % TRIM_EVERY == 1
    })
}

/// Writes an entry (with its body when kept), then trims the webhook's log when due: the promise
/// of `true` once the entry is written (`false` when it could not be). Synchronous up to the
/// promise, so a delivery's log costs no Rust future (`delivery/logged.rs`).
pub fn write(env: &Env, token: &str, at_ms: u64, entry: &Entry<'_>, body: Option<&[u8]>) -> js_sys::Promise {
    if !on(env) {
        return js_sys::Promise::resolve(&JsValue::FALSE);
    }
    let Ok(value) = encode(entry, body.filter(|_| entry.body_kept)) else {
        return js_sys::Promise::resolve(&JsValue::FALSE);
    };
    let metadata = summary(entry);
    let trim = trim_due(token).then_some((KEEP as u32, (KEEP + TRIM_BATCH) as u32));
    store::write_log_entry(env, &LogWrite { token, at_ms, id: entry.delivery_id, value: &value, metadata: &metadata, ttl_s: TTL_S, trim })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_false_no_and_zero_turn_the_log_off() {
        for off in ["off", "OFF", " Off ", "false", "no", "0"] {
            assert!(!enabled(Some(off)), "{off:?}");
        }
        for on in [None, Some("on"), Some(""), Some("of"), Some("true"), Some("1")] {
            assert!(enabled(on), "{on:?}");
        }
    }

    fn entry<'a>(reason: &'a str, guid: Option<&'a str>) -> Entry<'a> {
        Entry {
            delivery_id: "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
            delivered_at: 1_765_000_000.123,
            guid,
            event: Some("push"),
            source_ip: Some("192.0.2.1"),
            content_type: Some("application/json"),
            signature_header: Some("x-hub-signature-256"),
            outcome: "filtered",
            status: 200,
            reason,
            filters: &[],
            revision: None,
            matched_secret: None,
            previous_secret_expires: None,
            pipeline_execution_id: None,
            body_size: Some(3),
            body_sha256: None,
            body_kept: true,
            redelivery: false,
            redelivery_of: None,
        }
    }

    #[test]
    fn a_value_is_the_entry_then_the_body_bytes() {
        let body = b"{\"a\":\n1}\xff";
        let e = entry("why", Some("guid-1"));
        let stored = Stored::decode(encode(&e, Some(body)).unwrap()).unwrap();
        assert_eq!(stored.body.as_deref(), Some(&body[..]));
        assert_eq!(stored.str("reason"), Some("why"));
        assert_eq!(stored.str("guid"), Some("guid-1"));
        let without = Stored::decode(encode(&e, None).unwrap()).unwrap();
        assert_eq!(without.body, None);
        // A body is only ever read back when the entry says it was kept.
        let not_kept = Entry { body_kept: false, ..entry("why", None) };
        assert_eq!(Stored::decode(encode(&not_kept, Some(body)).unwrap()).unwrap().body, None);
        assert!(Stored::decode(b"not json".to_vec()).is_none());
    }

    #[test]
    fn summaries_fit_kvs_metadata_limit_whatever_the_reason() {
        for reason in ["short".to_string(), "é".repeat(3000), "\u{1}".repeat(3000), "x".repeat(5000)] {
            let guid = "g".repeat(200);
            let text = summary(&entry(&reason, Some(&guid)));
            let len = text.len();
            let s: Value = serde_json::from_str(&text).unwrap();
            assert!(len <= SUMMARY_BYTES, "{len}");
            if reason == "short" {
                assert_eq!(s["reason"], "short");
            } else {
                assert!(s["reason"].as_str().unwrap().ends_with('…'));
                assert!(len > SUMMARY_BYTES - 16, "{len}: cut no more than needed");
            }
            assert_eq!(s["guid"].as_str().unwrap().len(), 100);
        }
    }

    #[test]
    fn header_values_are_cut_by_characters() {
        assert_eq!(header_value(Some("push")), Some("push"));
        let long = "ü".repeat(300);
        assert_eq!(header_value(Some(&long)).unwrap().chars().count(), HEADER_CHARS);
        assert_eq!(header_value(None), None);
    }

    #[test]
    fn trims_fall_on_the_first_and_every_tenth_write_after() {
        let due: Vec<bool> = (0..21).map(|_| trim_due("t-trim")).collect();
        let at: Vec<usize> = due.iter().enumerate().filter(|(_, d)| **d).map(|(i, _)| i + 1).collect();
        assert_eq!(at, [1, 11, 21]);
    }
}
