//! The JSONPath Compliance Test Suite (RFC 9535), one test per case.
//!
//! Every `invalid_selector` case must make `compile_path` fail; every other case must select
//! exactly the CTS `result` (or one of its `results`), in order. Known failures are listed in
//! [`EXPECTED_FAILURES`] with their reasons and run as ignored tests, so the pass count is honest;
//! `cargo test --test cts -- --include-ignored` runs them too.

use libtest_mimic::{Arguments, Failed, Trial};
use pipehook::filter::compile_path;
use serde_json::Value;

const CTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/jsonpath-cts/cts.json");

/// CTS case names that are known to fail, and why.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

fn main() {
    let args = Arguments::from_args();
    let text = std::fs::read_to_string(CTS).unwrap_or_else(|e| panic!("reading {CTS}: {e}"));
    let cts: Value = serde_json::from_str(&text).expect("cts.json is JSON");
    let cases = cts["tests"].as_array().expect("cts.json has tests").clone();

    let mut seen = std::collections::HashMap::<String, usize>::new();
    let trials = cases
        .into_iter()
        .map(|case| {
            let name = case["name"].as_str().unwrap_or("unnamed").to_string();
            // A few CTS names repeat; keep every test name unique.
            let n = seen.entry(name.clone()).or_insert(0);
            *n += 1;
            let test_name = if *n == 1 { name.clone() } else { format!("{name} #{n}") };
            let ignored = EXPECTED_FAILURES.iter().any(|(f, _)| *f == test_name);
            Trial::test(test_name, move || run_case(&case)).with_ignored_flag(ignored)
        })
        .collect();

    libtest_mimic::run(&args, trials).exit();
}

fn run_case(case: &Value) -> Result<(), Failed> {
    let selector = case["selector"].as_str().ok_or("case without selector")?;
    let compiled = compile_path(selector);
    if case["invalid_selector"].as_bool() == Some(true) {
        return match compiled {
            Err(_) => Ok(()),
            Ok(_) => Err(format!("{selector:?} compiled, but the CTS says it is invalid").into()),
        };
    }
    let path = compiled.map_err(|e| format!("{selector:?} did not compile: {}", e.reason))?;
    let got: Vec<Value> = path.select(&case["document"]).into_iter().cloned().collect();
    let got = Value::Array(got);
    if let Some(expected) = case.get("result") {
        if &got == expected {
            return Ok(());
        }
        return Err(format!("{selector:?}\n  selected: {got}\n  expected: {expected}").into());
    }
    if let Some(results) = case["results"].as_array() {
        if results.iter().any(|r| r == &got) {
            return Ok(());
        }
        return Err(format!("{selector:?}\n  selected: {got}\n  expected one of: {}", Value::Array(results.clone())).into());
    }
    Err("case has neither result nor results".into())
}
