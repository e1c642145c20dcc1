//! GitHub HMACs of delivery bodies by the runtime's native Web Crypto.
//!
//! The core can verify GitHub signatures itself (sha2 compiled to wasm), but
//! `crypto.subtle` does it natively, several times faster, and the Workers
//! free plan allows 10 ms of CPU per request; the body is also signed where it
//! already is (the request's ArrayBuffer), without a copy made for the
//! purpose. The core still compares the result with the header, in constant
//! time ([`pipehook::auth::PrecomputedMacs`]), and decides which MAC a
//! delivery asks for ([`GithubMac::requested`]). Anything unexpected answers
//! `None`, and the core then computes the MAC itself.

use std::cell::OnceCell;

use js_sys::{Array, ArrayBuffer, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::worker_sys::web_sys;

use pipehook::auth::GithubMac;

/// Web Crypto's name for the hash of a GitHub MAC.
fn web_name(kind: GithubMac) -> &'static str {
    match kind {
        GithubMac::Sha256 => "SHA-256",
        GithubMac::Sha1 => "SHA-1",
    }
}

/// `crypto.subtle` and its two methods, looked up once per isolate.
struct Subtle {
    subtle: JsValue,
    import_key: Function,
    sign: Function,
}

thread_local! {
    static SUBTLE: OnceCell<Option<Subtle>> = const { OnceCell::new() };
}

fn with_subtle<T>(f: impl FnOnce(&Subtle) -> Option<T>) -> Option<T> {
    SUBTLE.with(|cell| {
        cell.get_or_init(|| {
            let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
            let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
            let method = |name: &str| -> Option<Function> {
                Reflect::get(&subtle, &JsValue::from_str(name)).ok()?.dyn_into().ok()
            };
            Some(Subtle { import_key: method("importKey")?, sign: method("sign")?, subtle })
        })
        .as_ref()
        .and_then(f)
    })
}

/// An HMAC signing key (a `CryptoKey`, not extractable) for `secret`; callers
/// keep it for as long as the definition is cached, so it is imported once.
pub async fn hmac_key(hash: GithubMac, secret: &[u8]) -> Option<JsValue> {
    let imported = with_subtle(|s| {
        let algorithm = Object::new();
        Reflect::set(&algorithm, &"name".into(), &"HMAC".into()).ok()?;
        Reflect::set(&algorithm, &"hash".into(), &web_name(hash).into()).ok()?;
        let args = Array::of5(
            &"raw".into(),
            &Uint8Array::from(secret).into(),
            &algorithm,
            &JsValue::FALSE,
            &Array::of1(&"sign".into()),
        );
        s.import_key.apply(&s.subtle, &args).ok()?.dyn_into::<Promise>().ok()
    })?;
    JsFuture::from(imported).await.ok()
}

/// The MAC of `data` (any BufferSource: the request's own ArrayBuffer, or bytes).
pub async fn sign(key: &JsValue, data: &JsValue) -> Option<Vec<u8>> {
    let signed =
        with_subtle(|s| s.sign.call3(&s.subtle, &"HMAC".into(), key, data).ok()?.dyn_into::<Promise>().ok())?;
    let mac = JsFuture::from(signed).await.ok()?;
    Some(Uint8Array::new(&mac).to_vec())
}

// Reading the body and signing it are chained in JS: each promise Rust awaits
// costs a pair of closures and a wake through `queueMicrotask`, so one promise
// for both takes one of the delivery's two waits away. `readAndSignThen` hands
// what it settles to (`[body, mac?]`, or `undefined` when the body cannot be
// read) to a decision made synchronously, with no Rust task at all.
#[wasm_bindgen(inline_js = "
export function readAndSign(request, key) {
  const body = request.arrayBuffer();
  if (key === undefined) return body.then((b) => [b]);
  return body.then((b) => crypto.subtle.sign('HMAC', key, b).then((mac) => [b, mac], () => [b]));
}
export function readAndSignThen(request, key, then) {
  return readAndSign(request, key).then(then, () => then(undefined));
}
")]
extern "C" {
    #[wasm_bindgen(js_name = readAndSign, catch)]
    fn read_and_sign_js(request: &web_sys::Request, key: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = readAndSignThen, catch)]
    fn read_and_sign_then_js(request: &web_sys::Request, key: &JsValue, then: &JsValue) -> Result<Promise, JsValue>;
}

/// The request's body as one ArrayBuffer and, when `key` is given, its MAC by
/// Web Crypto (`None` when signing fails: the core then computes it). `Err`
/// when the body cannot be read.
pub async fn read_and_sign(request: &web_sys::Request, key: Option<&JsValue>) -> Result<(ArrayBuffer, Option<Vec<u8>>), ()> {
    let promise = read_and_sign_js(request, key.unwrap_or(&JsValue::UNDEFINED)).map_err(|_| ())?;
    read_pair(JsFuture::from(promise).await.map_err(|_| ())?)
}

/// The same, handing what the read settles to ([`read_pair`] reads it) to
/// `then`, a JS function: the promise of what `then` returns. `None` when the
/// read cannot start (the body was already used).
pub fn read_and_sign_then(request: &web_sys::Request, key: Option<&JsValue>, then: &JsValue) -> Option<Promise> {
    read_and_sign_then_js(request, key.unwrap_or(&JsValue::UNDEFINED), then).ok()
}

/// The body and MAC from what a read settled to.
pub fn read_pair(settled: JsValue) -> Result<(ArrayBuffer, Option<Vec<u8>>), ()> {
    let pair: Array = settled.dyn_into().map_err(|_| ())?;
    let body: ArrayBuffer = pair.get(0).dyn_into().map_err(|_| ())?;
    let mac = pair.get(1).dyn_into::<ArrayBuffer>().ok().map(|m| Uint8Array::new(&m).to_vec());
    Ok((body, mac))
}

#[wasm_bindgen(inline_js = "
export function sha256(bytes) {
  return crypto.subtle.digest('SHA-256', bytes);
}
")]
extern "C" {
    #[wasm_bindgen(js_name = sha256, catch)]
    fn sha256_js(bytes: &Uint8Array) -> Result<Promise, JsValue>;
}

/// The SHA-256 of `bytes`, by Web Crypto (several times faster than sha2 in wasm on the
/// megabytes it is used for: a delivery body too large for the log to keep).
pub async fn sha256(bytes: &[u8]) -> Option<Vec<u8>> {
    let digest = JsFuture::from(sha256_js(&Uint8Array::from(bytes)).ok()?).await.ok()?;
    Some(Uint8Array::new(&digest).to_vec())
}
