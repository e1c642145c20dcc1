//! The `DISPATCH` queue's consumer: one attempt at the target per delivery of a message, the
//! execution record settled after each.
//!
//! Per message, in order:
//! - the execution record is read (its key is in the message). Not there yet (KV propagates
//!   between locations within a minute): the message comes back later, up to
//!   [`RECORD_WAITS`] times, then is dropped without a start (the delivery that sent it was
//!   answered 503 and never recorded it);
//! - a record that is settled (`Succeeded`, `Failed`), or a copy of a message already at work
//!   (its first delivery, while the record counts attempts), is acknowledged and left alone:
//!   this is what makes a message sent twice start once;
//! - one attempt; then the record says what happened (status, `statusSummary`, attempts) and
//!   the message is acknowledged (delivered), retried after 2, 4, 8, 16 s (`DISPATCH_RETRY_BASE_S`
//!   · 2^(n−1)), or, given up, sent to the dead-letter queue (`DISPATCH_DLQ`) and acknowledged.
//!
//! Messages of a batch are handled one after another, so two copies in one batch are too.

use std::collections::HashSet;

use pipehook::dispatch::message::MESSAGE_VERSION;
use pipehook::dispatch::outcome::{judge, retry_delay_s, summary};
use pipehook::dispatch::{DispatchMessage, DispatchTarget, Verdict, MAX_ATTEMPTS};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::Env;

use super::{attempt, js, DispatchConfig, DEAD_LETTERS};
use crate::ops::executions::{dispatch_attempts, settle};
use crate::store::Store;
use crate::KV_BINDING;

/// How many deliveries of a message wait for its execution record before it is dropped.
const RECORD_WAITS: u32 = 6;
/// The longest wait for a record between deliveries (KV's propagation is up to 60 s).
const RECORD_WAIT_MAX_S: u32 = 60;
/// A message delivered this often is on its last attempt whatever the record says (a record
/// that cannot be written cannot count the attempts).
const LAST_DELIVERY: u32 = RECORD_WAITS + MAX_ATTEMPTS + 4;
/// Writes of a settled record, a little over KV's one write per second per key apart.
const SETTLE_WRITES: u32 = 3;
const SETTLE_GAP_MS: u32 = 1100;

/// Handles a batch of the `DISPATCH` queue.
pub async fn consume(batch: JsValue, env: Env) {
    let Ok(messages) = js::batch_messages(&batch) else { return };
    let config = DispatchConfig::of(&env);
    let Ok(kv) = env.kv(KV_BINDING) else {
        for m in messages.iter() {
            let _ = js::retry(&m, config.retry_base_s.max(1));
        }
        return;
    };
    let store = Store::new(kv);
    let dead_letters = js::queue(env.as_ref(), DEAD_LETTERS);
    let mut seen = HashSet::new();
    for m in messages.iter() {
        handle(&store, &config, dead_letters.as_ref(), &m, &mut seen).await;
    }
}

/// What is done with the message once the record says what happened.
enum Then {
    Ack,
    Retry(u32),
    DeadLetter(String),
}

async fn handle(store: &Store, config: &DispatchConfig, dead_letters: Option<&JsValue>, m: &JsValue, seen: &mut HashSet<String>) {
    let deliveries = js::message_attempts(m);
    let message = match js::message_text(m).ok().and_then(|t| serde_json::from_str::<DispatchMessage>(&t).ok()) {
        Some(message) if message.version == MESSAGE_VERSION => message,
        _ => {
            js::log(&json!({"dispatch": "dropped", "reason": "the message is not a pipehook dispatch message"}));
            let _ = js::ack(m);
            return;
        }
    };
    let e = &message.execution;
    if !seen.insert(e.id.clone()) {
        let _ = js::ack(m);
        return;
    }
    let (mut execution, mut summary_meta) = match store.execution_at(&e.pipeline, &e.incarnation, e.started_ms, &e.id).await {
        Ok(Some(found)) => found,
        Ok(None) if deliveries < RECORD_WAITS => {
            // At least a second, whatever the base: the record is usually being written right now.
            let wait = retry_delay_s(config.retry_base_s, deliveries + 1).clamp(1, RECORD_WAIT_MAX_S);
            let _ = js::retry(m, wait);
            return;
        }
        Ok(None) => {
            log(&message, "dropped", 0, "the execution was never recorded (its delivery was answered 503); nothing was started");
            let _ = js::ack(m);
            return;
        }
        Err(_) => {
            let _ = js::retry(m, retry_delay_s(config.retry_base_s, deliveries).max(1));
            return;
        }
    };
    let done = match (execution.get("status").and_then(Value::as_str), dispatch_attempts(&execution)) {
        (Some("InProgress"), Some(done)) if !(deliveries == 1 && done > 0) => done,
        // Settled, never dispatched, or a second message for a start already at work.
        _ => {
            let _ = js::ack(m);
            return;
        }
    };
    let attempt_no = done + 1;
    let last = attempt_no >= MAX_ATTEMPTS || deliveries >= LAST_DELIVERY;
    let now_ms = js_sys::Date::now() as u64;
    let target = DispatchTarget::parse(&message.target).map_err(|e| format!("pipehook:dispatch is not a target: {e}"));
    let outcome = match &target {
        Ok(t) => attempt(config, t, &message, now_ms).await.map(|answer| (t, judge(t, &answer))),
        Err(why) => Err(why.clone()),
    };
    let (status, text, attempts, then) = match outcome {
        Err(why) => ("Failed", summary::not_started(target.as_ref().ok(), &why), done, Then::DeadLetter(why)),
        Ok((t, Verdict::Delivered { status, aws_execution_id })) => {
            ("Succeeded", summary::delivered(t, attempt_no, status, aws_execution_id.as_deref()), attempt_no, Then::Ack)
        }
        Ok((t, Verdict::Retry(reason))) if !last => {
            let delay = retry_delay_s(config.retry_base_s, attempt_no);
            ("InProgress", summary::retrying(t, attempt_no, &reason, delay), attempt_no, Then::Retry(delay))
        }
        Ok((t, Verdict::Retry(reason))) => ("Failed", summary::failed(t, attempt_no, &reason, true), attempt_no, Then::DeadLetter(reason)),
        Ok((t, Verdict::GiveUp(reason))) => ("Failed", summary::failed(t, attempt_no, &reason, false), attempt_no, Then::DeadLetter(reason)),
    };
    settle(&mut execution, &mut summary_meta, status, &text, attempts, now_ms as f64 / 1000.0);
    let writes = if matches!(then, Then::Retry(_)) { 1 } else { SETTLE_WRITES };
    let stored = write(store, &message, &execution, &summary_meta, writes).await;
    log(&message, status, attempts, &text);
    if !stored {
        log(&message, "unrecorded", attempts, "the execution record could not be updated");
    }
    match then {
        Then::Ack => {
            let _ = js::ack(m);
        }
        Then::Retry(delay) => {
            let _ = js::retry(m, delay);
        }
        Then::DeadLetter(reason) => {
            dead_letter(dead_letters, &message, &reason, attempts).await;
            let _ = js::ack(m);
        }
    }
}

/// Writes the settled record, trying again a little later when KV refuses (a settled start
/// must not be attempted again for want of a record saying so).
async fn write(store: &Store, message: &DispatchMessage, execution: &Value, summary: &Value, tries: u32) -> bool {
    let e = &message.execution;
    for n in 0..tries {
        if n > 0 {
            js::sleep(SETTLE_GAP_MS).await;
        }
        if store.put_execution(&e.pipeline, &e.incarnation, &e.id, e.started_ms, execution, summary.clone()).await.is_ok() {
            return true;
        }
    }
    false
}

async fn dead_letter(queue: Option<&JsValue>, message: &DispatchMessage, reason: &str, attempts: u32) {
    let letter = json!({"message": message, "reason": reason, "attempts": attempts, "failedAt": js_sys::Date::now() / 1000.0});
    let sent = match queue {
        Some(q) => js::send(q, &letter.to_string()).await.is_ok(),
        None => false,
    };
    if !sent {
        log(message, "dead-letter-lost", attempts, "the dead-letter queue (DISPATCH_DLQ) did not take the message");
    }
}

/// One line per outcome: where, what, why; the target by its description (no URL path, no secret).
fn log(message: &DispatchMessage, outcome: &str, attempts: u32, text: &str) {
    let target = DispatchTarget::parse(&message.target).map(|t| t.describe()).unwrap_or_default();
    js::log(&json!({
        "dispatch": outcome,
        "pipeline": message.execution.pipeline,
        "execution": message.execution.id,
        "attempts": attempts,
        "target": target,
        "summary": text,
    }));
}
