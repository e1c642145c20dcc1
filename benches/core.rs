//! Native benchmarks of the core: validation, compilation (validation + JSONPath parsing +
//! scan plan) and evaluation of a delivery, single-pass scan against the whole-document parse,
//! and the parsing alternatives (serde_json DOM, serde's IgnoredAny, the scan) on their own.
//!
//! `cargo bench --bench core` (bench/run.sh runs it with short measurement times).

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pipehook::delivery::evaluate_delivery_with_plan;
use pipehook::scan::ScanPlan;
use pipehook::{validate_webhook_definition, Delivery};
use serde_json::{json, Value};

const SECRET: &str = "It's a Secret to Everybody";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../shared/fixtures/github-payloads/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A push with many commits, at least `size` bytes (as bench/lib.mjs makes them).
fn big_push(size: usize) -> Vec<u8> {
    let mut doc: Value = serde_json::from_slice(&fixture("push.with-new-branch.payload.json")).unwrap();
    let template = doc["commits"][0].clone();
    let mut commits = Vec::new();
    let mut total = 9000;
    let mut i = 0;
    while total < size {
        let mut c = template.clone();
        c["id"] = json!(format!("{i:040x}"));
        c["message"] = json!(format!("Commit {i}: update the build \u{2014} \"quoted\" text and a path src/m{}.rs", i % 97));
        c["added"] = json!([format!("src/file{i}.rs")]);
        total += serde_json::to_vec(&c).unwrap().len() + 1;
        commits.push(c);
        i += 1;
    }
    doc["commits"] = Value::Array(commits);
    serde_json::to_vec(&doc).unwrap()
}

fn definition() -> Value {
    json!({
        "name": "bench-hook", "targetPipeline": "bench-pipeline", "targetAction": "Source",
        "filters": [
            {"jsonPath": "$.ref", "matchEquals": "refs/heads/{Branch}"},
            {"jsonPath": "$.repository.full_name", "matchEquals": "Codertocat/Hello-World"},
            {"jsonPath": "$.sender.login", "matchEquals": "Codertocat"}
        ],
        "authentication": "GITHUB_HMAC",
        "authenticationConfiguration": {"SecretToken": SECRET}
    })
}

fn validation(c: &mut Criterion) {
    let def = definition();
    let text = serde_json::to_string(&json!({"webhook": def, "tags": [{"key": "team", "value": "build"}]})).unwrap();
    let bad = r#"{"webhook": {"name": "a b", "filters": [{"jsonPath": "$["}], "authentication": "IP",
        "authenticationConfiguration": {"AllowedIPRange": "10.0.0.0"}}, "tags": [{"key": "aws:x", "value": "v"}]}"#;
    let mut g = c.benchmark_group("validation");
    g.bench_function("valid PutWebhook text", |b| b.iter(|| pipehook::validate_text(black_box(&text), None).is_ok()));
    g.bench_function("invalid PutWebhook text (every problem)", |b| {
        b.iter(|| pipehook::validate_text(black_box(bad), None).is_err())
    });
    g.finish();

    let mut g = c.benchmark_group("compilation");
    g.bench_function("definition -> ValidWebhook (3 JSONPaths)", |b| {
        b.iter(|| validate_webhook_definition(black_box(&def), None).unwrap())
    });
    let hook = validate_webhook_definition(&def, None).unwrap();
    g.bench_function("ValidWebhook -> ScanPlan", |b| b.iter(|| ScanPlan::for_filters(black_box(hook.filters())).unwrap()));
    for path in ["$.ref", "$.commits[*].modified[?@ == 'README.md']", "$..[?match(@.name, '[A-Z].*')]"] {
        g.bench_with_input(BenchmarkId::new("compile_path", path), path, |b, p| {
            b.iter(|| pipehook::filter::compile_path(black_box(p)).unwrap())
        });
    }
    g.finish();
}

fn evaluation(c: &mut Criterion) {
    let hook = validate_webhook_definition(&definition(), None).unwrap();
    let plan = hook.plan().unwrap().clone();
    let mut bare = definition();
    bare["filters"] = json!([]);
    let revision_plan = validate_webhook_definition(&bare, None).unwrap().plan().unwrap().clone();
    let config = BTreeMap::from([("Branch".to_string(), "master".to_string())]);
    let bodies = [
        ("9KB", fixture("push.with-new-branch.payload.json")),
        ("1MB", big_push(1 << 20)),
    ];
    let mut g = c.benchmark_group("evaluation");
    for (name, body) in &bodies {
        let headers = vec![("X-Hub-Signature-256".to_string(), pipehook::auth::github_signature_256(SECRET, body))];
        let delivery = Delivery { headers: &headers, body, source_ip: None, macs: None, previous_secret: None };
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_with_input(BenchmarkId::new("delivery, scan (Rust HMAC)", name), &delivery, |b, d| {
            b.iter(|| evaluate_delivery_with_plan(&hook, Some(&plan), black_box(d), &config))
        });
        g.bench_with_input(BenchmarkId::new("delivery, whole document (Rust HMAC)", name), &delivery, |b, d| {
            b.iter(|| evaluate_delivery_with_plan(&hook, None, black_box(d), &config))
        });
        g.bench_with_input(BenchmarkId::new("parse: ScanPlan::scan", name), body, |b, body| {
            b.iter(|| plan.scan(black_box(body)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("parse: ScanPlan::scan, revision paths only", name), body, |b, body| {
            b.iter(|| revision_plan.scan(black_box(body)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("parse: serde IgnoredAny (validation only)", name), body, |b, body| {
            b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(body)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("parse: serde_json Value", name), body, |b, body| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(body)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("HMAC-SHA256 (Rust)", name), body, |b, body| {
            b.iter(|| pipehook::auth::github_signature_256(SECRET, black_box(body)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = validation, evaluation
}
criterion_main!(benches);
