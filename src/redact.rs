//! Removing secrets from anything about to leave the process.

use serde_json::Value;

/// What a SecretToken is shown as, as AWS shows it.
pub const REDACTED: &str = "****";

/// Members whose value is a secret wherever they appear: a webhook's SecretToken, and the
/// GitHub action's OAuthToken (which [`crate::secrets`] masks in pipeline declarations by their
/// action type; here, belt and braces, by name alone).
const SECRET_MEMBERS: [&str; 2] = ["SecretToken", "OAuthToken"];

/// Whether `member`, the value of `key` in an object, is a secret to show as [`REDACTED`].
pub fn is_secret(key: &str, member: &Value) -> bool {
    SECRET_MEMBERS.contains(&key) && !member.is_null()
}

/// Replaces the value of every `SecretToken` and `OAuthToken` member, at any depth, with `****`.
/// Works on any JSON (a ListWebhookItem, a PutWebhook input, a list of them),
/// so callers need not know where a definition sits.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if is_secret(key, member) {
                    *member = Value::String(REDACTED.to_string());
                } else {
                    redact(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redact_replaces_secret_token_at_any_depth() {
        let mut v = json!({"webhooks": [{"definition": {"authenticationConfiguration": {"SecretToken": "s3cr3t"}}}],
                           "SecretToken": "top"});
        redact(&mut v);
        assert_eq!(v["webhooks"][0]["definition"]["authenticationConfiguration"]["SecretToken"], "****");
        assert_eq!(v["SecretToken"], "****");
        assert!(!v.to_string().contains("s3cr3t"));
    }

    #[test]
    fn redact_leaves_other_members_and_null_alone() {
        let mut v = json!({"AllowedIPRange": "10.0.0.0/8", "SecretToken": null, "name": "SecretToken"});
        redact(&mut v);
        assert_eq!(v, json!({"AllowedIPRange": "10.0.0.0/8", "SecretToken": null, "name": "SecretToken"}));
    }
}
