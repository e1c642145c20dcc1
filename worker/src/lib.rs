//! pipehook's Cloudflare Worker: the CodePipeline JSON API on `POST /`, the
//! webhook endpoint on `POST /trigger?t=<token>&v=1`, and the validator page
//! (Workers static assets from `../www`) on `GET`; and the `DISPATCH` queue's
//! consumer, which starts the work accepted deliveries hand over. All validation,
//! delivery evaluation and dispatch logic comes from the `pipehook` core crate;
//! this crate only routes, stores (Workers KV), enqueues, fetches and answers.

use futures_util::StreamExt;
use worker::worker_sys::web_sys;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use worker::{Context, Env, Method, Request, Response, Result};

mod api;
mod delivery;
mod delivery_log;
mod dispatch;
mod handoff;
mod github;
mod ops;
mod rotation;
mod sigv4;
mod store;
mod views;
mod webcrypto;

/// The KV namespace binding holding all state.
pub(crate) const KV_BINDING: &str = "PIPEHOOK";
/// The static-assets binding (`[assets] binding` in wrangler.toml).
const ASSETS_BINDING: &str = "ASSETS";

/// The Worker's fetch handler, exported by hand rather than by `#[event(fetch)]`.
/// The macro makes every request a Rust task (a spawned future, woken through
/// `queueMicrotask`, with closures per awaited promise). A delivery whose
/// webhook this isolate already holds needs none of that: it is one JS promise
/// (the body read and signed) and a synchronous decision (`delivery.rs`).
/// The macro's other work, answering a handler's `Err` with a 500, has no
/// counterpart here: every route answers a Response of its own.
#[wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> JsValue {
    let ctx = Context::new(ctx);
    // Deliveries take the runtime's request and answer its own Response: the hot
    // path needs none of what `worker::Request` copies out of a request up front
    // (method, URL, `cf`), nor `worker::Response`'s copy of the body.
    let url = req.url();
    if path_of(&url) == "/trigger" {
        return if req.method() == "POST" {
            delivery::handle(req, &url, env, ctx)
        } else {
            web_sys::Response::from(plain(405, "Webhook deliveries are POSTed to this URL.\n")).into()
        };
    }
    future_to_promise(async move {
        let req = Request::from(req);
        let answer = match (req.method(), req.path().as_str()) {
            (Method::Post, "/") => api::handle(req, &env).await,
            (Method::Get | Method::Head, _) => assets(req, &env).await,
            _ => plain(405, "Method not allowed.\n"),
        };
        Ok(web_sys::Response::from(answer).into())
    })
    .into()
}

/// The Worker's queue handler: the `DISPATCH` queue's consumer (`dispatch/consume.rs`),
/// exported by hand as `fetch` is; worker-build routes the runtime's `queue` event to it.
#[wasm_bindgen]
pub fn queue(batch: JsValue, env: Env, _ctx: worker::worker_sys::Context) -> js_sys::Promise {
    future_to_promise(async move {
        dispatch::consume(batch, env).await;
        Ok(JsValue::UNDEFINED)
    })
}

/// The path of an absolute URL as the runtime serialises it (`scheme://host/path?query`).
fn path_of(url: &str) -> &str {
    let rest = url.find("://").map_or(url, |i| &url[i + 3..]);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

/// The validator page and its files, from Workers static assets.
async fn assets(req: Request, env: &Env) -> Response {
    match env.assets(ASSETS_BINDING) {
        Ok(fetcher) => match fetcher.fetch_request(req).await {
            Ok(resp) => resp,
            Err(_) => plain(502, "Static assets are unavailable.\n"),
        },
        Err(_) => plain(404, "Not found. The API is POST / (AWS JSON 1.1); webhooks POST to /trigger.\n"),
    }
}

pub(crate) fn plain(status: u16, text: &str) -> Response {
    let headers = worker::Headers::new();
    let _ = headers.set("content-type", "text/plain; charset=utf-8");
    Response::builder().with_status(status).with_headers(headers).fixed(text.as_bytes().to_vec())
}

/// The deployment's settings (wrangler.toml `[vars]` and secrets).
pub(crate) struct Config {
    pub region: String,
    pub account: String,
    pub public_url: Option<String>,
    pub credentials: Vec<sigv4::Credential>,
    /// `GITHUB_API_URL`, without a trailing slash.
    pub github_api_url: String,
    /// `SECRET_ROTATION_GRACE_S` (`rotation.rs`).
    pub secret_rotation_grace_s: u64,
}

/// A var or secret of the deployment; `None` when unset or empty.
pub(crate) fn setting(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|s| s.to_string()))
        .ok()
        .filter(|s| !s.is_empty())
}

pub(crate) fn config(env: &Env) -> Config {
    let get = |name: &str| setting(env, name);
    let mut credentials = Vec::new();
    // Fail closed: with no secret configured, no request is authenticated.
    if let (Some(id), Some(secret)) = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
        credentials.push(sigv4::Credential { access_key_id: id, secret_access_key: secret });
    }
    Config {
        region: get("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
        account: get("AWS_ACCOUNT_ID").unwrap_or_else(|| "123456789012".into()),
        public_url: get("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
        credentials,
        github_api_url: get("GITHUB_API_URL")
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| github::DEFAULT_API_URL.to_string()),
        secret_rotation_grace_s: rotation::grace_s(get("SECRET_ROTATION_GRACE_S").as_deref()),
    }
}

/// Epoch seconds as ISO 8601 in UTC, by the runtime's own `Date`.
pub(crate) fn iso8601(epoch_s: f64) -> String {
    String::from(js_sys::Date::new(&JsValue::from_f64(epoch_s * 1000.0)).to_iso_string())
}

pub(crate) enum Body {
    Complete(Vec<u8>),
    TooLarge,
}

/// The body length a request declares in `Content-Length`, when well-formed.
pub(crate) fn declared_length(req: &web_sys::Request) -> Option<u64> {
    req.headers().get("content-length").ok().flatten().as_deref().and_then(parse_length)
}

/// A `Content-Length` value as a length; `None` when it is not one.
pub(crate) fn parse_length(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

/// Reads a request body, refusing it as soon as it is known to exceed `limit`:
/// from `Content-Length` before reading anything, else while streaming.
pub(crate) async fn read_body(req: &mut Request, limit: usize) -> Result<Body> {
    let declared = declared_length(req.inner());
    if declared.is_some_and(|n| n > limit as u64) {
        return Ok(Body::TooLarge);
    }
    if req.inner().body().is_none() {
        return Ok(Body::Complete(Vec::new()));
    }
    let mut stream = req.stream()?;
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(Body::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body::Complete(body))
}

/// Identifiers from the runtime's CSPRNG (Web Crypto `getRandomValues`).
pub(crate) mod ids {
    fn random<const N: usize>() -> [u8; N] {
        let mut bytes = [0u8; N];
        // getrandom's `js` backend is crypto.getRandomValues, which every
        // Worker has; its error case (no Web Crypto at all) cannot occur there.
        let _ = getrandom::getrandom(&mut bytes);
        bytes
    }

    /// An unguessable webhook URL token: 256 random bits, hex.
    pub fn token() -> String {
        hex::encode(random::<32>())
    }

    /// A random (version 4) UUID: request ids, record revisions, incarnations.
    pub fn uuid() -> String {
        let mut b = random::<16>();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        format_uuid(b)
    }

    /// A time-ordered id, an execution's or a delivery log entry's: a version 7 UUID
    /// (RFC 9562), whose first 48 bits are the time in epoch milliseconds, so the id
    /// alone names its listing key (`store.rs`), and 74 random bits.
    pub fn time_ordered(started_ms: u64) -> String {
        let mut b = random::<16>();
        b[..6].copy_from_slice(&started_ms.to_be_bytes()[2..]);
        b[6] = (b[6] & 0x0f) | 0x70;
        b[8] = (b[8] & 0x3f) | 0x80;
        format_uuid(b)
    }

    /// The time a [`time_ordered`] id carries; `None` for any other id
    /// (executions stored before, request input that is not ours).
    pub fn time_of(id: &str) -> Option<u64> {
        let b = id.as_bytes();
        if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[14] != b'7' {
            return None;
        }
        let hex = format!("{}{}", &id[0..8], &id[9..13]);
        if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(&hex, 16).ok()
    }

    fn format_uuid(b: [u8; 16]) -> String {
        let h = hex::encode(b);
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn paths_of_runtime_urls() {
            assert_eq!(crate::path_of("http://127.0.0.1:8787/trigger?t=ab&v=1"), "/trigger");
            assert_eq!(crate::path_of("https://h.example/"), "/");
            assert_eq!(crate::path_of("https://h.example"), "/");
            assert_eq!(crate::path_of("https://h.example/a/b#x"), "/a/b");
            assert_eq!(crate::path_of("https://h.example/trigger/x?y"), "/trigger/x");
        }

        #[test]
        fn execution_ids_carry_their_start_time() {
            for ms in [0u64, 1, 1_763_830_000_123, (1 << 48) - 1] {
                let id = time_ordered(ms);
                assert_eq!(id.len(), 36);
                assert_eq!(&id[14..15], "7");
                assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
                assert_eq!(time_of(&id), Some(ms));
            }
            assert_eq!(time_of(&uuid()), None);
            assert_eq!(time_of("not-an-id"), None);
            assert_eq!(time_of("zzzzzzzz-zzzz-7zzz-8zzz-zzzzzzzzzzzz"), None);
        }
    }
}
