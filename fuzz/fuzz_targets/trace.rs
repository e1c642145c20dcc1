//! The trace-size bound: any value shown in any room fits it, a rule's shown values fit the
//! trace budget, and a secret member of a shown value never shows.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use pipehook::trace::{shown_text, shown_value, shown_values, MAX_TRACE_BYTES, MAX_TRACE_VALUES};
use serde_json::Value;
use std::borrow::Cow;

fn len(v: &Value) -> usize {
    serde_json::to_string(v).expect("a value serialises").len()
}

fn run(mut u: Unstructured<'_>) -> Result<()> {
    let cap = u.int_in_range(64..=4096)?;
    let copies = u.int_in_range(1..=200)?;
    let rest = u.take_rest();
    let value = serde_json::from_slice::<Value>(rest).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(rest).into_owned()));

    let shown = shown_value(&value, cap);
    assert!(len(&shown) <= cap, "{} bytes in a room of {cap}", len(&shown));
    if len(&value) <= cap && !has_secret(&value) {
        assert_eq!(shown, value, "a value that fits is shown whole");
    }
    if let Value::String(s) = &value {
        if let Some(cut) = shown_text(s, cap) {
            assert!(len(&Value::String(cut.clone())) <= cap);
            assert!(cut.contains(pipehook::trace::CUT));
        }
    }
    let nodes: Vec<Cow<'_, Value>> = std::iter::repeat_n(Cow::Borrowed(&value), copies).collect();
    let all = shown_values(nodes);
    assert!(all.len() <= MAX_TRACE_VALUES.min(copies));
    assert!(len(&Value::Array(all.clone())) <= MAX_TRACE_BYTES);
    // A secret member's value (one that occurs once in the input) never shows.
    if let Some(secret) = secret_of(&value) {
        let text = String::from_utf8_lossy(rest);
        if secret.len() >= 8 && text.matches(&secret).count() == 1 {
            for v in all.iter().chain([&shown]) {
                assert!(!serde_json::to_string(v).unwrap().contains(&secret), "{secret} shown");
            }
        }
    }
    Ok(())
}

/// Whether a SecretToken or OAuthToken member holds anything but null, at any depth.
fn has_secret(v: &Value) -> bool {
    match v {
        Value::Object(map) => {
            map.iter().any(|(k, m)| (matches!(k.as_str(), "SecretToken" | "OAuthToken") && !m.is_null()) || has_secret(m))
        }
        Value::Array(items) => items.iter().any(has_secret),
        _ => false,
    }
}

/// The first string value of a SecretToken or OAuthToken member, at any depth.
fn secret_of(v: &Value) -> Option<String> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                for (k, m) in map {
                    if matches!(k.as_str(), "SecretToken" | "OAuthToken") {
                        if let Some(s) = m.as_str() {
                            return Some(s.to_string());
                        }
                    }
                    stack.push(m);
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let _ = run(Unstructured::new(data));
});
