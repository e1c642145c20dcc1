//! What the targets share: webhooks to decide with, and the checks every decision must pass.
#![allow(dead_code)]

use std::collections::BTreeMap;

use pipehook::{Decision, Outcome, ValidWebhook};
use serde_json::{json, Value};

pub const SECRET: &str = "fuzz-secret-token-ZQ7x";

/// A webhook with `filters`, authenticated as `authentication` says.
pub fn webhook(filters: Value, authentication: &str) -> Option<ValidWebhook> {
    let configuration = match authentication {
        "GITHUB_HMAC" => json!({"SecretToken": SECRET}),
        "IP" => json!({"AllowedIPRange": "10.0.0.0/8"}),
        _ => json!({}),
    };
    pipehook::validate_webhook_definition(
        &json!({"name": "fuzz", "targetPipeline": "p", "targetAction": "Source", "filters": filters,
                "authentication": authentication, "authenticationConfiguration": configuration}),
        None,
    )
    .ok()
}

pub fn configuration() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("Branch".to_string(), "main".to_string()),
        ("Repo".to_string(), "Hello-World".to_string()),
        ("OAuthToken".to_string(), "ghp_fuzz_never_shown_0123456789".to_string()),
    ])
}

/// What every decision owes its reader, whatever the delivery.
pub fn check_decision(d: &Decision) {
    if d.status == 413 {
        assert_eq!(d.outcome, Outcome::Malformed);
    } else {
        assert_eq!(d.status, d.outcome.status(), "{d:?}");
    }
    assert!(!d.reason.is_empty());
    let text = serde_json::to_string(d).expect("a decision serialises");
    assert!(text.len() <= pipehook::delivery::MAX_DECISION_BYTES, "a {} byte decision", text.len());
    assert!(!text.contains("ghp_fuzz_never_shown"), "a secret configuration value in {text}");
    for t in &d.filters {
        assert!(t.selected.len() <= t.selected_count, "{t:?}");
        assert!(t.selected.len() <= pipehook::filter::MAX_TRACE_VALUES);
        let shown = serde_json::to_string(&t.selected).unwrap();
        assert!(shown.len() <= pipehook::trace::MAX_TRACE_BYTES, "{} bytes of selected values", shown.len());
    }
    match d.outcome {
        Outcome::Accepted => assert!(d.filters.iter().all(|t| t.passed)),
        Outcome::Filtered => assert!(d.filters.iter().any(|t| !t.passed)),
        // A refused delivery reveals nothing about the definition.
        Outcome::Unauthorized | Outcome::Forbidden => {
            assert!(d.filters.is_empty());
            assert!(!text.contains(SECRET) && !text.contains("fuzz-previous-secret"), "{text}");
        }
        Outcome::Malformed => assert!(d.filters.is_empty()),
    }
}
