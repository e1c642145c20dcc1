//! AWS Signature Version 4 verification for the management API.
//!
//! A verifier has to rebuild the canonical request from exactly the headers the
//! client chose to sign (its `SignedHeaders`), so this is written out here on
//! the RustCrypto `hmac`/`sha2` crates the core already uses: the AWS SDK's
//! `aws-sigv4` crate is a *signer* that picks its own header set (it skips
//! `user-agent` and others that some clients do sign) and drags in the smithy
//! runtime. The steps follow the AWS SigV4 documentation:
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// AWS accepts a request signed up to 15 minutes before or after its own clock.
const WINDOW_MS: i64 = 15 * 60 * 1000;

/// One configured access key.
pub struct Credential {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// What a request needs to be checked. Header names must be lower case;
/// `path` and `query` are the raw (still percent-encoded) URL parts.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Why a request is not authenticated, one variant per AWS exception.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    MissingAuthenticationToken,
    IncompleteSignature(String),
    InvalidSignature(String),
    UnrecognizedClient,
}

/// Checks the request's `Authorization` header against the configured keys.
/// Returns the access key id that signed it.
pub fn verify(
    req: &SignedRequest<'_>,
    credentials: &[Credential],
    region: &str,
    service: &str,
    now_ms: i64,
) -> Result<String, AuthError> {
    let header =
        |name: &str| -> Option<&str> { req.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()) };
    let Some(authorization) = header("authorization") else {
        return Err(AuthError::MissingAuthenticationToken);
    };
    let auth = parse_authorization(authorization)?;

    let scope: Vec<&str> = auth.credential.split('/').collect();
    let [key_id, scope_date, scope_region, scope_service, terminator] = scope[..] else {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            auth.credential
        )));
    };
    let Some(credential) = credentials.iter().find(|c| c.access_key_id == key_id) else {
        return Err(AuthError::UnrecognizedClient);
    };
    if terminator != "aws4_request" {
        return Err(AuthError::InvalidSignature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    if scope_service != service {
        return Err(AuthError::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{service}'."
        )));
    }
    if scope_region != region {
        return Err(AuthError::InvalidSignature(format!(
            "Credential should be scoped to a valid region, not '{scope_region}'."
        )));
    }

    let Some(amz_date) = header("x-amz-date") else {
        return Err(AuthError::IncompleteSignature(
            "Authorization header requires existence of a 'X-Amz-Date' header.".into(),
        ));
    };
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(AuthError::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
        )));
    };
    if amz_date.get(..8) != Some(scope_date) {
        return Err(AuthError::InvalidSignature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP".into(),
        ));
    }
    if signed_at < now_ms - WINDOW_MS {
        return Err(AuthError::InvalidSignature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now_ms - WINDOW_MS),
            format_amz_date(now_ms)
        )));
    }
    if signed_at > now_ms + WINDOW_MS {
        return Err(AuthError::InvalidSignature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now_ms + WINDOW_MS),
            format_amz_date(now_ms)
        )));
    }

    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    if !signed.contains(&"host") {
        return Err(AuthError::InvalidSignature(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }

    let body_hash = hex::encode(Sha256::digest(req.body));
    let payload_hash = match header("x-amz-content-sha256") {
        Some(claimed) if claimed.eq_ignore_ascii_case(&body_hash) => claimed,
        Some(_) => {
            return Err(AuthError::InvalidSignature(
                "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
            ))
        }
        None => body_hash.as_str(),
    };

    let mut canonical_headers = String::new();
    for name in &signed {
        let values: Vec<String> =
            req.headers.iter().filter(|(k, _)| k == name).map(|(_, v)| collapse_spaces(v)).collect();
        if values.is_empty() {
            return Err(AuthError::InvalidSignature(format!(
                "The request signature we calculated does not match the signature you provided: signed header '{name}' is missing from the request."
            )));
        }
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }

    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.path),
        canonical_query(req.query),
        canonical_headers,
        auth.signed_headers,
        payload_hash
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope_date}/{scope_region}/{scope_service}/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );

    let k_date = hmac(format!("AWS4{}", credential.secret_access_key).as_bytes(), scope_date.as_bytes());
    let k_region = hmac(&k_date, scope_region.as_bytes());
    let k_service = hmac(&k_region, scope_service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");

    let provided = hex::decode(auth.signature).unwrap_or_default();
    let Ok(mut mac) = HmacSha256::new_from_slice(&k_signing) else {
        return Err(AuthError::InvalidSignature("signing key".into()));
    };
    mac.update(string_to_sign.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&provided).map_err(|_| {
        AuthError::InvalidSignature(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
                .into(),
        )
    })?;
    Ok(key_id.to_string())
}

struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, AuthError> {
    let value = value.trim();
    let Some(rest) = value.strip_prefix(ALGORITHM) else {
        let algorithm = value.split_whitespace().next().unwrap_or("");
        return Err(AuthError::IncompleteSignature(format!("Unsupported AWS 'algorithm': '{algorithm}'")));
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Credential");
    }
    if signed_headers.is_none() {
        missing.push("SignedHeaders");
    }
    if signature.is_none() {
        missing.push("Signature");
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => {
            Ok(Authorization { credential, signed_headers, signature })
        }
        _ => Err(AuthError::IncompleteSignature(
            missing
                .iter()
                .map(|m| format!("Authorization header requires '{m}' parameter."))
                .collect::<Vec<_>>()
                .join(" "),
        )),
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // Hmac accepts keys of any length, so new_from_slice cannot fail here.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn collapse_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RFC 3986 encoding with only the unreserved characters left as they are.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Services other than S3 encode each path segment of the (already encoded) path once more.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    uri_encode(path, true)
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&percent_decode(k), false), uri_encode(&percent_decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// `20150830T123600Z` as epoch milliseconds.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se) * 1000)
}

/// Epoch milliseconds as `20150830T123600Z`.
pub fn format_amz_date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

// Howard Hinnant's civil calendar algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example (IAM "create a signed request", GET iam ListUsers),
    /// with key AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY.
    fn example_headers(sig: &str) -> Vec<(String, String)> {
        vec![
            ("host".into(), "iam.amazonaws.com".into()),
            ("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()),
            ("x-amz-date".into(), "20150830T123600Z".into()),
            (
                "authorization".into(),
                format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={sig}"),
            ),
        ]
    }

    fn creds() -> Vec<Credential> {
        vec![Credential {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        }]
    }

    const GOOD: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    fn check(headers: &[(String, String)], now: i64) -> Result<String, AuthError> {
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers,
            body: b"",
        };
        verify(&req, &creds(), "us-east-1", "iam", now)
    }

    #[test]
    fn verify_aws_example_accepted() {
        let now = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(check(&example_headers(GOOD), now), Ok("AKIDEXAMPLE".into()));
    }

    #[test]
    fn verify_wrong_signature_is_invalid_signature() {
        let now = parse_amz_date("20150830T123600Z").unwrap();
        let bad = GOOD.replace('5', "6");
        assert!(matches!(check(&example_headers(&bad), now), Err(AuthError::InvalidSignature(_))));
    }

    #[test]
    fn verify_expired_is_invalid_signature() {
        let now = parse_amz_date("20150830T130100Z").unwrap();
        let e = check(&example_headers(GOOD), now).unwrap_err();
        assert!(matches!(&e, AuthError::InvalidSignature(m) if m.starts_with("Signature expired")), "{e:?}");
    }

    #[test]
    fn verify_missing_and_unknown_key() {
        assert_eq!(check(&[], 0), Err(AuthError::MissingAuthenticationToken));
        let mut h = example_headers(GOOD);
        h[3].1 = h[3].1.replace("AKIDEXAMPLE", "OTHER");
        assert_eq!(check(&h, 0), Err(AuthError::UnrecognizedClient));
        h[3].1 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request".into();
        assert!(matches!(check(&h, 0), Err(AuthError::IncompleteSignature(_))));
    }

    #[test]
    fn amz_date_round_trips() {
        let ms = parse_amz_date("20260228T235959Z").unwrap();
        assert_eq!(format_amz_date(ms), "20260228T235959Z");
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("2026022XT235959Z"), None);
    }
}
