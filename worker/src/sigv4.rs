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
///
/// Besides the signature itself, the signature must cover what gives the request its
/// meaning: `Host`, the header carrying its time (`X-Amz-Date`, else `Date`), and every other
/// `x-amz-*` header it carries, `X-Amz-Target` (the operation) among them. A request signed
/// without its operation could otherwise be replayed, within the 15-minute window, as another
/// operation. The one exception is `X-Amz-Security-Token`, which some signers add after
/// signing (the AWS suite's `post-sts-header-after`) and which this service does not read.
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

    // AWS reads X-Amz-Date first and falls back to Date (sigv4-date-handling).
    let Some((date_header, amz_date)) =
        DATE_HEADERS.iter().find_map(|name| header(name).map(|value| (*name, value)))
    else {
        return Err(AuthError::IncompleteSignature(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into(),
        ));
    };
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(AuthError::IncompleteSignature(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
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
    require_signed(&signed, req.headers, date_header)?;

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

    let mut values = Vec::with_capacity(signed.len());
    for name in &signed {
        let found: Vec<&str> = req.headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect();
        if found.is_empty() {
            return Err(AuthError::InvalidSignature(format!(
                "The request signature we calculated does not match the signature you provided: signed header '{name}' is missing from the request."
            )));
        }
        values.push(found);
    }

    let k_date = hmac(format!("AWS4{}", credential.secret_access_key).as_bytes(), scope_date.as_bytes());
    let k_region = hmac(&k_date, scope_region.as_bytes());
    let k_service = hmac(&k_region, scope_service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let provided = hex::decode(auth.signature).unwrap_or_default();
    let query = canonical_query(req.query);
    let scope = format!("{scope_date}/{scope_region}/{scope_service}/aws4_request");

    // What the client signed is rebuilt from the request as the runtime hands it over, which
    // may differ from what the client had in hand (see `canonical_uris`, `canonical_headers`):
    // each reading the request allows is tried, and the signature must match one of them.
    let header_blocks = canonical_headers(&signed, &values);
    for uri in canonical_uris(req.path) {
        for headers in &header_blocks {
            let canonical_request = format!(
                "{}\n{uri}\n{query}\n{headers}\n{}\n{payload_hash}",
                req.method, auth.signed_headers
            );
            let string_to_sign = format!(
                "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
                hex::encode(Sha256::digest(canonical_request.as_bytes()))
            );
            let Ok(mut mac) = HmacSha256::new_from_slice(&k_signing) else { continue };
            mac.update(string_to_sign.as_bytes());
            // verify_slice compares in constant time.
            if mac.verify_slice(&provided).is_ok() {
                return Ok(key_id.to_string());
            }
        }
    }
    Err(AuthError::InvalidSignature(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
            .into(),
    ))
}

/// The headers a request's time may come from, in the order AWS looks for them.
const DATE_HEADERS: [&str; 2] = ["x-amz-date", "date"];
/// Carries temporary credentials; some signers add it after signing, and it does not change
/// what the request asks for (this service does not read it).
const SESSION_TOKEN: &str = "x-amz-security-token";

/// The headers a signature must cover: `host`, the date header used, and every `x-amz-*` header
/// present but the session token. Refused in AWS's words (InvalidSignatureException).
fn require_signed(signed: &[&str], headers: &[(String, String)], date_header: &str) -> Result<(), AuthError> {
    if !signed.contains(&"host") {
        return Err(AuthError::InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    let amz = headers.iter().map(|(k, _)| k.as_str()).filter(|k| k.starts_with("x-amz-") && *k != SESSION_TOKEN);
    // The operation first: it is the header a replay would swap.
    let mut required: Vec<&str> = vec![date_header];
    required.extend(amz.clone().filter(|k| *k == "x-amz-target"));
    required.extend(amz.filter(|k| *k != "x-amz-target" && *k != date_header));
    match required.into_iter().find(|name| !signed.contains(name)) {
        Some(name) => Err(AuthError::InvalidSignature(format!(
            "'{}' must be a 'SignedHeader' in the AWS Authorization.",
            display_name(name)
        ))),
        None => Ok(()),
    }
}

/// `x-amz-target` as AWS names it in messages: `X-Amz-Target`.
fn display_name(lower: &str) -> String {
    lower
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`: each parameter
/// exactly once (a header sent twice, which the runtime joins with ", ", is refused rather
/// than read by whichever copy comes last). Unknown `key=value` parameters are ignored, as
/// AWS does. Messages never repeat the header, which carries the signature.
fn parse_authorization(value: &str) -> Result<Authorization<'_>, AuthError> {
    let value = value.trim();
    let Some(rest) = value.strip_prefix(ALGORITHM).filter(|r| r.is_empty() || r.starts_with([' ', ','])) else {
        let algorithm: String = value.split_whitespace().next().unwrap_or("").chars().take(64).collect();
        return Err(AuthError::IncompleteSignature(format!("Unsupported AWS 'algorithm': '{algorithm}'.")));
    };
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, v)) = part.split_once('=') else {
            let shown: String = part.chars().take(64).collect();
            return Err(AuthError::IncompleteSignature(format!(
                "'{shown}' not a valid key=value pair (missing equal-sign) in Authorization header."
            )));
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        if slot.replace(v).is_some() {
            return Err(AuthError::IncompleteSignature(format!(
                "Authorization header has more than one '{key}' parameter."
            )));
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => {
            Ok(Authorization { credential, signed_headers, signature })
        }
        _ => {
            let missing = [("Credential", credential), ("Signature", signature), ("SignedHeaders", signed_headers)];
            Err(AuthError::IncompleteSignature(
                missing
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(m, _)| format!("Authorization header requires '{m}' parameter."))
                    .collect::<Vec<_>>()
                    .join(" "),
            ))
        }
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

/// The canonical header block for the signed names, once per way the values may have been
/// joined. SigV4 joins a repeated header's values with `,`; the runtime (Fetch `Headers`)
/// has already joined them with `, `, which cannot be told from one value that holds `, `.
fn canonical_headers(signed: &[&str], values: &[Vec<&str>]) -> Vec<String> {
    let block = |rejoin: bool| -> String {
        let mut out = String::new();
        for (name, found) in signed.iter().zip(values) {
            let joined: Vec<String> = found
                .iter()
                .map(|v| {
                    let v = collapse_spaces(v);
                    if rejoin { v.replace(", ", ",") } else { v }
                })
                .collect();
            out.push_str(name);
            out.push(':');
            out.push_str(&joined.join(","));
            out.push('\n');
        }
        out
    };
    let as_given = block(false);
    let rejoined = block(true);
    if rejoined == as_given {
        vec![as_given]
    } else {
        vec![as_given, rejoined]
    }
}

/// RFC 3986 encoding with only the unreserved characters left as they are.
fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn percent_decode(s: &str) -> Vec<u8> {
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
    out
}

/// AWS's path normalisation for services other than S3: dot segments resolved, empty
/// segments (`//`) dropped, a trailing slash kept.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    // `/a/` and `/a/b/..` both name a directory.
    let trailing = matches!(path.rsplit('/').next(), Some("" | "." | ".."));
    let mut out = format!("/{}", segments.join("/"));
    if trailing && !segments.is_empty() {
        out.push('/');
    }
    out
}

/// The canonical URIs a client may have signed for `path`, the path as the runtime delivers
/// it (percent-encoded, dot segments already resolved by its URL parser, `//` kept), most
/// likely first:
/// - normalised, then encoded once more: what AWS computes for services other than S3, and
///   what the AWS SDKs sign;
/// - the same without normalisation (a signer that kept `//`);
/// - each of those from the path as the signer had it before it went on the wire: the
///   percent-encoding the runtime applied to a space or a non-ASCII character undone, then
///   encoded once (the AWS suite's `get-space-*`, `get-utf8`).
///
/// A signer that did not normalise `.`/`..` cannot be verified: the runtime resolved them
/// before the Worker saw the URL (worker/tests/sigv4_suite.rs lists those suite cases).
fn canonical_uris(path: &str) -> Vec<String> {
    let path = if path.is_empty() { "/" } else { path };
    let normalized = normalize_path(path);
    let mut out: Vec<String> = Vec::with_capacity(4);
    for candidate in [
        uri_encode(normalized.as_bytes(), true),
        uri_encode(path.as_bytes(), true),
        uri_encode(&percent_decode(&normalized), true),
        uri_encode(&percent_decode(path), true),
    ] {
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
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
pub fn parse_amz_date(s: &str) -> Option<i64> {
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

    const NOW: &str = "20260101T000000Z";

    /// An API request signed over `sign` (names among `headers`), as an SDK would sign it.
    fn signed_api(headers: &[(&str, &str)], sign: &[&str]) -> Vec<(String, String)> {
        let mut h: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let values: Vec<Vec<&str>> =
            sign.iter().map(|n| headers.iter().filter(|(k, _)| k == n).map(|(_, v)| *v).collect()).collect();
        let canonical = format!(
            "POST\n/\n\n{}\n{}\n{}",
            canonical_headers(sign, &values)[0],
            sign.join(";"),
            hex::encode(Sha256::digest(b"{}"))
        );
        let scope = "20260101/us-east-1/codepipeline/aws4_request";
        let to_sign = format!("{ALGORITHM}\n{NOW}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let mut key = hmac(b"AWS4secret", b"20260101");
        for part in [&b"us-east-1"[..], b"codepipeline", b"aws4_request"] {
            key = hmac(&key, part);
        }
        let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
        h.push((
            "authorization".into(),
            format!("{ALGORITHM} Credential=AKID/{scope}, SignedHeaders={}, Signature={signature}", sign.join(";")),
        ));
        h
    }

    fn check_api(headers: &[(String, String)]) -> Result<String, AuthError> {
        let req = SignedRequest { method: "POST", path: "/", query: "", headers, body: b"{}" };
        let creds = [Credential { access_key_id: "AKID".into(), secret_access_key: "secret".into() }];
        verify(&req, &creds, "us-east-1", "codepipeline", parse_amz_date(NOW).unwrap())
    }

    const API: [(&str, &str); 4] = [
        ("content-type", "application/x-amz-json-1.1"),
        ("host", "h.example"),
        ("x-amz-date", NOW),
        ("x-amz-target", "CodePipeline_20150709.GetPipeline"),
    ];

    fn must_sign(name: &str) -> AuthError {
        AuthError::InvalidSignature(format!("'{name}' must be a 'SignedHeader' in the AWS Authorization."))
    }

    #[test]
    fn verify_all_headers_signed_accepted() {
        assert_eq!(check_api(&signed_api(&API, &["content-type", "host", "x-amz-date", "x-amz-target"])), Ok("AKID".into()));
    }

    #[test]
    fn verify_unsigned_target_date_or_host_refused_in_aws_words() {
        assert_eq!(check_api(&signed_api(&API, &["content-type", "host", "x-amz-date"])), Err(must_sign("X-Amz-Target")));
        assert_eq!(check_api(&signed_api(&API, &["host", "x-amz-target"])), Err(must_sign("X-Amz-Date")));
        assert_eq!(
            check_api(&signed_api(&API, &["x-amz-date", "x-amz-target"])),
            Err(AuthError::InvalidSignature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into()
            ))
        );
    }

    #[test]
    fn verify_every_x_amz_header_but_the_session_token_must_be_signed() {
        let mut headers = API.to_vec();
        headers.push(("x-amz-user-agent", "sdk"));
        let signed = ["host", "x-amz-date", "x-amz-target"];
        assert_eq!(check_api(&signed_api(&headers, &signed)), Err(must_sign("X-Amz-User-Agent")));
        let mut with_token = signed_api(&API, &signed);
        with_token.push(("x-amz-security-token".into(), "token".into()));
        assert_eq!(check_api(&with_token), Ok("AKID".into()));
        // x-amzn-* (e.g. X-Amzn-Trace-Id, which SDKs leave unsigned) is another prefix.
        let mut traced = signed_api(&API, &signed);
        traced.push(("x-amzn-trace-id".into(), "Root=1".into()));
        assert_eq!(check_api(&traced), Ok("AKID".into()));
    }

    #[test]
    fn verify_date_header_is_the_fallback_and_must_be_signed() {
        let headers = [("host", "h.example"), ("date", NOW), ("x-amz-target", "CodePipeline_20150709.ListPipelines")];
        assert_eq!(check_api(&signed_api(&headers, &["date", "host", "x-amz-target"])), Ok("AKID".into()));
        assert_eq!(check_api(&signed_api(&headers, &["host", "x-amz-target"])), Err(must_sign("Date")));
        let none = signed_api(&[("host", "h.example")], &["host"]);
        assert_eq!(
            check_api(&none),
            Err(AuthError::IncompleteSignature(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into()
            ))
        );
    }

    #[test]
    fn parse_authorization_refuses_duplicates_and_garbage() {
        let good = signed_api(&API, &["host", "x-amz-date", "x-amz-target"]);
        let auth = good.iter().find(|(k, _)| k == "authorization").unwrap().1.clone();
        for bad in [
            format!("{auth}, {auth}"),
            format!("{auth}, Signature=00"),
            "AWS4-HMAC-SHA256 Credential".into(),
            "AWS4-HMAC-SHA256".into(),
            "AWS4-HMAC-SHA256X Credential=a".into(),
            "".into(),
            ",,,,".into(),
            "AWS4-HMAC-SHA256 ,,=,=,".into(),
        ] {
            let mut h = good.clone();
            h.retain(|(k, _)| k != "authorization");
            h.push(("authorization".into(), bad.clone()));
            assert!(matches!(check_api(&h), Err(AuthError::IncompleteSignature(_))), "{bad:?}: {:?}", check_api(&h));
        }
    }

    #[test]
    fn normalize_path_follows_aws() {
        for (path, normalized) in [
            ("/", "/"),
            ("//", "/"),
            ("//example//", "/example/"),
            ("/./example", "/example"),
            ("/example/..", "/"),
            ("/a/b/..", "/a/"),
            ("/a/./b/.", "/a/b/"),
            ("/a/b", "/a/b"),
        ] {
            assert_eq!(normalize_path(path), normalized, "{path}");
        }
        assert_eq!(canonical_uris("/example%20space/"), ["/example%2520space/", "/example%20space/"]);
    }

    #[test]
    fn display_name_capitalises_each_word() {
        assert_eq!(display_name("x-amz-content-sha256"), "X-Amz-Content-Sha256");
        assert_eq!(display_name("date"), "Date");
    }
}
