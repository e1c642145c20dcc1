//! The Standard Webhooks signature (<https://www.standardwebhooks.com/>, "Signature scheme"):
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`,
//! keyed with the secret's bytes (`whsec_<base64>`, the prefix optional), so receivers verify
//! with the `standardwebhooks` libraries. Pure: the time is an argument.
//!
//! ```
//! use pipehook::dispatch::SigningKey;
//! // The specification's own example.
//! let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
//! let sig = key.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
//! assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
//! ```

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// The specification's recommended key sizes.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// A signing secret's key bytes. Never shown by `Debug`.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(****)")
    }
}

impl SigningKey {
    /// `whsec_` and the key's base64 (24 to 64 bytes). The error never quotes the secret.
    pub fn parse(secret: &str) -> Result<Self, String> {
        let encoded = secret.trim().strip_prefix(PREFIX).unwrap_or(secret.trim());
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| "DISPATCH_SIGNING_SECRET is not whsec_ followed by base64".to_string())?;
        if !KEY_BYTES.contains(&bytes.len()) {
            return Err(format!(
                "DISPATCH_SIGNING_SECRET's key is {} bytes; Standard Webhooks keys are {} to {} bytes",
                bytes.len(),
                KEY_BYTES.start(),
                KEY_BYTES.end()
            ));
        }
        Ok(Self(bytes))
    }

    /// The `webhook-signature` header value for a message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}
