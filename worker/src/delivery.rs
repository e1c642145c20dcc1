//! The webhook endpoint: `POST /trigger?t=<token>&v=1` (SPEC §2).
//!
//! A delivery, in order:
//! - the headers it reads cross from JS in one call, and a `Content-Length`
//!   over 25 MB is refused at once;
//! - the token is resolved: from this isolate's memo when it read the token's
//!   view (or found none) less than `DELIVERY_CACHE_MS` ago (default 1000, `0`
//!   turns the memo off), else with one KV read of `token/<token>`, the
//!   [`DeliveryView`] holding the definition and the target action's
//!   configuration (`views.rs`);
//! - the body is read (at most 25 MB; one ArrayBuffer when `Content-Length` is
//!   declared), also when the token is unknown;
//! - nothing is validated or parsed per delivery: a view this isolate has
//!   already seen (the same text) is reused as is, and a definition is
//!   compiled once per isolate per record revision;
//! - the GitHub HMAC is computed by Web Crypto over the request's own buffer,
//!   chained to the body's read in one promise (`webcrypto.rs`), with a key
//!   imported once per cached definition, and then the body is copied into
//!   wasm: two copies at most;
//! - the core decides ([`pipehook::evaluate_delivery`]); an accepted delivery
//!   stores its execution (one KV write) and, at most once a second per webhook
//!   and isolate, `lastTriggered`, both before answering 200. When the pipeline
//!   has a `pipehook:dispatch` target, the start is also handed to the `DISPATCH`
//!   queue before the answer, once per `X-GitHub-Delivery` (one KV read and a
//!   second write, the start time: `handoff.rs`). A pipeline without a target
//!   pays nothing for dispatch: its compiled view holds `None`, and nothing is
//!   read, selected or built beyond what it did before;
//! - during a secret rotation (`rotation.rs`), a delivery the current secret
//!   refuses is decided again with the previous one, its MAC by Web Crypto too:
//!   only refused deliveries take that way, so one signed with the current
//!   secret costs what it did before;
//! - after the answer, every delivery to a known webhook is logged
//!   (`delivery_log.rs`, `delivery/logged.rs`): the hot path only moves what it
//!   holds into a record handed to `ctx.waitUntil`, and the entry is built and
//!   written from a zero timer, so the answer leaves first and the synchronous
//!   way above stays synchronous.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_util::future::join;
use js_sys::{ArrayBuffer, Uint8Array};
use pipehook::auth::{GithubMac, PrecomputedMacs};
use pipehook::{Decision, Delivery, MatchedSecret, Outcome, Traces, ValidWebhook, WebhookAuthenticationType};
use serde_json::{json, Value};
use wasm_bindgen::prelude::{wasm_bindgen, Closure};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use worker::worker_sys::web_sys;
use worker::{Context, Env};

use crate::dispatch::HotDispatch;
use crate::rotation;
use crate::store::{DeliveryView, PipelineSnapshot, PreviousSecret, Store, TokenEntry};
use crate::webcrypto;
use crate::{config, handoff, views, Body, KV_BINDING};

mod logged;
use logged::{after_answer, Answered, Record, Started};

/// GitHub's own maximum payload.
pub const MAX_DELIVERY_BYTES: usize = 25 * 1024 * 1024;
/// How long this isolate trusts a view it read, unless `DELIVERY_CACHE_MS` says otherwise.
const DEFAULT_CACHE_MS: f64 = 1000.0;
/// KV allows about one write per second per key: `lastTriggered` is written no more often.
const TRIGGERED_EVERY_MS: f64 = 1000.0;
/// A token resolved through the records is republished as a view at most this often per isolate.
const REPUBLISH_EVERY_MS: f64 = 10_000.0;
/// Bound on each per-isolate map; reaching it empties the map (300 webhooks is the quota).
const MEMO_ENTRIES: usize = 1024;

/// A Web Crypto HMAC key for the secret, with the kind of MAC it makes.
type MacKey = (GithubMac, JsValue);

/// A webhook ready for deliveries: compiled, with its pipeline as of the view.
struct Hot {
    webhook: Rc<ValidWebhook>,
    pipeline: Option<PipelineSnapshot>,
    /// The pipeline's dispatch target and variables, compiled; `None`: it has none.
    dispatch: Option<Result<HotDispatch, String>>,
    /// Web Crypto HMAC keys for the secret, imported on first use.
    keys: RefCell<Vec<MacKey>>,
    /// The SecretToken a rotation replaced, with its expiry (`rotation.rs`).
    previous: Option<PreviousSecret>,
    /// Web Crypto HMAC keys for the previous secret, imported on first use.
    previous_keys: RefCell<Vec<MacKey>>,
}

struct MemoView {
    /// The view's KV text: an unchanged text is the same view, not parsed again.
    text: String,
    hot: Rc<Hot>,
    read_ms: f64,
}

#[derive(Default)]
struct Memo {
    /// Moves on every API request, before and after it runs, so a view read
    /// before a write in this isolate is never memoised after that write.
    generation: u64,
    views: HashMap<String, MemoView>,
    /// When this isolate found no webhook at a token: a sender that keeps
    /// delivering to a deleted webhook's URL costs a KV read once per
    /// `DELIVERY_CACHE_MS`, not per delivery. Bounded apart from `views`, so
    /// that unknown tokens, however many, never push a webhook out of the memo.
    unknown: HashMap<String, f64>,
    /// Compiled definitions by record revision (new on every PutWebhook).
    compiled: HashMap<String, Rc<ValidWebhook>>,
    /// When this isolate last wrote `triggered/<token>`.
    triggered: HashMap<String, f64>,
    /// When this isolate last republished the view of a token resolved through the records.
    republished: HashMap<String, f64>,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
    /// `DELIVERY_CACHE_MS`, read once: vars do not change within an isolate's life.
    static CACHE_MS: OnceCell<f64> = const { OnceCell::new() };
    /// Whether `SECRET_ROTATION_GRACE_S` is other than 0, read once.
    static ROTATION_ON: OnceCell<bool> = const { OnceCell::new() };
}

fn rotation_on(env: &Env) -> bool {
    ROTATION_ON.with(|c| {
        *c.get_or_init(|| {
            let grace = env.var("SECRET_ROTATION_GRACE_S").ok().map(|v| v.to_string());
            rotation::grace_s(grace.as_deref()) != 0
        })
    })
}

fn cache_ms(env: &Env) -> f64 {
    CACHE_MS.with(|c| {
        *c.get_or_init(|| {
            env.var("DELIVERY_CACHE_MS")
                .ok()
                .and_then(|v| v.to_string().trim().parse::<f64>().ok())
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .unwrap_or(DEFAULT_CACHE_MS)
        })
    })
}

/// Forgets every memoised view: called by the API around every request, so
/// writes made through this isolate reach its next delivery at once.
pub fn forget_views() {
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        m.generation += 1;
        m.views.clear();
        m.unknown.clear();
    });
}

fn bounded_insert<V>(map: &mut HashMap<String, V>, key: &str, value: V) {
    if map.len() >= MEMO_ENTRIES && !map.contains_key(key) {
        map.clear();
    }
    map.insert(key.to_string(), value);
}

/// True (and `now` recorded) when this isolate last did the per-token work that `times` records
/// at least `every_ms` ago, or never: a write this isolate makes at most once per interval.
fn claim_slot(times: fn(&mut Memo) -> &mut HashMap<String, f64>, token: &str, now: f64, every_ms: f64) -> bool {
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        let map = times(&mut m);
        let due = map.get(token).is_none_or(|at| now - at >= every_ms);
        if due {
            bounded_insert(map, token, now);
        }
        due
    })
}

fn compiled(rev: &str, definition: &Value) -> Result<Rc<ValidWebhook>, Vec<pipehook::Problem>> {
    if let Some(hit) = MEMO.with(|m| m.borrow().compiled.get(rev).cloned()) {
        return Ok(hit);
    }
    let valid = Rc::new(pipehook::validate_webhook_definition(definition, None)?);
    MEMO.with(|m| bounded_insert(&mut m.borrow_mut().compiled, rev, valid.clone()));
    Ok(valid)
}

impl Hot {
    fn of(view: &DeliveryView) -> Option<Hot> {
        let dispatch = view.pipeline.as_ref().and_then(|p| p.dispatch.as_ref()).map(HotDispatch::compile);
        Some(Hot {
            webhook: compiled(&view.rev, &view.definition).ok()?,
            pipeline: view.pipeline.clone(),
            dispatch,
            keys: RefCell::new(Vec::new()),
            previous: view.previous_secret.clone(),
            previous_keys: RefCell::new(Vec::new()),
        })
    }

    /// The GitHub MAC a delivery with these headers is checked by, with the secret, when
    /// the definition asks for one.
    fn wanted(&self, headers: &DeliveryHeaders) -> Option<(GithubMac, &str)> {
        let def = self.webhook.definition();
        match (&def.authentication_configuration.secret_token, def.authentication) {
            (Some(secret), WebhookAuthenticationType::GithubHmac) => {
                GithubMac::requested(&headers.read).map(|kind| (kind, secret.expose()))
            }
            _ => None,
        }
    }

    /// The Web Crypto key for `hash`, when already imported.
    fn imported_key(&self, hash: GithubMac) -> Option<JsValue> {
        imported(&self.keys, hash)
    }

    /// The Web Crypto key for `hash` and the secret: imported on first use, then kept.
    async fn key(&self, hash: GithubMac, secret: &str) -> Option<JsValue> {
        key_in(&self.keys, hash, secret).await
    }

    /// The previous secret, with the MAC the headers ask for, when this delivery may
    /// still be signed with it: a GITHUB_HMAC webhook in a rotation not yet expired.
    fn previous_for(&self, headers: &DeliveryHeaders, env: &Env) -> Option<(GithubMac, &PreviousSecret)> {
        let (hash, _) = self.wanted(headers)?;
        let previous = rotation::honoured(self.previous.as_ref(), js_sys::Date::now(), rotation_on(env))?;
        Some((hash, previous))
    }

    /// The body's MAC with the previous secret, by Web Crypto (`None`: the core computes it).
    async fn previous_macs(&self, hash: GithubMac, previous: &PreviousSecret, body: &[u8]) -> Option<PrecomputedMacs> {
        let key = key_in(&self.previous_keys, hash, previous.secret_token.expose()).await?;
        let copy: JsValue = Uint8Array::from(body).into();
        webcrypto::sign(&key, &copy).await.map(|mac| PrecomputedMacs::of(hash, mac))
    }
}

/// The key for `hash` in `ring`, when already imported.
fn imported(ring: &RefCell<Vec<MacKey>>, hash: GithubMac) -> Option<JsValue> {
    ring.borrow().iter().find(|(h, _)| *h == hash).map(|(_, k)| k.clone())
}

/// The key for `hash` and `secret` in `ring`: imported on first use, then kept.
async fn key_in(ring: &RefCell<Vec<MacKey>>, hash: GithubMac, secret: &str) -> Option<JsValue> {
    if let Some(key) = imported(ring, hash) {
        return Some(key);
    }
    let key = webcrypto::hmac_key(hash, secret.as_bytes()).await?;
    ring.borrow_mut().push((hash, key.clone()));
    Some(key)
}

enum Resolved {
    Found(Rc<Hot>),
    Unknown,
    Unavailable(&'static str),
    /// The stored view or definition no longer reads or validates.
    Broken,
}

/// The KV binding, looked up only when KV is used: a lookup costs several calls into JS.
fn store(env: &Env) -> Option<Store> {
    env.kv(KV_BINDING).ok().map(Store::new)
}

/// What this isolate's memo knows of a token it read less than `DELIVERY_CACHE_MS` ago.
enum Memoised {
    Webhook(Rc<Hot>),
    Unknown,
    NotFresh,
}

/// The memo's generation, and what it knows of `token` at `now`.
fn memoised(token: &str, env: &Env, now: f64) -> (u64, Memoised) {
    let ttl = cache_ms(env);
    MEMO.with(|m| {
        let m = m.borrow();
        let fresh = |read_ms: f64| now - read_ms < ttl;
        let known = match m.views.get(token).filter(|v| fresh(v.read_ms)) {
            Some(v) => Memoised::Webhook(v.hot.clone()),
            None if m.unknown.get(token).is_some_and(|at| fresh(*at)) => Memoised::Unknown,
            None => Memoised::NotFresh,
        };
        (m.generation, known)
    })
}

/// The webhook a token names: memo, else one KV read (`token/<token>`).
async fn resolve(token: &str, env: &Env, ctx: &Context) -> Resolved {
    let now = js_sys::Date::now();
    let generation = match memoised(token, env, now) {
        (_, Memoised::Webhook(hot)) => return Resolved::Found(hot),
        (_, Memoised::Unknown) => return Resolved::Unknown,
        (generation, Memoised::NotFresh) => generation,
    };
    let Some(store) = store(env) else { return Resolved::Unavailable("binding") };
    let unknown = || {
        MEMO.with(|m| {
            let mut m = m.borrow_mut();
            if m.generation == generation {
                bounded_insert(&mut m.unknown, token, now);
            }
        });
        Resolved::Unknown
    };
    let text = match store.token_entry(token).await {
        Err(_) => return Resolved::Unavailable("lookup"),
        Ok(None) => return unknown(),
        Ok(Some(text)) => text,
    };
    let seen = MEMO.with(|m| m.borrow().views.get(token).filter(|v| v.text == text).map(|v| v.hot.clone()));
    let hot = match seen {
        Some(hot) => hot,
        None => match TokenEntry::parse(&text) {
            Err(_) => return Resolved::Broken,
            Ok(TokenEntry::Name(name)) => return resolve_by_records(&store, token, &name, ctx).await,
            Ok(TokenEntry::Revoked) => return unknown(),
            Ok(TokenEntry::View(view)) => match Hot::of(&view) {
                Some(hot) => Rc::new(hot),
                None => return Resolved::Broken,
            },
        },
    };
    // Memoised even when the memo is off (then never fresh): an unchanged view is not parsed again.
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.generation == generation {
            bounded_insert(&mut m.views, token, MemoView { text, hot: hot.clone(), read_ms: now });
        }
    });
    Resolved::Found(hot)
}

/// A token that names a webhook rather than holding its view (written before
/// views existed, or left by a concurrent write: `views.rs`): the records
/// decide, and the view is republished for the next deliveries.
async fn resolve_by_records(store: &Store, token: &str, name: &str, ctx: &Context) -> Resolved {
    let record = match store.webhook(name).await {
        Err(_) => return Resolved::Unavailable("lookup"),
        // A token left by a delete or by a replaced create resolves to nothing.
        Ok(Some(record)) if record.token == token => record,
        Ok(_) => return Resolved::Unknown,
    };
    let pipeline = match store.pipeline(record.target_pipeline()).await {
        Err(_) => return Resolved::Unavailable("pipeline"),
        Ok(p) => p,
    };
    let view = views::view_of(name, &record, pipeline.as_ref());
    let Some(hot) = Hot::of(&view) else { return Resolved::Broken };
    let now = js_sys::Date::now();
    if claim_slot(|m| &mut m.republished, token, now, REPUBLISH_EVERY_MS) {
        // After the answer, which does not depend on it; publish() checks the
        // view against the records again, so a racing API write always wins.
        let (store, token) = (store.clone(), token.to_string());
        ctx.wait_until(async move {
            let _ = views::publish(&store, &token, &view).await;
        });
    }
    Resolved::Found(Rc::new(hot))
}

enum BodyError {
    TooLarge,
    Unreadable,
}

/// The request headers a delivery reads, fetched from JS in one call.
struct DeliveryHeaders {
    /// `Content-Length`, when well-formed.
    declared: Option<u64>,
    /// Those of [`pipehook::HEADERS_READ`] present, with their values.
    read: Vec<(String, String)>,
    /// Set by the platform; client-controlled X-Forwarded-For is never read.
    source_ip: Option<String>,
    /// `X-GitHub-Delivery`: names the execution (`handoff.rs`).
    delivery_id: Option<String>,
    /// `X-GitHub-Event`: told to a dispatch target.
    event: Option<String>,
}

const CONTENT_LENGTH: &str = "content-length";
const CONNECTING_IP: &str = "cf-connecting-ip";
const GITHUB_DELIVERY: &str = "x-github-delivery";
const GITHUB_EVENT: &str = "x-github-event";
/// How many names [`HEADER_NAMES`] holds.
const HEADER_COUNT: usize = 4 + pipehook::HEADERS_READ.len();

// One call for every header a delivery reads, instead of a `Headers.get` per
// name, each crossing twice with its strings. Values are joined with LF, which
// a header value cannot contain; NUL (also impossible in a value) marks an
// absent header.
#[wasm_bindgen(inline_js = "
export function pickHeaders(request, names) {
  const headers = request.headers;
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const value = headers.get(names[i]);
    out += (i === 0 ? '' : '\\n') + (value === null ? '\\0' : value);
  }
  return out;
}
")]
extern "C" {
    #[wasm_bindgen(js_name = pickHeaders, catch)]
    fn pick_headers(request: &web_sys::Request, names: &js_sys::Array) -> Result<String, JsValue>;
}

thread_local! {
    /// The names [`DeliveryHeaders::of`] asks for, as a JS array built once.
    static HEADER_NAMES: js_sys::Array = [CONTENT_LENGTH, CONNECTING_IP]
        .iter()
        .chain(pipehook::HEADERS_READ.iter())
        .chain([GITHUB_DELIVERY, GITHUB_EVENT].iter())
        .map(|n| JsValue::from_str(n))
        .collect();
}

impl DeliveryHeaders {
    fn of(req: &web_sys::Request) -> Self {
        let joined = HEADER_NAMES.with(|names| pick_headers(req, names)).unwrap_or_default();
        let values: Vec<Option<&str>> = joined.split('\n').map(|v| (v != "\0").then_some(v)).collect();
        if values.len() != HEADER_COUNT {
            // Cannot happen (see pickHeaders); were it to, nothing is read and
            // a signed delivery fails closed, as unsigned.
            return Self::from_values(&[None; HEADER_COUNT]);
        }
        Self::from_values(&values)
    }

    /// `values` in [`HEADER_NAMES`]'s order.
    fn from_values(values: &[Option<&str>]) -> Self {
        let github = 2 + pipehook::HEADERS_READ.len();
        let read = pipehook::HEADERS_READ
            .iter()
            .zip(&values[2..github])
            .filter_map(|(name, v)| v.map(|v| (name.to_string(), v.to_string())))
            .collect();
        DeliveryHeaders {
            declared: values[0].and_then(crate::parse_length),
            source_ip: values[1].map(str::to_string),
            read,
            delivery_id: values[github].map(str::to_string),
            event: values[github + 1].map(str::to_string),
        }
    }
}

/// Reads a body into wasm from its stream (for a body without a declared
/// length): at most `MAX_DELIVERY_BYTES`, refusing a larger body as soon as the
/// stream passes it. (A larger declared length never gets here: `handle`
/// refuses it before anything is read.)
async fn read_plain_body(req: &web_sys::Request, declared: Option<u64>) -> Result<Vec<u8>, BodyError> {
    match declared {
        Some(0) => return Ok(Vec::new()),
        // (`Request.body` is only looked at when there is no length: it makes the runtime build a stream.)
        None if req.body().is_none() => return Ok(Vec::new()),
        _ => {}
    }
    // (A handle on the same JS request, not `Request.clone()`.)
    let mut streamed = worker::Request::from(<web_sys::Request as Clone>::clone(req));
    match crate::read_body(&mut streamed, MAX_DELIVERY_BYTES).await {
        Ok(Body::Complete(bytes)) => Ok(bytes),
        Ok(Body::TooLarge) => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Unreadable),
    }
}

/// The body in wasm, and its MAC by Web Crypto when the definition and the
/// headers ask for one. With a declared length the body is read as one
/// ArrayBuffer and signed there, in one promise (`webcrypto::read_and_sign`),
/// before the copy into wasm: the request's buffer and the wasm copy are the
/// only two copies ever held.
async fn body_and_mac(
    hot: &Hot,
    req: &web_sys::Request,
    headers: &DeliveryHeaders,
) -> Result<(Vec<u8>, Option<PrecomputedMacs>), BodyError> {
    let key = match hot.wanted(headers) {
        Some((hash, secret)) => hot.key(hash, secret).await.map(|k| (hash, k)),
        None => None,
    };
    match headers.declared {
        Some(n) if n > 0 => {
            // HTTP framing bounds the body by the Content-Length `handle` checked: one read.
            let read = webcrypto::read_and_sign(req, key.as_ref().map(|(_, k)| k)).await;
            received(read, key.map(|(hash, _)| hash))
        }
        declared => {
            let bytes = read_plain_body(req, declared).await?;
            let macs = match key {
                Some((hash, key)) => {
                    let copy: JsValue = Uint8Array::from(&bytes[..]).into();
                    webcrypto::sign(&key, &copy).await.map(|m| PrecomputedMacs::of(hash, m))
                }
                None => None,
            };
            Ok((bytes, macs))
        }
    }
}

/// A body read as one ArrayBuffer (and signed by `hash`, when given), copied into wasm.
fn received(
    read: Result<(ArrayBuffer, Option<Vec<u8>>), ()>,
    hash: Option<GithubMac>,
) -> Result<(Vec<u8>, Option<PrecomputedMacs>), BodyError> {
    let (buffer, mac) = read.map_err(|_| BodyError::Unreadable)?;
    if buffer.byte_length() as usize > MAX_DELIVERY_BYTES {
        return Err(BodyError::TooLarge);
    }
    let macs = hash.zip(mac).map(|(hash, mac)| PrecomputedMacs::of(hash, mac));
    Ok((Uint8Array::new(&buffer).to_vec(), macs))
}

/// Reads and drops the body of a delivery that is refused before any decision.
async fn drain_body(req: &web_sys::Request, declared: Option<u64>) -> Result<(), BodyError> {
    match declared {
        Some(n) if n > 0 => {
            webcrypto::read_and_sign(req, None).await.map(drop).map_err(|_| BodyError::Unreadable)
        }
        _ => read_plain_body(req, declared).await.map(drop),
    }
}

fn body_error(e: &BodyError) -> web_sys::Response {
    match e {
        BodyError::TooLarge => too_large(),
        BodyError::Unreadable => {
            answer(400, json!({"outcome": "malformed", "message": "The request body could not be read."}))
        }
    }
}

thread_local! {
    /// `{"content-type": "application/json"}`, the headers of every answer, built once.
    static JSON_HEADERS: js_sys::Object = {
        let headers = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&headers, &"content-type".into(), &"application/json".into());
        headers
    };
}

/// A JSON answer, built as the runtime's own Response (no intermediate copies).
fn answer(status: u16, body: Value) -> web_sys::Response {
    let mut body = body;
    pipehook::redact(&mut body);
    respond(status, &body.to_string())
}

/// A filtered delivery's answer: its decision, every rule's trace. Serialised
/// straight to text, as building a JSON document of it only to redact one was a
/// few percent of a delivery's CPU. The core already shows a selected
/// `SecretToken` member as `****`; a text that names `SecretToken` at all still
/// takes [`answer`]'s way, so that every answer of the Worker passes through
/// `redact` whatever the core does.
fn filtered(decision: &Decision) -> web_sys::Response {
    match serde_json::to_string(decision) {
        Ok(text) if !text.contains("SecretToken") => respond(200, &text),
        _ => answer(200, serde_json::to_value(decision).unwrap_or_else(|_| json!({"outcome": "filtered"}))),
    }
}

fn respond(status: u16, json: &str) -> web_sys::Response {
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    JSON_HEADERS.with(|h| init.set_headers(h));
    web_sys::Response::new_with_opt_str_and_init(Some(json), &init)
        .unwrap_or_else(|_| crate::plain(500, "The answer could not be built.\n").into())
}

fn unknown() -> web_sys::Response {
    answer(404, json!({"message": "No webhook is registered at this URL."}))
}

fn unavailable(what: &str) -> web_sys::Response {
    // 503 makes the sender retry; nothing was started.
    answer(503, json!({"message": format!("Storage is unavailable ({what}); retry the delivery.")}))
}

fn too_large() -> web_sys::Response {
    answer(413, json!({"message": format!("The delivery exceeds {MAX_DELIVERY_BYTES} bytes.")}))
}

/// `t` when the URL is a well-formed trigger URL (`?t=<token>&v=1`). The
/// runtime hands over a serialised absolute URL: its query is all that is read.
fn token_of(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    let (mut token, mut version) = (None, None);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "t" => token = Some(v.into_owned()),
            "v" => version = Some(v.into_owned()),
            _ => {}
        }
    }
    token.filter(|t| !t.is_empty() && t.len() <= 128 && version.as_deref() == Some("1"))
}

/// A delivery's answer: a Response, or a Promise of one.
///
/// A delivery whose webhook is fresh in this isolate's memo, whose MAC key (if
/// any) is already imported and whose body has a declared length, which is
/// nearly every delivery, runs no Rust task: its body is read and signed in one
/// JS promise, and [`Pending::decide`] answers when it settles. Any other
/// delivery takes the general way ([`handle_async`]); both decide alike.
pub fn handle(req: web_sys::Request, url: &str, env: Env, ctx: Context) -> JsValue {
    let token = token_of(url);
    let headers = DeliveryHeaders::of(&req);
    let at_ms = js_sys::Date::now();
    if headers.declared.is_some_and(|n| n > MAX_DELIVERY_BYTES as u64) {
        if let Some(token) = token {
            // Logged when the token turns out to be a webhook's (found after answering).
            let record = Record { token, hot: None, headers, at_ms, body: None, answered: Answered::Body(BodyError::TooLarge) };
            after_answer(&ctx, env, record);
        }
        return too_large().into();
    }
    let at_hand = match &token {
        Some(t) if headers.declared.is_some_and(|n| n > 0) => at_hand(t, &headers, &env),
        _ => None,
    };
    match (at_hand, token) {
        (Some((hot, key)), Some(token)) => {
            let hash = key.as_ref().map(|(hash, _)| *hash);
            let pending = Pending { token, headers, hot, hash, ctx, at_ms };
            let decide =
                Closure::<dyn FnMut(JsValue) -> JsValue>::once_into_js(move |read: JsValue| pending.decide(read, env));
            match webcrypto::read_and_sign_then(&req, key.as_ref().map(|(_, k)| k), &decide) {
                Some(answer) => answer.into(),
                None => body_error(&BodyError::Unreadable).into(),
            }
        }
        (_, token) => {
            future_to_promise(async move { Ok(handle_async(req, token, headers, at_ms, env, &ctx).await.into()) }).into()
        }
    }
}

/// The webhook, and its imported Web Crypto key when the delivery needs one,
/// when both are at hand in this isolate without a wait.
fn at_hand(token: &str, headers: &DeliveryHeaders, env: &Env) -> Option<(Rc<Hot>, Option<MacKey>)> {
    let Memoised::Webhook(hot) = memoised(token, env, js_sys::Date::now()).1 else { return None };
    let key = match hot.wanted(headers) {
        Some((hash, _)) => Some((hash, hot.imported_key(hash)?)),
        None => None,
    };
    Some((hot, key))
}

/// A delivery waiting for its body (and its MAC) on the synchronous way.
struct Pending {
    token: String,
    headers: DeliveryHeaders,
    hot: Rc<Hot>,
    hash: Option<GithubMac>,
    ctx: Context,
    /// When it arrived (epoch ms), for its log entry.
    at_ms: f64,
}

impl Pending {
    /// `read` is what the body's read and signature settled to (`webcrypto::read_and_sign_then`).
    fn decide(self, read: JsValue, env: Env) -> JsValue {
        let Pending { token, headers, hot, hash, ctx, at_ms } = self;
        let (body, macs) = match received(webcrypto::read_pair(read), hash) {
            Ok(read) => read,
            Err(e) => {
                let answer = body_error(&e);
                let record = Record { token, hot: Some(hot), headers, at_ms, body: None, answered: Answered::Body(e) };
                after_answer(&ctx, env, record);
                return answer.into();
            }
        };
        match verdict(&hot, &headers, &body, macs.as_ref(), None, &env) {
            Answer::Now(answer, decision) => {
                let record = Record { token, hot: Some(hot), headers, at_ms, body: Some(body), answered: Answered::Decided(decision) };
                after_answer(&ctx, env, record);
                answer.into()
            }
            Answer::Store(decision) => future_to_promise(async move {
                let delivery = Stored { token: &token, hot: &hot, headers: &headers, body: &body };
                let (answer, started) = store_and_answer(&env, delivery, &decision).await;
                let answered = Answered::Accepted(decision, started);
                after_answer(&ctx, env, Record { token, hot: Some(hot), headers, at_ms, body: Some(body), answered });
                Ok(answer.into())
            })
            .into(),
            Answer::TryPrevious => future_to_promise(async move {
                let (answer, answered) = with_previous_secret(&env, &token, &hot, &headers, &body, macs).await;
                after_answer(&ctx, env, Record { token, hot: Some(hot), headers, at_ms, body: Some(body), answered });
                Ok(answer.into())
            })
            .into(),
        }
    }
}

async fn handle_async(
    req: web_sys::Request,
    token: Option<String>,
    headers: DeliveryHeaders,
    at_ms: f64,
    env: Env,
    ctx: &Context,
) -> web_sys::Response {
    // The token is resolved first (no wait when this isolate's memo holds it),
    // so that the body can be read and signed in one promise.
    let resolved = match &token {
        None => Resolved::Unknown,
        Some(t) => resolve(t, &env, ctx).await,
    };
    let hot = match resolved {
        Resolved::Found(hot) => hot,
        // The body is read (at most 25 MB, refused early when larger) before any
        // answer: a server that answers without reading what was sent makes the
        // connection reset under the sender, who then sees no status at all.
        refused => {
            if let Err(e) = drain_body(&req, headers.declared).await {
                return body_error(&e);
            }
            return match (refused, token) {
                (Resolved::Unavailable(what), _) => unavailable(what),
                (Resolved::Broken, Some(token)) => {
                    after_answer(ctx, env, Record { token, hot: None, headers, at_ms, body: None, answered: Answered::Broken });
                    answer(500, json!({"message": BROKEN}))
                }
                _ => unknown(),
            };
        }
    };
    let Some(token) = token else { return unknown() };

    let (body, macs) = match body_and_mac(&hot, &req, &headers).await {
        Ok(read) => read,
        Err(e) => {
            let answer = body_error(&e);
            after_answer(ctx, env, Record { token, hot: Some(hot), headers, at_ms, body: None, answered: Answered::Body(e) });
            return answer;
        }
    };
    let (answer, answered) = match verdict(&hot, &headers, &body, macs.as_ref(), None, &env) {
        Answer::Now(answer, decision) => (answer, Answered::Decided(decision)),
        Answer::Store(decision) => {
            let delivery = Stored { token: &token, hot: &hot, headers: &headers, body: &body };
            let (answer, started) = store_and_answer(&env, delivery, &decision).await;
            (answer, Answered::Accepted(decision, started))
        }
        Answer::TryPrevious => with_previous_secret(&env, &token, &hot, &headers, &body, macs).await,
    };
    after_answer(ctx, env, Record { token, hot: Some(hot), headers, at_ms, body: Some(body), answered });
    answer
}

/// What a 500 says of a webhook whose stored definition no longer validates.
const BROKEN: &str = "The stored webhook definition no longer validates.";

/// A decided delivery's answer: ready, or to be given once the execution is stored.
enum Answer {
    /// Answered now: the response, and the decision for the log.
    Now(web_sys::Response, Decision),
    Store(Decision),
    /// Refused with the current secret while a rotation's previous secret is still
    /// honoured: to be decided again with it ([`with_previous_secret`]).
    TryPrevious,
}

/// The core's decision on a delivery whose body (and MAC) are in hand; `previous`
/// is the rotation's previous secret, given only on a second try.
fn verdict(
    hot: &Hot,
    headers: &DeliveryHeaders,
    body: &[u8],
    macs: Option<&PrecomputedMacs>,
    previous: Option<pipehook::PreviousSecret<'_>>,
    env: &Env,
) -> Answer {
    let empty = Default::default();
    let configuration = hot.pipeline.as_ref().map(|p| &p.configuration).unwrap_or(&empty);
    let delivery = Delivery {
        headers: &headers.read,
        body,
        source_ip: headers.source_ip.as_deref(),
        macs,
        previous_secret: previous,
    };
    // An accepted delivery is answered with its execution id: its traces are never built.
    let mut decision =
        pipehook::evaluate_delivery_with_traces(&hot.webhook, &delivery, configuration, Traces::WhenFiltered);
    let signed_with_previous = decision.matched_secret == Some(MatchedSecret::Previous);
    if signed_with_previous {
        decision.reason.push_str(&previous_secret_note(hot));
    }

    let answer = match decision.outcome {
        Outcome::Unauthorized if previous.is_none() && hot.previous_for(headers, env).is_some() => {
            return Answer::TryPrevious
        }
        // A failed authentication reveals nothing about the definition.
        Outcome::Unauthorized => unauthorized(),
        Outcome::Forbidden => answer(
            403,
            json!({"outcome": "forbidden", "message": "The delivery's source address is not allowed."}),
        ),
        Outcome::Malformed => answer(decision.status, json!({"outcome": "malformed", "message": decision.reason})),
        Outcome::Filtered if signed_with_previous => {
            let mut body = serde_json::to_value(&decision).unwrap_or_else(|_| json!({"outcome": "filtered"}));
            with_previous_expiry(&mut body, hot);
            answer(200, body)
        }
        Outcome::Filtered => filtered(&decision),
        Outcome::Accepted => return Answer::Store(decision),
    };
    Answer::Now(answer, decision)
}

fn unauthorized() -> web_sys::Response {
    answer(
        401,
        json!({"outcome": "unauthorized", "message": "The delivery's signature is missing or does not verify."}),
    )
}

/// A delivery the current secret refused, decided again with the previous one
/// (its MAC by Web Crypto, like the current secret's).
async fn with_previous_secret(
    env: &Env,
    token: &str,
    hot: &Hot,
    headers: &DeliveryHeaders,
    body: &[u8],
    macs: Option<PrecomputedMacs>,
) -> (web_sys::Response, Answered) {
    let refused = |why: &str| {
        let decision = pipehook::Decision {
            outcome: Outcome::Unauthorized,
            status: 401,
            reason: why.to_string(),
            filters: Vec::new(),
            revision: None,
            matched_secret: None,
        };
        (unauthorized(), Answered::Decided(decision))
    };
    let Some((hash, previous)) = hot.previous_for(headers, env) else {
        return refused("the previous SecretToken expired while the delivery was decided");
    };
    let previous_macs = hot.previous_macs(hash, previous, body).await;
    let given = pipehook::PreviousSecret { secret: &previous.secret_token, macs: previous_macs.as_ref() };
    match verdict(hot, headers, body, macs.as_ref(), Some(given), env) {
        Answer::Now(answer, decision) => (answer, Answered::Decided(decision)),
        Answer::Store(decision) => {
            let (answer, started) = store_and_answer(env, Stored { token, hot, headers, body }, &decision).await;
            (answer, Answered::Accepted(decision, started))
        }
        Answer::TryPrevious => refused("no SecretToken verifies the signature"),
    }
}

/// The end of the reason of a delivery signed with the previous secret: until when.
fn previous_secret_note(hot: &Hot) -> String {
    match &hot.previous {
        Some(p) => format!("; it is accepted until {}: give the sender the new one", rotation::expiry_text(p.expires)),
        None => String::new(),
    }
}

/// Adds `matchedSecret` and `previousSecretExpires` to an answer when the delivery
/// was signed with the previous secret (they say nothing of the secrets themselves).
fn with_previous_expiry(body: &mut Value, hot: &Hot) {
    if let Some(p) = &hot.previous {
        body["matchedSecret"] = json!("previous");
        body["previousSecretExpires"] = json!(rotation::expiry_text(p.expires));
    }
}

/// An accepted delivery, as storing its execution needs it.
struct Stored<'a> {
    token: &'a str,
    hot: &'a Hot,
    headers: &'a DeliveryHeaders,
    body: &'a [u8],
}

async fn store_and_answer(env: &Env, delivery: Stored<'_>, decision: &Decision) -> (web_sys::Response, Started) {
    match store(env) {
        Some(store) => accepted(&store, env, delivery, decision).await,
        None => (unavailable("binding"), Started::Unavailable("binding")),
    }
}

/// Stores the execution, and hands it to its pipeline's dispatch target if it has one
/// (`handoff.rs`), and `lastTriggered` at most once a second, before answering 200.
async fn accepted(store: &Store, env: &Env, delivery: Stored<'_>, decision: &Decision) -> (web_sys::Response, Started) {
    let Stored { token, hot, headers, body } = delivery;
    let def = hot.webhook.definition();
    let Some(pipeline) = &hot.pipeline else {
        let message = no_pipeline(&def.target_pipeline);
        return (answer(404, json!({"outcome": "accepted", "message": message})), Started::NoPipeline(message));
    };
    let cfg = config(env);
    let arn = format!("arn:aws:codepipeline:{}:{}:webhook:{}", cfg.region, cfg.account, def.name);
    let now_ms = js_sys::Date::now();
    let accepted = handoff::Accepted {
        webhook_name: &def.name,
        webhook_arn: &arn,
        trigger_detail: &arn,
        token,
        pipeline_name: &def.target_pipeline,
        pipeline,
        source_action: &def.target_action,
        revision: decision.revision.as_deref(),
        delivery_id: pipehook::dispatch::delivery_id(headers.delivery_id.as_deref()),
        event: pipehook::dispatch::message::event_name(headers.event.as_deref()),
        dispatch: hot.dispatch.as_ref(),
        headers: &headers.read,
        body,
        now_ms: now_ms as u64,
    };
    let execution = handoff::start(store, env, &accepted);
    // lastTriggered has a key of its own, which KV lets be written about once a
    // second: this isolate writes it at most that often, alongside the
    // execution, and a refused write costs the delivery nothing (the value then
    // lags the newest delivery by less than a second).
    let due = claim_slot(|m| &mut m.triggered, token, now_ms, TRIGGERED_EVERY_MS);
    let triggered = async {
        if due && store.set_last_triggered(token, now_ms / 1000.0).await.is_err() {
            MEMO.with(|m| m.borrow_mut().triggered.remove(token));
        }
    };
    let (execution, ()) = join(execution, triggered).await;
    let id = match execution {
        Ok(id) => id,
        Err(what) => return (unavailable(what), Started::Unavailable(what)),
    };
    let mut body = json!({"outcome": "accepted", "pipelineExecutionId": id});
    if let Some(r) = &decision.revision {
        body["revision"] = json!(r);
    }
    if decision.matched_secret == Some(MatchedSecret::Previous) {
        body["reason"] = json!(decision.reason);
        with_previous_expiry(&mut body, hot);
    }
    (answer(200, body), Started::Execution(id))
}

/// What an accepted delivery to a webhook whose pipeline is gone is told (404).
pub fn no_pipeline(pipeline: &str) -> String {
    format!("Pipeline '{pipeline}' no longer exists; nothing was started.")
}
