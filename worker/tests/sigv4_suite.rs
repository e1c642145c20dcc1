//! The AWS SigV4 test suite (`../shared/fixtures/sigv4-suite/v4`, 38 cases), one test per
//! case, against the Worker's verifier.
//!
//! Each request is verified as the Worker receives it, not as the suite writes it: workerd's
//! URL parser resolves `.` and `..` segments and percent-encodes spaces and non-ASCII
//! characters, and its `Headers` join a repeated header's values with `, `.
//! `sigv4-suite-in-workerd.json` holds what workerd delivered for each case;
//! `worker-tests/sigv4.test.mjs` checks, in workerd, that it still delivers exactly that.

use std::path::PathBuf;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

#[path = "../src/sigv4.rs"]
#[allow(dead_code)]
mod sigv4;

use sigv4::{verify, AuthError, Credential, SignedRequest};

/// Cases that cannot verify as workerd delivers them, and why.
const EXPECTED_FAILURES: &[(&str, &str)] = {
    const DOT_SEGMENTS: &str = "signed over a path whose '.'/'..' segments the signer did not resolve \
        (S3-style); workerd's URL parser resolves them before the Worker sees the URL, so the path \
        that was signed never reaches the verifier (AWS itself, for services other than S3, \
        normalises the path and would refuse this signature too)";
    &[
        ("get-relative-unnormalized", DOT_SEGMENTS),
        ("get-relative-relative-unnormalized", DOT_SEGMENTS),
        ("get-slash-dot-slash-unnormalized", DOT_SEGMENTS),
        ("get-slash-pointless-dot-unnormalized", DOT_SEGMENTS),
    ]
};

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/sigv4-suite/v4")
}

fn read_json(path: &PathBuf) -> Result<Value, Failed> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Epoch milliseconds of the suite's `2015-08-30T12:36:00Z` timestamps.
fn epoch_ms(iso: &str) -> Option<i64> {
    let basic: String = iso.chars().filter(|c| !matches!(c, '-' | ':')).collect();
    sigv4::parse_amz_date(&basic)
}

fn run_case(name: &str, delivered: &Value) -> Result<(), Failed> {
    let context = read_json(&suite_dir().join(name).join("context.json"))?;
    let credential = Credential {
        access_key_id: context["credentials"]["access_key_id"].as_str().ok_or("no access key")?.to_string(),
        secret_access_key: context["credentials"]["secret_access_key"].as_str().ok_or("no secret")?.to_string(),
    };
    let now = epoch_ms(context["timestamp"].as_str().ok_or("no timestamp")?).ok_or("bad timestamp")?;
    let headers: Vec<(String, String)> = delivered["headers"]
        .as_object()
        .ok_or("no headers")?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let request = SignedRequest {
        method: delivered["method"].as_str().ok_or("no method")?,
        path: delivered["path"].as_str().ok_or("no path")?,
        query: delivered["query"].as_str().ok_or("no query")?,
        headers: &headers,
        body: delivered["body"].as_str().ok_or("no body")?.as_bytes(),
    };
    let region = context["region"].as_str().ok_or("no region")?;
    let service = context["service"].as_str().ok_or("no service")?;
    let result = verify(&request, &[credential], region, service, now);
    match (EXPECTED_FAILURES.iter().find(|(case, _)| *case == name), result) {
        (None, Ok(key)) if key == "AKIDEXAMPLE" => Ok(()),
        (None, Ok(key)) => Err(format!("verified as key {key}").into()),
        (None, Err(e)) => Err(format!("does not verify: {e:?}").into()),
        (Some(_), Err(AuthError::InvalidSignature(m))) if m.starts_with("The request signature we calculated") => Ok(()),
        (Some(_), Err(e)) => Err(format!("fails, but not on the signature: {e:?}").into()),
        (Some((_, why)), Ok(_)) => {
            Err(format!("verifies now: remove it from EXPECTED_FAILURES (listed because it {why})").into())
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let delivered_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sigv4-suite-in-workerd.json");
    let delivered = match read_json(&delivered_path) {
        Ok(v) => v,
        Err(e) => panic!("{e:?}"),
    };
    let mut cases: Vec<String> = std::fs::read_dir(suite_dir())
        .expect("the AWS SigV4 suite is missing (../shared/fixtures/sigv4-suite)")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("header-signed-request.txt").exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    cases.sort();
    let mut trials = vec![{
        let (count, recorded) = (cases.len(), delivered.as_object().map_or(0, |o| o.len()));
        Trial::test("suite_has_38_cases_all_recorded_in_workerd", move || {
            if count == 38 && recorded == 38 {
                Ok(())
            } else {
                Err(format!("{count} cases in the suite, {recorded} recorded").into())
            }
        })
    }];
    for name in cases {
        let case = delivered.get(&name).cloned().unwrap_or(Value::Null);
        trials.push(Trial::test(name.clone(), move || {
            if case.is_null() {
                return Err("not recorded in sigv4-suite-in-workerd.json (run worker-tests/sigv4.test.mjs with PIPEHOOK_UPDATE_FIXTURES=1)".into());
            }
            run_case(&name, &case)
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
