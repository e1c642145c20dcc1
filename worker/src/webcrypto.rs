//! HMACs of large delivery bodies by the runtime's native Web Crypto.
//!
//! The core verifies GitHub signatures in wasm, which is fine for the usual
//! few-KB payload but costs about 8 ms of CPU per MB; `crypto.subtle` does it
//! natively, several times faster (TOOLCHAIN.md measures 1.65 ms/MB), and the
//! Workers free plan allows 10 ms of CPU per request. The core still compares
//! the result with the header, in constant time ([`pipehook::auth::PrecomputedMacs`]).

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use pipehook::auth::PrecomputedMacs;

/// Bodies below this are signed in wasm by the core: the async round trip is not worth it.
pub const NATIVE_FROM_BYTES: usize = 64 * 1024;

/// The MAC the delivery's signature header asks for (sha256 when
/// `X-Hub-Signature-256` is present, else sha1 for the legacy header), or
/// `None` when Web Crypto is unavailable so the core computes it itself.
pub async fn github_macs(secret: &str, headers: &[(String, String)], body: &[u8]) -> Option<PrecomputedMacs> {
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if has("x-hub-signature-256") {
        Some(PrecomputedMacs { sha256: Some(hmac("SHA-256", secret.as_bytes(), body).await?), sha1: None })
    } else if has("x-hub-signature") {
        Some(PrecomputedMacs { sha256: None, sha1: Some(hmac("SHA-1", secret.as_bytes(), body).await?) })
    } else {
        None
    }
}

async fn hmac(hash: &str, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).ok()?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).ok()?;
    let method = |name: &str| -> Option<Function> {
        Reflect::get(&subtle, &JsValue::from_str(name)).ok()?.dyn_into().ok()
    };
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"HMAC".into()).ok()?;
    Reflect::set(&algorithm, &"hash".into(), &hash.into()).ok()?;
    let args = Array::of5(
        &"raw".into(),
        &Uint8Array::from(key).into(),
        &algorithm,
        &JsValue::FALSE,
        &Array::of1(&"sign".into()),
    );
    let imported: Promise = method("importKey")?.apply(&subtle, &args).ok()?.dyn_into().ok()?;
    let key = JsFuture::from(imported).await.ok()?;
    let signed: Promise = method("sign")?
        .call3(&subtle, &"HMAC".into(), &key, &Uint8Array::from(data).into())
        .ok()?
        .dyn_into()
        .ok()?;
    let mac = JsFuture::from(signed).await.ok()?;
    Some(Uint8Array::new(&mac).to_vec())
}
