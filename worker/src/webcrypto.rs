//! GitHub HMACs of delivery bodies by the runtime's native Web Crypto.
//!
//! The core can verify GitHub signatures itself (sha2 compiled to wasm), but
//! `crypto.subtle` does it natively, several times faster, and the Workers
//! free plan allows 10 ms of CPU per request; the body is also signed where it
//! already is (the request's ArrayBuffer), without a copy made for the
//! purpose. The core still compares the result with the header, in constant
//! time ([`pipehook::auth::PrecomputedMacs`]). Anything unexpected answers
//! `None`, and the core then computes the MAC itself.

use std::cell::OnceCell;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use pipehook::auth::PrecomputedMacs;

/// Which MAC a GitHub delivery's headers ask for: `X-Hub-Signature-256` alone
/// decides when present (no downgrade), else the legacy `X-Hub-Signature`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GithubHash {
    Sha256,
    Sha1,
}

impl GithubHash {
    pub fn wanted(headers: &[(String, String)]) -> Option<Self> {
        let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        if has("x-hub-signature-256") {
            Some(Self::Sha256)
        } else if has("x-hub-signature") {
            Some(Self::Sha1)
        } else {
            None
        }
    }

    fn web_name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha1 => "SHA-1",
        }
    }

    pub fn macs(self, mac: Vec<u8>) -> PrecomputedMacs {
        match self {
            Self::Sha256 => PrecomputedMacs { sha256: Some(mac), sha1: None },
            Self::Sha1 => PrecomputedMacs { sha256: None, sha1: Some(mac) },
        }
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
pub async fn hmac_key(hash: GithubHash, secret: &[u8]) -> Option<JsValue> {
    let imported = with_subtle(|s| {
        let algorithm = Object::new();
        Reflect::set(&algorithm, &"name".into(), &"HMAC".into()).ok()?;
        Reflect::set(&algorithm, &"hash".into(), &hash.web_name().into()).ok()?;
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
