//! The scan must select what the full document selects, and refuse exactly what serde_json
//! refuses: on every GitHub fixture, on the Jayway corpus, and on malformed bodies.

use super::*;
use crate::filter::compile_path;
use crate::{evaluate_delivery, validate::validate_webhook_definition, Delivery};
use crate::delivery::evaluate_delivery_with_plan;
use std::collections::BTreeMap;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = format!("{}/../shared/fixtures/github-payloads", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() > 30, "the GitHub fixtures are missing");
    out
}

/// Every definite path of `doc` up to `depth` steps (names, and indexes 0, 1 and one past the end),
/// written as JSONPath, plus a few that select nothing.
fn definite_paths(doc: &Value, depth: usize) -> Vec<String> {
    let mut out = vec!["$.nope".to_string(), "$.ref.nope".to_string(), "$[0]".to_string(), "$.commits[5].id".to_string()];
    let mut stack = vec![("$".to_string(), doc, 0usize)];
    while let Some((path, v, d)) = stack.pop() {
        if d >= depth {
            continue;
        }
        match v {
            Value::Object(o) => {
                for (k, child) in o {
                    let p = if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.starts_with(|c: char| c.is_ascii_digit()) {
                        format!("{path}.{k}")
                    } else {
                        format!("{path}[{}]", serde_json::to_string(k).unwrap().replace('\'', "\\'"))
                    };
                    out.push(p.clone());
                    stack.push((p, child, d + 1));
                }
            }
            Value::Array(a) => {
                for i in [0, 1, a.len()] {
                    let p = format!("{path}[{i}]");
                    out.push(p.clone());
                    if let Some(child) = a.get(i) {
                        stack.push((p, child, d + 1));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn plan_of(paths: &[&str]) -> ScanPlan {
    let mut plan = ScanPlan::new();
    for p in paths {
        let c = compile_path(p).unwrap_or_else(|e| panic!("{p}: {}", e.reason));
        assert!(plan.add(&c.definite_steps().unwrap()), "{p}");
    }
    plan
}

#[test]
fn scan_selects_like_the_full_document_on_every_fixture_path() {
    for (name, bytes) in fixtures() {
        let full: Value = serde_json::from_slice(&bytes).unwrap();
        let paths = definite_paths(&full, 4);
        // One plan per path, and one plan with every path at once (shared prefixes).
        let all: Vec<&str> = paths.iter().map(String::as_str).collect();
        let together = plan_of(&all).scan(&bytes).unwrap();
        for p in &paths {
            let compiled = compile_path(p).unwrap();
            let expected = compiled.select(&full);
            let alone = plan_of(&[p]).scan(&bytes).unwrap();
            assert_eq!(compiled.select(&alone), expected, "{name}: {p} (alone)");
            assert_eq!(compiled.select(&together), expected, "{name}: {p} (with every other path)");
        }
    }
}

#[test]
fn scan_selects_like_the_full_document_on_the_jayway_corpus() {
    let path = format!("{}/tests/jayway/corpus.json", env!("CARGO_MANIFEST_DIR"));
    let corpus: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut checked = 0;
    for group in corpus["groups"].as_array().unwrap() {
        let docs: Vec<&Value> = group["docs"].as_array().unwrap().iter().filter_map(|d| corpus["docs"].get(d.as_str()?)).collect();
        for selector in group["paths"].as_array().unwrap().iter().filter_map(Value::as_str) {
            let Ok(compiled) = compile_path(selector) else { continue };
            let Some(steps) = compiled.definite_steps() else { continue };
            let mut plan = ScanPlan::new();
            if !plan.add(&steps) {
                continue; // `$` itself, negative indexes: decided on the full document
            }
            for doc in &docs {
                for text in [serde_json::to_string(doc).unwrap(), serde_json::to_string_pretty(doc).unwrap()] {
                    let pruned = plan.scan(text.as_bytes()).unwrap();
                    assert_eq!(compiled.select(&pruned), compiled.select(doc), "{selector}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} definite corpus cases");
}

fn refuses_like_serde(plan: &ScanPlan, bytes: &[u8]) {
    let serde_ok = serde_json::from_slice::<Value>(bytes).is_ok();
    let scan_ok = plan.scan(bytes).is_ok();
    assert_eq!(scan_ok, serde_ok, "scan {scan_ok}, serde_json {serde_ok}: {:?}", String::from_utf8_lossy(bytes));
}

#[test]
fn scan_refuses_exactly_what_serde_json_refuses() {
    let plan = plan_of(&["$.a", "$.b[1].c", "$.ref"]);
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let deep_obj = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    let cases: Vec<Vec<u8>> = [
        "", " ", "null", "1", "-", "-0", "01", "1.", "1.5", ".5", "1e", "1e+", "1e5", "1E-5", "-1.5e+300",
        "1e309", "-1e400", "0e99999999999999999999", "1e-99999", "123456789012345678901234567890",
        "true", "tru", "nul", "falsey", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":1}}",
        "[1] [2]", "{\"a\":1} x", "\"\\u0041\"", "\"\\uD83D\\uDE00\"", "\"\\uD83D\"", "\"\\uDE00\"",
        "\"\\uD83Dx\"", "\"\\uD83D\\n\"", "\"\\uD83D\\u0041\"", "\"\\x\"", "\"\\u12G4\"", "\"tab\there\"",
        "\"del\u{7f}\"", "\"é ü 😀\"", "{\"a\":\"\\\"\"}", "{\"\\u0061\":1}", "{\"a\":1,\"a\":2}",
        "\u{feff}{}", "[1,2", "{\"a\"", "\"abc", "{\"b\":[{},{\"c\":[1,2,{\"d\":null}]}]}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .chain([deep(126), deep(127), deep(128), deep_obj(126), deep_obj(127), deep_obj(128)].map(String::into_bytes))
    .chain([
        b"\"\xff\"".to_vec(), b"\"\xc3\"".to_vec(), b"\"\xc3\xa9\"".to_vec(), b"\"\xed\xa0\x80\"".to_vec(),
        b"\"\xf0\x9f\x98\"".to_vec(), b"{\"a\":\"\x01\"}".to_vec(), b"\xc3\xa9".to_vec(), b"[1]\x00".to_vec(),
    ])
    .collect();
    for case in &cases {
        refuses_like_serde(&plan, case);
        // Inside a selected value and inside a skipped one.
        let text = String::from_utf8_lossy(case);
        if std::str::from_utf8(case).is_ok() {
            refuses_like_serde(&plan, format!("{{\"a\":{text}}}").as_bytes());
            refuses_like_serde(&plan, format!("{{\"z\":{text},\"a\":1}}").as_bytes());
            refuses_like_serde(&plan, format!("{{\"b\":[0,{{\"c\":{text}}}]}}").as_bytes());
        }
        let mut wrapped = b"{\"z\":".to_vec();
        wrapped.extend_from_slice(case);
        wrapped.push(b'}');
        refuses_like_serde(&plan, &wrapped);
    }
}

#[test]
fn scan_refuses_like_serde_json_on_every_truncation_and_corruption_of_a_push() {
    let (_, bytes) = fixtures().into_iter().find(|(n, _)| n == "push.with-new-branch.payload.json").unwrap();
    let plan = plan_of(&["$.ref", "$.repository.full_name", "$.commits[0].id", "$.after"]);
    for end in 0..bytes.len() {
        refuses_like_serde(&plan, &bytes[..end]);
    }
    // Deterministic corruption: one byte replaced by a JSON-significant one.
    let mut next = crate::test_support::xorshift(0x9e37_79b9_7f4a_7c15);
    let specials = b"\"\\{}[],:0-e.\x00\x1f\x80\xff tn";
    for _ in 0..3000 {
        let seed = next();
        let mut b = bytes.clone();
        let at = (seed % b.len() as u64) as usize;
        b[at] = specials[(seed >> 32) as usize % specials.len()];
        refuses_like_serde(&plan, &b);
    }
}

#[test]
fn whitespace_runs_and_string_lengths_of_every_size_scan_like_serde_json() {
    // Indentation after a newline is skipped eight bytes at a time: runs of every length around
    // that width, ended by anything, at the end of the input too, selected and skipped.
    let plan = plan_of(&["$.a", "$.b.c"]);
    let fillers = [" ", "\t", "\r", "\n", "x"];
    for n in 0..40 {
        for (i, fill) in fillers.iter().enumerate() {
            let run = format!("\n{}{}", " ".repeat(n), fill.repeat(i % 2 + 1));
            for text in [
                format!("{{{run}\"a\"{run}:{run}1{run},{run}\"z\":[{run}2{run}]{run}}}"),
                format!("{{\"b\":{{{run}\"c\":{run}\"v\"{run}}}}}{run}"),
                format!("[{run}1"),
            ] {
                refuses_like_serde(&plan, text.as_bytes());
            }
        }
    }
    // A string of n plain bytes, then each special byte, closed or not. Special bytes are found
    // through 64-byte windows: n runs past the end of the first window and of the second.
    for n in 0..140 {
        for special in ["\"", "\\n", "\\", "\u{1}", "é", "\u{7f}", ""] {
            let body = format!("{}{special}", "a".repeat(n));
            for text in [format!("{{\"a\":\"{body}\"}}"), format!("{{\"z\":\"{body}\",\"a\":1}}"), format!("\"{body}")] {
                refuses_like_serde(&plan, text.as_bytes());
                if let Ok(doc) = serde_json::from_str::<Value>(&text) {
                    let pruned = plan.scan(text.as_bytes()).unwrap();
                    assert_eq!(pruned.get("a"), doc.get("a"), "{text:?}");
                }
            }
        }
    }
}

#[test]
fn strings_with_special_bytes_across_many_windows_scan_like_serde_json() {
    // Escapes and non-ASCII every few bytes of strings longer than a window, starting at every
    // offset from a window's start, selected and skipped; then each string cut short.
    let plan = plan_of(&["$.a"]);
    for lead in 0..64 {
        for unit in ["abcdé\\n", "\\u00e9xyz", "\\\"0123456789", "€€€ab"] {
            let body = unit.repeat(200 / unit.len());
            for text in [
                format!("{{\"{}\":1,\"a\":\"{body}\"}}", "k".repeat(lead)),
                format!("{{\"{}\":\"{body}\",\"a\":[\"{body}\"]}}", "k".repeat(lead)),
            ] {
                refuses_like_serde(&plan, text.as_bytes());
                let doc: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(plan.scan(text.as_bytes()).unwrap().get("a"), doc.get("a"), "{text:?}");
                refuses_like_serde(&plan, &text.as_bytes()[..text.len() - 3]);
            }
        }
    }
}

/// The bytes a string's scan stops at (`"`, `\\`, control, non-ASCII), and every other byte.
fn special_and_plain_bytes() -> (Vec<u8>, Vec<u8>) {
    let specials: Vec<u8> = (0u8..0x20).chain([b'"', b'\\']).chain(0x80..=0xff).collect();
    let plain: Vec<u8> = (0x20u8..0x80).filter(|b| *b != b'"' && *b != b'\\').collect();
    (specials, plain)
}

#[test]
fn every_special_byte_is_flagged_in_its_window() {
    let (specials, plain) = special_and_plain_bytes();
    let mut next = crate::test_support::xorshift(0x51_7cc1_b727_220a);
    for _ in 0..5000 {
        let mut w = [0u8; 64];
        for b in w.iter_mut() {
            let r = next() as usize;
            // About one byte in six special, so windows hold several.
            *b = if r.is_multiple_of(6) { specials[(r >> 8) % specials.len()] } else { plain[(r >> 8) % plain.len()] };
        }
        let mask = specials::mask64(&w);
        for (i, b) in w.iter().enumerate() {
            if specials.contains(b) {
                assert!(mask & 1 << i != 0, "byte {i} ({b:#x}) of {w:?} not flagged");
            }
        }
        // And before the first special byte, no plain byte is flagged.
        let first = w.iter().position(|b| specials.contains(b)).unwrap_or(64);
        assert_eq!(mask.trailing_zeros() as usize, first, "{w:?}");
    }
}

#[test]
fn the_last_window_flags_exactly_the_special_bytes_and_everything_past_the_end() {
    let (specials, plain) = special_and_plain_bytes();
    let mut next = crate::test_support::xorshift(0x7a11_5eed_0bad_cafe);
    for len in 0..64 {
        for _ in 0..50 {
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next() as usize;
                    if r.is_multiple_of(4) { specials[(r >> 8) % specials.len()] } else { plain[(r >> 8) % plain.len()] }
                })
                .collect();
            for at in 0..=len {
                let mask = specials::tail(&body, at);
                for i in 0..64 {
                    let special = body.get(at + i).is_none_or(|b| specials.contains(b));
                    assert_eq!(mask >> i & 1 == 1, special, "byte {i} of {:?} from {at}", &body[at..]);
                }
            }
        }
    }
}

#[test]
fn scan_keeps_the_last_of_repeated_keys_like_serde_json() {
    let plan = plan_of(&["$.a.b", "$.c"]);
    for text in [r#"{"a":{"b":1},"a":{"x":2}}"#, r#"{"a":{"x":2},"a":{"b":1}}"#, r#"{"a":{"b":1},"a":5,"c":1,"c":[2]}"#] {
        let full: Value = serde_json::from_str(text).unwrap();
        let pruned = plan.scan(text.as_bytes()).unwrap();
        for p in ["$.a.b", "$.c"] {
            let c = compile_path(p).unwrap();
            assert_eq!(c.select(&pruned), c.select(&full), "{text}: {p}");
        }
    }
}

#[test]
fn scan_plan_refuses_paths_it_cannot_serve() {
    let mut plan = ScanPlan::new();
    assert!(!plan.add(&[]));
    assert!(!plan.add(&[Step::Name("commits"), Step::Index(-1)]));
    assert!(plan.add(&[Step::Name("commits"), Step::Index(2)]));
}

// ---------------------------------------------------------------------------------------------
// Whole decisions: the fast path against the reference (full document) evaluation.

const SECRET: &str = "scan-test-secret";

fn hook(filters: Value) -> crate::ValidWebhook {
    validate_webhook_definition(
        &serde_json::json!({
            "name": "w", "targetPipeline": "p", "targetAction": "Source", "filters": filters,
            "authentication": "GITHUB_HMAC", "authenticationConfiguration": {"SecretToken": SECRET}
        }),
        None,
    )
    .unwrap()
}

fn both(hook: &crate::ValidWebhook, headers: &[(String, String)], body: &[u8]) -> (crate::Decision, crate::Decision) {
    let cfg = BTreeMap::from([("Branch".to_string(), "master".to_string())]);
    let d = Delivery { headers, body, source_ip: None, macs: None, previous_secret: None };
    (evaluate_delivery(hook, &d, &cfg), evaluate_delivery_with_plan(hook, None, &d, &cfg))
}

#[test]
fn delivery_fast_path_decides_like_the_full_document_on_every_fixture() {
    let definitions = [
        serde_json::json!([]),
        serde_json::json!([{"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"}]),
        serde_json::json!([
            {"jsonPath": "$.repository.full_name", "matchEquals": "Codertocat/Hello-World"},
            {"jsonPath": "$.sender.login", "matchEquals": "Codertocat"},
            {"jsonPath": "$.action"}
        ]),
        serde_json::json!([{"jsonPath": "$.repository.owner", "matchEquals": "{}"}, {"jsonPath": "$.commits[0].added"}]),
        serde_json::json!([{"jsonPath": "$.pull_request.number", "matchEquals": "2"}, {"jsonPath": "$['repository']['private']", "matchEquals": "false"}]),
        serde_json::json!([{"jsonPath": "$.repository.id", "matchEquals": "186853002"}, {"jsonPath": "$.nothing"}]),
        // Indefinite: decided on the full document either way.
        serde_json::json!([{"jsonPath": "$.commits[*].id"}]),
        serde_json::json!([{"jsonPath": "$.commits[-1].id"}]),
    ];
    for (name, body) in fixtures() {
        let form = format!("payload={}", form_urlencoded::byte_serialize(&body).collect::<String>()).into_bytes();
        for filters in &definitions {
            let h = hook(filters.clone());
            for (body, form_type) in [(&body, false), (&form, true)] {
                let mut headers = vec![("X-Hub-Signature-256".to_string(), crate::auth::github_signature_256(SECRET, body))];
                if form_type {
                    headers.push(("Content-Type".into(), "application/x-www-form-urlencoded".into()));
                }
                let (fast, full) = both(&h, &headers, body);
                assert_eq!(fast, full, "{name} {filters}");
            }
        }
    }
}

#[test]
fn delivery_fast_path_refuses_malformed_bodies_with_serde_json_s_reason() {
    let h = hook(serde_json::json!([{"jsonPath": "$.ref"}]));
    for body in [&b"{\"ref\":\"x\"} trailing"[..], b"{\"ref\":", b"\"\\uD800\"", b"[1e400]"] {
        let headers = vec![("X-Hub-Signature-256".to_string(), crate::auth::github_signature_256(SECRET, body))];
        let (fast, full) = both(&h, &headers, body);
        assert_eq!(fast.outcome, crate::Outcome::Malformed);
        assert_eq!(fast, full);
    }
}

#[test]
fn special_in_word_finds_exactly_the_first_special_byte() {
    let (specials, plain) = special_and_plain_bytes();
    let mut next = crate::test_support::xorshift(0x2545_f491_4f6c_dd1d);
    for at in 0..8 {
        for &s in &specials {
            for _ in 0..20 {
                let mut w = [0u8; 8];
                for (i, b) in w.iter_mut().enumerate() {
                    let r = next() as usize;
                    *b = if i < at { plain[r % plain.len()] } else if i == at { s } else { (r >> 8) as u8 };
                }
                let mask = specials::special_in_word(u64::from_le_bytes(w));
                assert_eq!(mask.trailing_zeros() / 8, at as u32, "{w:?}");
            }
        }
    }
    let w: Vec<u8> = (0..8).map(|i| plain[i * 7 % plain.len()]).collect();
    assert_eq!(specials::special_in_word(u64::from_le_bytes(w.try_into().unwrap())), 0);
}
