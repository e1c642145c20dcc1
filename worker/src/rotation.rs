//! Secret rotation without downtime: when PutWebhook changes a GITHUB_HMAC
//! webhook's SecretToken, the secret it replaces stays valid for
//! `SECRET_ROTATION_GRACE_S` seconds (default a day; `0` turns rotation off), so
//! that the sender (GitHub's hook settings, a CI job) can be switched over at
//! leisure instead of failing every delivery in between.
//!
//! - The previous secret is kept with the record and its delivery view (`store.rs`,
//!   `views.rs`), with the epoch second it expires, so a delivery needs no extra
//!   read. Only one is kept: a third secret replaces it, so the first is refused.
//! - The core has no clock. A delivery passes the previous secret to it only while
//!   it is honoured ([`honoured`]), and the core tries it only when the current
//!   secret fails: a delivery signed with the current secret costs what it did
//!   before rotation existed. The answer then says which secret matched, and when
//!   the previous one stops being accepted ([`expiry_text`]).
//! - An expired previous secret is never honoured, whatever is stored; the next
//!   PutWebhook drops it from storage. `SECRET_ROTATION_GRACE_S=0` also stops
//!   deliveries honouring one kept from before.
//! - Neither secret is ever answered: ListWebhooks shows the definition only, and
//!   the stored member is named `SecretToken`, which every answer's redaction masks.

use serde_json::Value;

use crate::store::{PreviousSecret, WebhookRecord};

/// A day: long enough for a person to update a sender, short enough not to linger.
pub const DEFAULT_GRACE_S: u64 = 86_400;

/// `SECRET_ROTATION_GRACE_S` as seconds: a whole number, `0` for off. Anything
/// else (unset, empty, negative, not a number) is the default.
pub fn grace_s(value: Option<&str>) -> u64 {
    value.and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(DEFAULT_GRACE_S)
}

/// The SecretToken of a definition that authenticates with GITHUB_HMAC.
fn github_secret(definition: &Value) -> Option<&str> {
    if definition.get("authentication").and_then(Value::as_str) != Some("GITHUB_HMAC") {
        return None;
    }
    definition.pointer("/authenticationConfiguration/SecretToken").and_then(Value::as_str)
}

/// What a PutWebhook that writes `definition` over `old` keeps as the previous
/// secret, at `now_s` (epoch seconds) with a grace of `grace_s`.
pub fn previous_secret(old: &WebhookRecord, definition: &Value, now_s: f64, grace_s: u64) -> Option<PreviousSecret> {
    let new = github_secret(definition)?;
    if grace_s == 0 {
        return None;
    }
    match github_secret(&old.definition) {
        // A change of secret: the one replaced is honoured for the grace period.
        Some(replaced) if replaced != new => Some(PreviousSecret {
            secret_token: pipehook::SecretToken(replaced.to_string()),
            expires: now_s + grace_s as f64,
        }),
        // The same secret again (or a webhook that had none): a rotation under way
        // goes on until it expires, unless its secret is now the current one.
        _ => old.previous_secret.clone().filter(|p| p.expires > now_s && p.secret_token.expose() != new),
    }
}

/// The previous secret a delivery at `now_ms` may still use: `None` when there is
/// none, it has expired, or rotation is off (`SECRET_ROTATION_GRACE_S=0`).
pub fn honoured(previous: Option<&PreviousSecret>, now_ms: f64, enabled: bool) -> Option<&PreviousSecret> {
    previous.filter(|p| enabled && now_ms < p.expires * 1000.0)
}

/// When a previous secret stops being accepted, for the answer to a delivery
/// signed with it: ISO 8601 in UTC.
pub fn expiry_text(expires_s: f64) -> String {
    crate::iso8601(expires_s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition(auth: &str, secret: Option<&str>) -> Value {
        let mut config = json!({});
        if let Some(s) = secret {
            config["SecretToken"] = json!(s);
        }
        json!({"name": "w", "authentication": auth, "authenticationConfiguration": config})
    }

    fn record(def: Value, previous: Option<PreviousSecret>) -> WebhookRecord {
        WebhookRecord {
            definition: def,
            token: "t".into(),
            rev: "r".into(),
            tags: vec![],
            created: 0.0,
            updated: 0.0,
            previous_secret: previous,
        }
    }

    fn prev(secret: &str, expires: f64) -> PreviousSecret {
        PreviousSecret { secret_token: pipehook::SecretToken(secret.into()), expires }
    }

    const NOW: f64 = 1_000_000.0;

    #[test]
    fn a_changed_secret_is_kept_for_the_grace_period() {
        let old = record(definition("GITHUB_HMAC", Some("a")), None);
        let kept = previous_secret(&old, &definition("GITHUB_HMAC", Some("b")), NOW, 60);
        assert_eq!(kept, Some(prev("a", NOW + 60.0)));
    }

    #[test]
    fn a_third_secret_replaces_the_first() {
        let old = record(definition("GITHUB_HMAC", Some("b")), Some(prev("a", NOW + 50.0)));
        let kept = previous_secret(&old, &definition("GITHUB_HMAC", Some("c")), NOW, 60);
        assert_eq!(kept, Some(prev("b", NOW + 60.0)));
    }

    #[test]
    fn the_same_secret_again_keeps_a_rotation_under_way_until_it_expires() {
        let old = record(definition("GITHUB_HMAC", Some("b")), Some(prev("a", NOW + 50.0)));
        let same = definition("GITHUB_HMAC", Some("b"));
        assert_eq!(previous_secret(&old, &same, NOW, 60), Some(prev("a", NOW + 50.0)));
        // Expired: dropped from storage by this write.
        let expired = record(definition("GITHUB_HMAC", Some("b")), Some(prev("a", NOW - 1.0)));
        assert_eq!(previous_secret(&expired, &same, NOW, 60), None);
    }

    #[test]
    fn going_back_to_the_previous_secret_keeps_the_one_just_replaced() {
        let old = record(definition("GITHUB_HMAC", Some("b")), Some(prev("a", NOW + 50.0)));
        let kept = previous_secret(&old, &definition("GITHUB_HMAC", Some("a")), NOW, 60);
        assert_eq!(kept, Some(prev("b", NOW + 60.0)));
    }

    #[test]
    fn nothing_is_kept_when_off_or_without_github_hmac() {
        let old = record(definition("GITHUB_HMAC", Some("a")), None);
        assert_eq!(previous_secret(&old, &definition("GITHUB_HMAC", Some("b")), NOW, 0), None);
        assert_eq!(previous_secret(&old, &definition("IP", None), NOW, 60), None);
        assert_eq!(previous_secret(&old, &definition("UNAUTHENTICATED", None), NOW, 60), None);
        // From another kind of authentication to GITHUB_HMAC: there was no secret to keep.
        let ip = record(definition("IP", None), None);
        assert_eq!(previous_secret(&ip, &definition("GITHUB_HMAC", Some("b")), NOW, 60), None);
    }

    #[test]
    fn a_delivery_honours_it_only_before_it_expires_and_while_rotation_is_on() {
        let p = prev("a", NOW);
        assert!(honoured(Some(&p), NOW * 1000.0 - 1.0, true).is_some());
        assert!(honoured(Some(&p), NOW * 1000.0, true).is_none());
        assert!(honoured(Some(&p), NOW * 1000.0 - 1.0, false).is_none());
        assert!(honoured(None, 0.0, true).is_none());
    }

    #[test]
    fn grace_values() {
        assert_eq!(grace_s(None), DEFAULT_GRACE_S);
        assert_eq!(grace_s(Some("0")), 0);
        assert_eq!(grace_s(Some(" 5 ")), 5);
        for bad in ["", "-1", "1.5", "a day"] {
            assert_eq!(grace_s(Some(bad)), DEFAULT_GRACE_S, "{bad}");
        }
    }

    #[test]
    fn the_stored_secret_is_masked_by_redaction() {
        let mut v = serde_json::to_value(record(definition("GITHUB_HMAC", Some("b")), Some(prev("a", NOW)))).unwrap();
        assert_eq!(v["previousSecret"]["SecretToken"], "a");
        pipehook::redact(&mut v);
        assert!(!v.to_string().contains("\"a\""), "{v}");
    }
}
