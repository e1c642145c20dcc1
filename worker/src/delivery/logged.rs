//! A delivery's log entry (`delivery_log.rs`), built and written after its answer.
//!
//! The hot path only moves what it already holds (the token, the compiled webhook, the headers
//! it read, the body, the decision) into a [`Record`] and hands it to `ctx.waitUntil`; nothing
//! is built or copied for the log before the answer. The entry is made on a later turn of the
//! event loop ([`after_answer`]: a zero timer), so the answer has left by then, and, as the
//! delivery's own decision, without a Rust task: a synchronous callback builds it and answers
//! the promise of its write. Only the rare entries that need to wait first (a SHA-256 of a body
//! not kept, or a token answered before it was looked up) take a Rust future.

use std::borrow::Cow;
use std::rc::Rc;

use pipehook::{Decision, MatchedSecret, Traces};
use wasm_bindgen::prelude::{wasm_bindgen, Closure};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use worker::{Context, Env};

use super::{memoised, store, BodyError, DeliveryHeaders, Hot, Memoised, BROKEN, MAX_DELIVERY_BYTES};
use crate::delivery_log::{self, outcome_name, Entry};
use crate::store::TokenEntry;
use crate::{ids, rotation, webcrypto};

/// What a delivery was answered, as its log entry tells it.
pub(super) enum Answered {
    /// The core's decision, answered as it is (refused, malformed, filtered).
    Decided(Decision),
    /// Accepted, and what became of its start.
    Accepted(Decision, Started),
    /// Its body was not read whole: over 25 MB (413), or unreadable (400).
    Body(BodyError),
    /// The stored definition no longer validates (500).
    Broken,
}

/// What became of an accepted delivery's start.
pub(super) enum Started {
    Execution(String),
    /// The target pipeline is gone (404); the message says so.
    NoPipeline(String),
    /// Storage or the queue failed (503): nothing was started, the sender retries.
    Unavailable(&'static str),
}

/// A delivery as its log entry needs it.
pub(super) struct Record {
    pub(super) token: String,
    /// The webhook as the delivery was decided by (`None`: not resolved before answering).
    pub(super) hot: Option<Rc<Hot>>,
    pub(super) headers: DeliveryHeaders,
    /// When it arrived, epoch ms.
    pub(super) at_ms: f64,
    /// The body, when read whole.
    pub(super) body: Option<Vec<u8>>,
    pub(super) answered: Answered,
}

// `then` (a JS function) called on a later turn of the event loop; the promise of what it
// answers (a promise is followed), settled either way so `waitUntil` never sees a rejection.
#[wasm_bindgen(inline_js = "
export function later(then) {
  return new Promise((resolve) => setTimeout(() => {
    try {
      Promise.resolve(then()).then(resolve, resolve);
    } catch (e) {
      resolve();
    }
  }, 0));
}
")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn later(then: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

/// Writes `record`'s entry after the answer: in `ctx.waitUntil`, from a later turn of the event
/// loop. A failure is the log's alone: the delivery was answered.
pub(super) fn after_answer(ctx: &Context, env: Env, record: Record) {
    // Off: nothing is built either (the entry's traces are a second decision).
    if !delivery_log::on(&env) {
        return;
    }
    let write = Closure::<dyn FnMut() -> JsValue>::once_into_js(move || record.write(env));
    if let Ok(promise) = later(&write) {
        let _ = ctx.as_ref().wait_until(&promise);
    }
}

/// The signature headers, by name, as [`pipehook::HEADERS_READ`] holds them.
const SIGNATURE_HEADERS: [&str; 2] = ["x-hub-signature-256", "x-hub-signature"];

impl Record {
    /// Writes the entry: the promise of its end. Built at once, unless it must wait first for
    /// whether the token is a webhook's, or for the SHA-256 of a body the log does not keep.
    fn write(self, env: Env) -> JsValue {
        let lookup = self.hot.is_none() && !matches!(self.answered, Answered::Broken);
        let digest = self.body.as_deref().is_some_and(|b| !keeps(self.shown().outcome, b));
        if !lookup && !digest {
            return self.write_entry(&env, None).into();
        }
        future_to_promise(async move {
            if lookup && !known(&self.token, &env).await {
                return Ok(JsValue::FALSE);
            }
            let sha256 = match self.body.as_deref() {
                Some(b) if digest => webcrypto::sha256(b).await.map(hex::encode),
                _ => None,
            };
            Ok(self.write_entry(&env, sha256).into())
        })
        .into()
    }

    fn write_entry(&self, env: &Env, body_sha256: Option<String>) -> js_sys::Promise {
        let shown = self.shown();
        // An accepted delivery was answered without its rules' traces: they are built now.
        let traces = match (&self.answered, &self.hot, &self.body) {
            (Answered::Accepted(..), Some(hot), Some(body)) => {
                let empty = Default::default();
                let configuration = hot.pipeline.as_ref().map_or(&empty, |p| &p.configuration);
                Some(pipehook::evaluate_authenticated(&hot.webhook, &self.headers.read, body, configuration, Traces::All).filters)
            }
            _ => None,
        };
        let decision = shown.decision;
        let filters = traces.as_deref().or(decision.map(|d| d.filters.as_slice())).unwrap_or(&[]);
        let matched_secret = decision.and_then(|d| d.matched_secret);
        let previous_secret_expires = match (matched_secret, self.hot.as_ref().and_then(|h| h.previous.as_ref())) {
            (Some(MatchedSecret::Previous), Some(p)) => Some(rotation::expiry_text(p.expires)),
            _ => None,
        };
        let body = self.body.as_deref();
        let kept = body.is_some_and(|b| keeps(shown.outcome, b));
        let header = |name: &str| self.headers.read.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let at_ms = self.at_ms as u64;
        let id = ids::time_ordered(at_ms);
        let entry = Entry {
            delivery_id: &id,
            delivered_at: at_ms as f64 / 1000.0,
            guid: delivery_log::header_value(self.headers.delivery_id.as_deref()),
            event: delivery_log::header_value(self.headers.event.as_deref()),
            source_ip: delivery_log::header_value(self.headers.source_ip.as_deref()),
            content_type: delivery_log::header_value(header("content-type")),
            signature_header: SIGNATURE_HEADERS.into_iter().find(|name| header(name).is_some()),
            outcome: shown.outcome,
            status: shown.status,
            reason: &shown.reason,
            filters,
            revision: decision.and_then(|d| d.revision.as_deref()),
            matched_secret,
            previous_secret_expires,
            pipeline_execution_id: shown.execution,
            body_size: body.map(|b| b.len() as u64).or(match self.answered {
                Answered::Body(BodyError::TooLarge) => self.headers.declared,
                _ => None,
            }),
            body_sha256,
            body_kept: kept,
            redelivery: false,
            redelivery_of: None,
        };
        delivery_log::write(env, &self.token, at_ms, &entry, body)
    }

    /// The outcome, status and reason the entry shows, and the decision behind them.
    fn shown(&self) -> Shown<'_> {
        let decided = |d: &'_ Decision| (outcome_name(d.outcome), d.status);
        match &self.answered {
            Answered::Decided(d) => {
                let (outcome, status) = decided(d);
                Shown { outcome, status, reason: Cow::Borrowed(&d.reason), decision: Some(d), execution: None }
            }
            Answered::Accepted(d, Started::Execution(id)) => {
                Shown { outcome: "accepted", status: 200, reason: Cow::Borrowed(&d.reason), decision: Some(d), execution: Some(id) }
            }
            Answered::Accepted(d, Started::NoPipeline(message)) => Shown {
                outcome: "accepted",
                status: 404,
                reason: Cow::Owned(format!("{}; but {}", d.reason, lower_first(message))),
                decision: Some(d),
                execution: None,
            },
            Answered::Accepted(d, Started::Unavailable(what)) => Shown {
                outcome: "unavailable",
                status: 503,
                reason: Cow::Owned(format!(
                    "{}; but storage was unavailable ({what}): answered 503 so that the sender retries, and nothing was started",
                    d.reason
                )),
                decision: Some(d),
                execution: None,
            },
            Answered::Body(BodyError::TooLarge) => Shown {
                outcome: "tooLarge",
                status: 413,
                reason: Cow::Owned(format!("the body exceeds {MAX_DELIVERY_BYTES} bytes: refused before it was read whole")),
                decision: None,
                execution: None,
            },
            Answered::Body(BodyError::Unreadable) => Shown {
                outcome: "malformed",
                status: 400,
                reason: Cow::Borrowed("the request body could not be read"),
                decision: None,
                execution: None,
            },
            Answered::Broken => Shown {
                outcome: "error",
                status: 500,
                reason: Cow::Owned(lower_first(BROKEN)),
                decision: None,
                execution: None,
            },
        }
    }
}

struct Shown<'a> {
    outcome: &'static str,
    status: u16,
    reason: Cow<'a, str>,
    decision: Option<&'a Decision>,
    execution: Option<&'a str>,
}

/// An answer's sentence as a clause of a reason: first letter lower-case, no final stop.
fn lower_first(sentence: &str) -> String {
    let sentence = sentence.trim_end_matches('.');
    let mut chars = sentence.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether a body is kept: a delivery that authenticated, up to 1 MB. No authenticated sender
/// sent the others, and they are not redelivered.
fn keeps(outcome: &str, body: &[u8]) -> bool {
    !matches!(outcome, "unauthorized" | "forbidden") && delivery_log::keeps(body.len())
}

/// Whether `token` is a webhook's, for a delivery answered before it was resolved (a body
/// declared over 25 MB): this isolate's memo, else the token's key. (A token left pointing at a
/// deleted webhook's name may be logged; its log is read through no webhook.)
async fn known(token: &str, env: &Env) -> bool {
    let Some(store) = store(env) else { return false };
    match memoised(token, env, js_sys::Date::now()).1 {
        Memoised::Webhook(_) => true,
        Memoised::Unknown => false,
        Memoised::NotFresh => match store.token_entry(token).await {
            Ok(Some(text)) => matches!(TokenEntry::parse(&text), Ok(TokenEntry::View(_) | TokenEntry::Name(_))),
            _ => false,
        },
    }
}
