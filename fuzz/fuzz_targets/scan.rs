//! The single-pass scan against the full parse: on any body, the scan accepts exactly what
//! serde_json accepts, and a delivery decided through the scan is the same decision as on the
//! whole parsed document (JSON bodies and GitHub's form-encoded ones alike).
#![no_main]

mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pipehook::{Delivery, ValidWebhook};
use serde_json::{json, Value};

fn hooks() -> &'static Vec<ValidWebhook> {
    static HOOKS: OnceLock<Vec<ValidWebhook>> = OnceLock::new();
    HOOKS.get_or_init(|| {
        [
            json!([{"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"}]),
            json!([{"jsonPath": "$.repository.full_name"}, {"jsonPath": "$.sender.login", "matchEquals": "Codertocat"}]),
            json!([{"jsonPath": "$.commits[0].added"}, {"jsonPath": "$['a']['b'][1]", "matchEquals": "{}"}]),
            json!([{"jsonPath": "$[0]"}, {"jsonPath": "$.x", "matchEquals": "1.0"}]),
        ]
        .into_iter()
        .map(|filters| common::webhook(filters, "UNAUTHENTICATED").expect("the fuzz webhooks are valid"))
        .collect()
    })
}

fuzz_target!(|body: &[u8]| {
    let parses = serde_json::from_slice::<Value>(body).is_ok();
    let conf = common::configuration();
    let form = format!("payload={}", form_urlencoded::byte_serialize(body).collect::<String>()).into_bytes();
    let form_headers = [("content-type".to_string(), "application/x-www-form-urlencoded".to_string())];
    for hook in hooks() {
        let plan = hook.plan().expect("definite paths have a scan plan");
        assert_eq!(plan.scan(body).is_ok(), parses, "the scan and serde_json disagree on {:?}", String::from_utf8_lossy(body));
        for (bytes, headers) in [(body, &[][..]), (&form[..], &form_headers[..])] {
            let delivery = Delivery { headers, body: bytes, ..Default::default() };
            let fast = pipehook::evaluate_delivery(hook, &delivery, &conf);
            let full = pipehook::delivery::evaluate_delivery_with_plan(hook, None, &delivery, &conf);
            assert_eq!(fast, full);
            common::check_decision(&fast);
        }
    }
});
