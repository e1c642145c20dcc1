use super::*;
use crate::auth::github_signature_256;
use crate::validate::validate_webhook_definition;
use serde_json::json;

const SECRET: &str = "delivery-test-secret";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../shared/fixtures/github-payloads/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn webhook(filters: Value) -> ValidWebhook {
    validate_webhook_definition(
        &json!({
            "name": "w", "targetPipeline": "p", "targetAction": "Source",
            "filters": filters,
            "authentication": "GITHUB_HMAC",
            "authenticationConfiguration": {"SecretToken": SECRET}
        }),
        None,
    )
    .unwrap()
}

fn signed(body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("X-GitHub-Event".into(), "push".into()),
        ("X-Hub-Signature-256".into(), github_signature_256(SECRET, body)),
    ]
}

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn decide(hook: &ValidWebhook, headers: &[(String, String)], body: &[u8], cfg: &BTreeMap<String, String>) -> Decision {
    evaluate_delivery(hook, &Delivery { headers, body, source_ip: None, macs: None, previous_secret: None }, cfg)
}

#[test]
fn delivery_signed_push_on_matching_branch_is_accepted_with_revision() {
    let body = fixture("push.with-new-branch.payload.json");
    let payload: Value = serde_json::from_slice(&body).unwrap();
    let branch = payload["ref"].as_str().unwrap().trim_start_matches("refs/heads/").to_string();
    let hook = webhook(json!([{"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"}]));
    let d = decide(&hook, &signed(&body), &body, &config(&[("Branch", &branch)]));
    assert_eq!((d.outcome, d.status), (Outcome::Accepted, 200), "{}", d.reason);
    assert_eq!(d.revision.as_deref(), payload["after"].as_str());
    assert_eq!(d.filters[0].expected.as_deref(), Some(payload["ref"].as_str().unwrap()));
    assert_eq!(d.filters[0].selected, vec![payload["ref"].clone()]);
    assert!(d.filters[0].passed);
}

#[test]
fn delivery_other_branch_is_filtered_and_says_why() {
    let body = fixture("push.with-new-branch.payload.json");
    let hook = webhook(json!([
        {"jsonPath": "$.repository.name", "matchEquals": "{Repo}"},
        {"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"}
    ]));
    let payload: Value = serde_json::from_slice(&body).unwrap();
    let repo = payload["repository"]["name"].as_str().unwrap();
    let d = decide(&hook, &signed(&body), &body, &config(&[("Branch", "release-42"), ("Repo", repo)]));
    assert_eq!((d.outcome, d.status), (Outcome::Filtered, 200));
    assert_eq!(d.filters.len(), 2, "every rule is traced");
    assert!(d.filters[0].passed && !d.filters[1].passed);
    assert!(d.reason.contains("filter rule 2 ($.ref)"), "{}", d.reason);
    assert!(d.reason.contains("refs/heads/release-42"), "{}", d.reason);
    assert!(d.reason.contains(payload["ref"].as_str().unwrap()), "{}", d.reason);
    assert_eq!(d.revision, None);
}

#[test]
fn delivery_trace_and_reason_show_a_payloads_secret_token_redacted() {
    // A payload member named SecretToken, selected into the trace, never comes back out.
    let body = br#"{"hook": {"config": {"SecretToken": "payload-s3cret", "url": "https://e.example"}}}"#;
    for path in ["$.hook.config", "$.hook", "$..config"] {
        let hook = webhook(json!([{"jsonPath": path, "matchEquals": "never"}]));
        let d = decide(&hook, &signed(body), body, &BTreeMap::new());
        assert_eq!(d.outcome, Outcome::Filtered, "{path}: {}", d.reason);
        let shown = serde_json::to_string(&d).unwrap();
        assert!(!shown.contains("payload-s3cret"), "{path}: {shown}");
        assert!(shown.contains(r#"\"SecretToken\":\"****\""#), "{path}: the reason renders the redacted value: {shown}");
        assert!(shown.contains(r#""url":"https://e.example""#), "{path}: the rest is shown: {shown}");
    }
}

#[test]
fn delivery_rule_selecting_nothing_fails_with_reason() {
    let body = fixture("ping.payload.json");
    let hook = webhook(json!([{"jsonPath": "$.ref", "matchEquals": "refs/heads/main"}]));
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Filtered);
    assert!(d.reason.ends_with("selected nothing"), "{}", d.reason);
}

#[test]
fn delivery_without_filters_is_accepted() {
    let body = fixture("ping.payload.json");
    let d = decide(&webhook(json!([])), &signed(&body), &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Accepted);
    assert!(d.filters.is_empty());
    assert!(d.reason.contains("no filter rules"));
}

#[test]
fn delivery_bad_signature_is_unauthorized_before_parsing() {
    let hook = webhook(json!([{"jsonPath": "$.ref"}]));
    let body = b"not json at all";
    let headers = vec![("X-Hub-Signature-256".to_string(), github_signature_256("wrong", body))];
    let d = decide(&hook, &headers, body, &BTreeMap::new());
    assert_eq!((d.outcome, d.status), (Outcome::Unauthorized, 401));
    assert!(d.filters.is_empty());
    assert!(!d.reason.contains(SECRET));
}

#[test]
fn delivery_ip_outside_range_is_forbidden() {
    let hook = validate_webhook_definition(
        &json!({"name": "w", "targetPipeline": "p", "targetAction": "S", "filters": [],
                "authentication": "IP", "authenticationConfiguration": {"AllowedIPRange": "192.30.252.0/22"}}),
        None,
    )
    .unwrap();
    let body = b"{}";
    let inside = evaluate_delivery(&hook, &Delivery { headers: &[], body, source_ip: Some("192.30.253.1"), macs: None, previous_secret: None }, &BTreeMap::new());
    assert_eq!(inside.outcome, Outcome::Accepted);
    let outside = evaluate_delivery(&hook, &Delivery { headers: &[], body, source_ip: Some("8.8.8.8"), macs: None, previous_secret: None }, &BTreeMap::new());
    assert_eq!((outside.outcome, outside.status), (Outcome::Forbidden, 403));
}

#[test]
fn delivery_body_not_json_is_malformed() {
    let hook = webhook(json!([]));
    for body in [&b"{\"ref\": "[..], b"", b"\xff\xfe", b"payload=%7B%7D"] {
        let d = decide(&hook, &signed(body), body, &BTreeMap::new());
        assert_eq!((d.outcome, d.status), (Outcome::Malformed, 400), "{body:?}");
        assert!(d.reason.contains("not JSON"), "{}", d.reason);
    }
}

#[test]
fn delivery_deeply_nested_json_is_malformed_not_a_crash() {
    let hook = webhook(json!([{"jsonPath": "$..x"}]));
    let body = "[".repeat(100_000).into_bytes();
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Malformed);
    assert!(d.reason.contains("recursion limit"), "{}", d.reason);
}

#[test]
fn delivery_form_encoded_payload_field_is_parsed_and_hmac_is_over_raw_body() {
    let json = fixture("push.payload.json");
    let body: Vec<u8> = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", std::str::from_utf8(&json).unwrap())
        .finish()
        .into_bytes();
    let mut headers = signed(&body);
    headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
    let payload: Value = serde_json::from_slice(&json).unwrap();
    let hook = webhook(json!([{"jsonPath": "$.ref", "matchEquals": payload["ref"]}]));
    let d = decide(&hook, &headers, &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Accepted, "{}", d.reason);

    let no_field = b"other=1";
    let mut headers = signed(no_field);
    headers.push(("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()));
    let d = decide(&hook, &headers, no_field, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Malformed);
    assert!(d.reason.contains("'payload'"), "{}", d.reason);
}

#[test]
fn delivery_numbers_and_booleans_compare_by_json_text() {
    let body = fixture("pull_request.opened.payload.json");
    let payload: Value = serde_json::from_slice(&body).unwrap();
    let number = payload["number"].to_string();
    let hook = webhook(json!([
        {"jsonPath": "$.number", "matchEquals": number},
        {"jsonPath": "$.pull_request.merged", "matchEquals": "false"}
    ]));
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Accepted, "{}", d.reason);
    assert_eq!(d.revision.as_deref(), payload["pull_request"]["head"]["sha"].as_str());
}

#[test]
fn delivery_indefinite_path_passes_when_any_element_matches() {
    let body = fixture("push.with-new-branch.payload.json");
    let payload: Value = serde_json::from_slice(&body).unwrap();
    let commits = payload["commits"].as_array().unwrap();
    assert!(!commits.is_empty());
    let last_id = commits.last().unwrap()["id"].as_str().unwrap();
    let hook = webhook(json!([{"jsonPath": "$.commits[*].id", "matchEquals": last_id}]));
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Accepted, "{}", d.reason);
    assert_eq!(d.filters[0].selected.len(), commits.len());
}

#[test]
fn delivery_oversized_body_is_refused_413_before_hashing() {
    let hook = webhook(json!([]));
    let body = vec![b' '; MAX_BODY_BYTES + 1];
    let d = decide(&hook, &[], &body, &BTreeMap::new());
    assert_eq!((d.outcome, d.status), (Outcome::Malformed, 413));
}

#[test]
fn delivery_reason_for_huge_selection_stays_short() {
    let items: Vec<String> = (0..10_000).map(|i| format!("{}{i}", "x".repeat(500))).collect();
    let body = serde_json::to_vec(&json!({"items": items})).unwrap();
    let hook = webhook(json!([{"jsonPath": "$.items[*]", "matchEquals": "nope"}]));
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Filtered);
    assert!(d.reason.len() < 1_000, "{}", d.reason.len());
    assert!(d.reason.contains("and 9997 more"), "{}", d.reason);
    assert_eq!(d.filters[0].selected_count, 10_000);
    assert!(d.filters[0].selected.len() < 10_000, "the trace is cut");
}

#[test]
fn source_revision_per_event_type() {
    let rev = |name: &str| source_revision(&serde_json::from_slice(&fixture(name)).unwrap());
    let push: Value = serde_json::from_slice(&fixture("push.payload.json")).unwrap();
    assert_eq!(rev("push.payload.json").as_deref(), push["after"].as_str());
    let release: Value = serde_json::from_slice(&fixture("release.published.payload.json")).unwrap();
    assert_eq!(rev("release.published.payload.json").as_deref(), release["release"]["tag_name"].as_str());
    let create: Value = serde_json::from_slice(&fixture("create.payload.json")).unwrap();
    assert_eq!(rev("create.payload.json").as_deref(), create["ref"].as_str());
    assert_eq!(rev("ping.payload.json"), None);
}

#[test]
fn decision_serialises_as_the_js_api_shape() {
    let body = fixture("ping.payload.json");
    let d = decide(&webhook(json!([{"jsonPath": "$.zen"}])), &signed(&body), &body, &BTreeMap::new());
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["outcome"], "accepted");
    assert_eq!(v["status"], 200);
    assert_eq!(v["filters"][0]["jsonPath"], "$.zen");
    assert!(v["filters"][0].get("expected").is_none());
    assert_eq!(v["filters"][0]["passed"], true);
}

// --- a rotation's previous secret ---

#[test]
fn delivery_signed_with_the_previous_secret_is_decided_and_says_so() {
    let body = fixture("push.with-new-branch.payload.json");
    let hook = webhook(json!([{"jsonPath": "$.ref", "matchEquals": "refs/heads/never"}]));
    let old = crate::SecretToken("before-rotation".into());
    let headers = vec![("X-Hub-Signature-256".to_string(), github_signature_256("before-rotation", &body))];
    let previous = crate::PreviousSecret { secret: &old, macs: None };
    let delivery = Delivery { headers: &headers, body: &body, source_ip: None, macs: None, previous_secret: Some(previous) };
    let d = evaluate_delivery(&hook, &delivery, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Filtered, "{}", d.reason);
    assert_eq!(d.matched_secret, Some(crate::MatchedSecret::Previous));
    assert!(d.reason.contains("previous SecretToken"), "{}", d.reason);
    let text = serde_json::to_string(&d).unwrap();
    assert!(text.contains(r#""matchedSecret":"previous""#), "{text}");
    assert!(!text.contains("before-rotation"), "{text}");
    // Without it (the host's grace period is over): refused.
    let d = evaluate_delivery(&hook, &Delivery { previous_secret: None, ..delivery }, &BTreeMap::new());
    assert_eq!((d.outcome, d.matched_secret), (Outcome::Unauthorized, None));
}

#[test]
fn delivery_signed_with_the_current_secret_reports_it_and_an_unsigned_webhook_reports_none() {
    let body = fixture("push.with-new-branch.payload.json");
    let hook = webhook(json!([]));
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!((d.outcome, d.matched_secret), (Outcome::Accepted, Some(crate::MatchedSecret::Current)));
    assert!(!d.reason.contains("previous"), "{}", d.reason);
    let open = validate_webhook_definition(
        &json!({"name": "w", "targetPipeline": "p", "targetAction": "Source", "filters": [],
                "authentication": "UNAUTHENTICATED", "authenticationConfiguration": {}}),
        None,
    )
    .unwrap();
    let d = decide(&open, &[], &body, &BTreeMap::new());
    assert_eq!((d.outcome, d.matched_secret), (Outcome::Accepted, None));
    assert!(!serde_json::to_string(&d).unwrap().contains("matchedSecret"));
}

/// The issue's body: `depth` objects nested around one string of `len` bytes, about `len` in all.
fn nested_around_string(depth: usize, len: usize) -> Vec<u8> {
    let mut body = "{\"a\":".repeat(depth).into_bytes();
    body.push(b'"');
    body.extend(std::iter::repeat_n(b'x', len));
    body.push(b'"');
    body.extend(std::iter::repeat_n(b'}', depth));
    body
}

#[test]
fn delivery_descendants_of_a_1_mb_nested_body_answer_a_bounded_decision() {
    let body = nested_around_string(100, 1 << 20);
    // A failing rule, so that the trace is built and answered.
    let hook = webhook(json!([{"jsonPath": "$..*", "matchEquals": "nope"}]));
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Filtered, "{}", d.reason);
    let answer = serde_json::to_string(&d).unwrap();
    assert!(answer.len() <= MAX_DECISION_BYTES, "a {} byte decision for a {} byte body", answer.len(), body.len());
    let trace = &d.filters[0];
    assert_eq!(trace.selected_count, 100, "the count stays exact");
    let shown = serde_json::to_string(&trace.selected).unwrap();
    assert!(shown.len() <= crate::trace::MAX_TRACE_BYTES, "{}", shown.len());
    assert!(shown.contains(crate::trace::CUT), "a cut value says so: {}", &shown[..200]);
    assert!(trace.selected.iter().all(|v| serde_json::to_string(v).unwrap().len() <= crate::trace::MAX_VALUE_BYTES));
}

#[test]
fn delivery_accepted_without_traces_builds_none_and_cuts_the_revision() {
    // A 2 MB `ref`: the revision the answer repeats is cut like a selected value.
    let mut body = br#"{"ref":""#.to_vec();
    body.extend(std::iter::repeat_n(b'r', 2 << 20));
    body.extend_from_slice(br#"","pad":1}"#);
    let hook = webhook(json!([{"jsonPath": "$..*"}]));
    let delivery = Delivery { headers: &signed(&body), body: &body, source_ip: None, macs: None, previous_secret: None };
    let d = evaluate_delivery_with_traces(&hook, &delivery, &BTreeMap::new(), Traces::WhenFiltered);
    assert_eq!(d.outcome, Outcome::Accepted, "{}", d.reason);
    assert!(d.filters.is_empty(), "nobody reads an accepted delivery's traces");
    let revision = d.revision.as_deref().unwrap();
    assert!(revision.len() <= crate::trace::MAX_VALUE_BYTES && revision.starts_with("rrrr"), "{}", revision.len());
    assert!(revision.ends_with(&format!("{}{} bytes]", crate::trace::CUT, 2 << 20)), "{}", &revision[revision.len() - 40..]);
    // Everything else is as with every trace built.
    let full = evaluate_delivery(&hook, &delivery, &BTreeMap::new());
    assert_eq!((full.outcome, &full.reason, &full.revision), (d.outcome, &d.reason, &d.revision));
    assert_eq!(full.filters[0].selected_count, 2);
}

#[test]
fn delivery_secret_configuration_is_no_placeholder() {
    let body = br#"{"ref":"ghp_secret"}"#;
    let hook = webhook(json!([{"jsonPath": "$.ref", "matchEquals": "{OAuthToken}"}]));
    let d = decide(&hook, &signed(body), body, &config(&[("OAuthToken", "ghp_secret"), ("Branch", "main")]));
    assert_eq!(d.outcome, Outcome::Filtered, "{}", d.reason);
    assert_eq!(d.filters[0].expected.as_deref(), Some("{OAuthToken}"));
    assert!(!serde_json::to_string(&d.filters[0].expected).unwrap().contains("ghp_"));
}

#[test]
fn delivery_whole_document_over_the_value_bound_is_refused_413_unbuilt() {
    let hook = webhook(json!([{"jsonPath": "$[*]", "matchEquals": "7"}]));
    let body = format!("[{}]", vec!["7"; MAX_DOCUMENT_VALUES].join(",")).into_bytes();
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!((d.outcome, d.status), (Outcome::Malformed, 413), "{}", d.reason);
    assert!(d.reason.contains("indefinite path"), "{}", d.reason);
    // Just under it, the document is built and decided; commas inside strings do not count.
    let body = format!(r#"["{}",{}]"#, ",".repeat(100), vec!["7"; MAX_DOCUMENT_VALUES - 2].join(",")).into_bytes();
    let d = decide(&hook, &signed(&body), &body, &BTreeMap::new());
    assert_eq!(d.outcome, Outcome::Accepted, "{}", d.reason);
    // A definite path needs no document: the scan decides the same body.
    let definite = webhook(json!([{"jsonPath": "$[1]", "matchEquals": "7"}]));
    let body = format!("[{}]", vec!["7"; 2 * MAX_DOCUMENT_VALUES].join(",")).into_bytes();
    assert_eq!(decide(&definite, &signed(&body), &body, &BTreeMap::new()).outcome, Outcome::Accepted);
}

#[test]
fn authenticated_decision_is_the_delivery_decision_without_its_authentication() {
    let hook = webhook(json!([{"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"}]));
    let body = fixture("push.with-new-branch.payload.json");
    let cfg = config(&[("Branch", "master")]);
    let signed_headers = signed(&body);
    let full = decide(&hook, &signed_headers, &body, &cfg);
    // No signature at all: the delivery is refused, the authenticated decision is the same as a signed one's.
    let unsigned: Vec<(String, String)> = Vec::new();
    assert_eq!(decide(&hook, &unsigned, &body, &cfg).outcome, Outcome::Unauthorized);
    let again = evaluate_authenticated(&hook, &unsigned, &body, &cfg, Traces::All);
    assert_eq!(again, Decision { matched_secret: None, ..full.clone() });
    assert_eq!(again.filters.len(), 1);
    // Accepted traces are built only when asked for.
    assert!(evaluate_authenticated(&hook, &unsigned, &body, &cfg, Traces::WhenFiltered).filters.is_empty());
    // The content type still decides how the body is read.
    let form = format!("payload={}", form_urlencoded::byte_serialize(&body).collect::<String>());
    let form_headers = vec![("Content-Type".to_string(), "application/x-www-form-urlencoded".to_string())];
    assert_eq!(evaluate_authenticated(&hook, &form_headers, form.as_bytes(), &cfg, Traces::All).outcome, Outcome::Accepted);
    assert_eq!(evaluate_authenticated(&hook, &unsigned, form.as_bytes(), &cfg, Traces::All).outcome, Outcome::Malformed);
    // The body limit holds here too.
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(evaluate_authenticated(&hook, &unsigned, &huge, &cfg, Traces::All).status, 413);
}
