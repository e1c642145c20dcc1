//! JSONPath compile + evaluate: the first line is a rule's path, the second its matchEquals
//! (empty: none), the rest a document. Compiled through validation (as every definition is),
//! evaluated on the parsed document and through the scan when the path allows; the decision
//! is bounded and both ways agree.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use pipehook::{Delivery, Outcome};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let (path, match_equals, doc) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    let rule = if match_equals.is_empty() {
        json!({"jsonPath": path})
    } else {
        json!({"jsonPath": path, "matchEquals": match_equals})
    };
    let Some(hook) = common::webhook(json!([rule]), "UNAUTHENTICATED") else { return };
    let delivery = Delivery { body: doc.as_bytes(), ..Default::default() };
    let conf = common::configuration();
    let full = pipehook::delivery::evaluate_delivery_with_plan(&hook, None, &delivery, &conf);
    common::check_decision(&full);
    assert!(matches!(full.outcome, Outcome::Accepted | Outcome::Filtered | Outcome::Malformed), "{full:?}");
    let fast = pipehook::evaluate_delivery(&hook, &delivery, &conf);
    assert_eq!(fast, full, "the scan decides like the full document");
});
