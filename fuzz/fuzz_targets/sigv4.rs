//! SigV4 parsing of arbitrary `Authorization` (and date, target, other) headers: never a
//! panic. And a request signed as an SDK signs it verifies, while changing its body or any
//! signed header afterwards makes it fail. The verifier is worker/src/sigv4.rs itself,
//! included by path (it depends on no part of workers-rs).
#![no_main]

#[path = "../../worker/src/sigv4.rs"]
#[allow(dead_code)]
mod sigv4;

use arbitrary::{Result, Unstructured};
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use sigv4::{verify, Credential, SignedRequest};

const NOW: &str = "20260101T000000Z";
const KEY_ID: &str = "AKIDFUZZ";
const SECRET: &str = "fuzz/secret+key";
const NAMES: &[&str] = &["host", "x-amz-date", "x-amz-target", "content-type", "x-amz-user-agent", "my-header", "date", "x-amz-content-sha256"];

fn credentials() -> Vec<Credential> {
    vec![Credential { access_key_id: KEY_ID.into(), secret_access_key: SECRET.into() }]
}

fn check(headers: &[(String, String)], path: &str, query: &str, body: &[u8]) -> std::result::Result<String, sigv4::AuthError> {
    let req = SignedRequest { method: "POST", path, query, headers, body };
    let now = sigv4::parse_amz_date(NOW).expect("a valid time");
    verify(&req, &credentials(), "us-east-1", "codepipeline", now)
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Printable ASCII with single inner spaces: a value every signer canonicalises alike.
fn header_value(u: &mut Unstructured<'_>) -> Result<String> {
    let raw: String = u.arbitrary()?;
    let value: String = raw.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').collect();
    Ok(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `headers` signed over all their names, as the AWS SDKs sign (path `/`, no query).
fn sign(headers: &mut Vec<(String, String)>, body: &[u8]) {
    headers.sort();
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let canonical = format!("POST\n/\n\n{canonical_headers}\n{}\n{}", names.join(";"), hex::encode(Sha256::digest(body)));
    let scope = format!("{}/us-east-1/codepipeline/aws4_request", &NOW[..8]);
    let to_sign = format!("AWS4-HMAC-SHA256\n{NOW}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let mut key = hmac(format!("AWS4{SECRET}").as_bytes(), NOW[..8].as_bytes());
    for part in ["us-east-1", "codepipeline", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
    let signed = names.join(";");
    headers.push(("authorization".into(), format!("AWS4-HMAC-SHA256 Credential={KEY_ID}/{scope}, SignedHeaders={signed}, Signature={signature}")));
}

fn run(mut u: Unstructured<'_>) -> Result<()> {
    // Arbitrary headers: whatever they say, an answer and no panic.
    let mut headers: Vec<(String, String)> = Vec::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let name = if u.arbitrary()? { u.choose(NAMES)?.to_string() } else { u.arbitrary::<String>()?.to_ascii_lowercase() };
        headers.push((name, u.arbitrary()?));
    }
    headers.push(("authorization".into(), u.arbitrary()?));
    let path: String = u.arbitrary()?;
    let query: String = u.arbitrary()?;
    let body: Vec<u8> = u.arbitrary()?;
    let _ = check(&headers, &path, &query, &body);

    // A signed request verifies; changed after signing, it does not.
    let mut signed = vec![("host".to_string(), "h.example".to_string()), ("x-amz-date".to_string(), NOW.to_string())];
    for name in ["x-amz-target", "content-type", "x-amz-user-agent", "my-header"] {
        if u.arbitrary()? {
            signed.push((name.to_string(), header_value(&mut u)?));
        }
    }
    let body = u.take_rest().to_vec();
    sign(&mut signed, &body);
    assert_eq!(check(&signed, "/", "", &body).as_deref(), Ok(KEY_ID), "{signed:?}");
    let mut changed_body = body.clone();
    changed_body.push(b' ');
    assert!(check(&signed, "/", "", &changed_body).is_err(), "a changed body verifies");
    for i in 0..signed.len() - 1 {
        let mut changed = signed.clone();
        changed[i].1.push('x');
        assert!(check(&changed, "/", "", &body).is_err(), "a changed {} verifies", changed[i].0);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(Unstructured::new(data));
});
