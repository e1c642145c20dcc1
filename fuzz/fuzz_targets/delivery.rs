//! `evaluate_delivery` with arbitrary bodies, content types, signature headers, source
//! addresses and filters: every decision is bounded and consistent, authentication decides
//! before anything else, the host's precomputed MACs and the lazy traces change nothing, and
//! `evaluate_authenticated` decides what the delivery came to once it authenticated.
#![no_main]

mod common;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pipehook::auth::{GithubMac, PrecomputedMacs, PreviousSecret};
use pipehook::{Delivery, Outcome, SecretToken, Traces};
use serde_json::json;

const PATHS: &[&str] = &[
    "$.ref", "$.after", "$.repository.full_name", "$.commits[0].id", "$.commits[*].id", "$..name",
    "$.*", "$..*", "$", "$[0]", "$.a.b.c", "$['x y']", "$.pusher", "$.size()",
];
const MATCHES: &[&str] = &["refs/heads/{Branch}", "{Repo}", "main", "1", "true", "null", "{}", "[]", "{OAuthToken}", "{Nope}"];
const CONTENT_TYPES: &[&str] =
    &["application/json", "application/x-www-form-urlencoded", "APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8", "text/plain", ""];
/// The secret a rotation replaced, when the host still honours it.
const PREVIOUS: &str = "fuzz-previous-secret-8Kq";
const IPS: &[&str] = &["10.1.2.3", "192.0.2.1", "::1", "not an ip", "10.0.0.0/8", ""];

fn run(mut u: Unstructured<'_>) -> Result<()> {
    let authentication = *u.choose(&["GITHUB_HMAC", "IP", "UNAUTHENTICATED"])?;
    let mut filters = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let path = *u.choose(PATHS)?;
        filters.push(if u.arbitrary()? { json!({"jsonPath": path, "matchEquals": *u.choose(MATCHES)?}) } else { json!({"jsonPath": path}) });
    }
    let Some(hook) = common::webhook(json!(filters), authentication) else { return Ok(()) };
    let content_type: Option<&str> = if u.arbitrary()? { Some(u.choose(CONTENT_TYPES)?) } else { None };
    let source_ip: Option<String> = match u.int_in_range(0..=2)? {
        0 => None,
        1 => Some(u.choose(IPS)?.to_string()),
        _ => Some(u.arbitrary()?),
    };
    let signature_mode = u.int_in_range(0..=6)?;
    let garbage: String = u.arbitrary()?;
    let u_previous: bool = u.arbitrary()?;
    let body = u.take_rest();

    let mut headers = Vec::new();
    let good = pipehook::auth::github_signature_256(common::SECRET, body);
    let mut wrong = good.clone();
    let last = wrong.pop().unwrap_or('0');
    wrong.push(if last == '0' { '1' } else { '0' });
    match signature_mode {
        0 => {}
        1 => headers.push(("x-hub-signature-256".to_string(), good.clone())),
        2 => headers.push(("X-Hub-Signature-256".to_string(), garbage.clone())),
        3 => headers.push(("x-hub-signature".to_string(), garbage.clone())),
        4 => {
            headers.push(("x-hub-signature-256".to_string(), wrong));
            headers.push(("x-hub-signature".to_string(), garbage.clone()));
        }
        5 => headers.push(("x-hub-signature-256".to_string(), format!("sha256={garbage}"))),
        // Signed with the secret a rotation replaced.
        _ => headers.push(("x-hub-signature-256".to_string(), pipehook::auth::github_signature_256(PREVIOUS, body))),
    }
    if let Some(ct) = content_type {
        headers.push(("content-type".to_string(), ct.to_string()));
    }
    let conf = common::configuration();
    let previous_token = SecretToken(PREVIOUS.to_string());
    let honoured = u_previous.then_some(PreviousSecret { secret: &previous_token, macs: None });
    let delivery = Delivery { headers: &headers, body, source_ip: source_ip.as_deref(), previous_secret: honoured, ..Default::default() };
    let d = pipehook::evaluate_delivery(&hook, &delivery, &conf);
    common::check_decision(&d);

    match (authentication, signature_mode) {
        ("GITHUB_HMAC", 1) => assert_ne!(d.outcome, Outcome::Unauthorized, "{d:?}"),
        // The previous secret opens only while the host still honours it.
        ("GITHUB_HMAC", 6) => assert_eq!(d.outcome == Outcome::Unauthorized, !u_previous, "{d:?}"),
        ("GITHUB_HMAC", 0 | 4) => assert_eq!(d.outcome, Outcome::Unauthorized, "{d:?}"),
        ("UNAUTHENTICATED", _) => assert!(!matches!(d.outcome, Outcome::Unauthorized | Outcome::Forbidden), "{d:?}"),
        _ => {}
    }

    // The same decision with the body's MAC computed by the host, and with lazy traces.
    if let Some(kind) = GithubMac::requested(&headers) {
        let mac = match kind {
            GithubMac::Sha256 => hex_of(&good),
            GithubMac::Sha1 => None,
        };
        if let Some(mac) = mac {
            let macs = PrecomputedMacs::of(kind, mac);
            let with = Delivery { macs: Some(&macs), ..delivery };
            assert_eq!(pipehook::evaluate_delivery(&hook, &with, &conf), d);
        }
    }
    let lazy = pipehook::evaluate_delivery_with_traces(&hook, &delivery, &conf, Traces::WhenFiltered);
    assert_eq!((lazy.outcome, &lazy.reason, &lazy.revision), (d.outcome, &d.reason, &d.revision));
    if d.outcome == Outcome::Accepted {
        assert!(lazy.filters.is_empty());
    } else {
        assert_eq!(lazy.filters, d.filters);
    }

    // Decided again with the authentication taken as passed (a redelivery, an accepted delivery's
    // traces built after answering): what the delivery came to once it authenticated, whatever
    // the headers but the content type.
    let again = pipehook::evaluate_authenticated(&hook, &headers, body, &conf, Traces::All);
    common::check_decision(&again);
    assert!(!matches!(again.outcome, Outcome::Unauthorized | Outcome::Forbidden), "{again:?}");
    assert_eq!(again.matched_secret, None);
    if !matches!(d.outcome, Outcome::Unauthorized | Outcome::Forbidden) {
        let authenticated = pipehook::Decision { matched_secret: None, reason: again.reason.clone(), ..d.clone() };
        assert_eq!(again, authenticated, "{d:?}");
        assert!(d.reason.starts_with(&again.reason), "{d:?}");
    }
    Ok(())
}

fn hex_of(signature: &str) -> Option<Vec<u8>> {
    let hex = signature.strip_prefix("sha256=")?;
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

fuzz_target!(|data: &[u8]| {
    let _ = run(Unstructured::new(data));
});
