use super::*;

const SECRET: &str = "It's a Secret to Everybody";
const BODY: &[u8] = b"Hello, World!";
// GitHub's documented test vector.
const SIG_256: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

fn hmac_auth() -> Authenticator {
    Authenticator::GithubHmac(SecretToken(SECRET.into()))
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn sha1_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha1> as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

fn signature_failure(result: Result<(), AuthFailure>) -> String {
    match result {
        Err(AuthFailure::Signature(why)) => why,
        other => panic!("expected a signature failure, got {other:?}"),
    }
}

#[test]
fn github_signature_256_matches_githubs_test_vector() {
    assert_eq!(github_signature_256(SECRET, BODY), SIG_256);
}

#[test]
fn hmac_valid_sha256_passes_with_any_header_case() {
    for name in ["X-Hub-Signature-256", "x-hub-signature-256", "X-HUB-SIGNATURE-256"] {
        assert_eq!(hmac_auth().check(&headers(&[(name, SIG_256)]), BODY, None, None), Ok(()));
    }
}

#[test]
fn hmac_wrong_signature_is_refused() {
    let wrong = github_signature_256("another secret", BODY);
    let why = signature_failure(hmac_auth().check(&headers(&[("X-Hub-Signature-256", &wrong)]), BODY, None, None));
    assert!(why.contains("does not match"), "{why}");
    // The body changed by one byte.
    let why = signature_failure(hmac_auth().check(&headers(&[("X-Hub-Signature-256", SIG_256)]), b"Hello, World?", None, None));
    assert!(why.contains("does not match"));
}

#[test]
fn hmac_missing_signature_is_refused() {
    let why = signature_failure(hmac_auth().check(&headers(&[("Content-Type", "application/json")]), BODY, None, None));
    assert!(why.contains("not signed"), "{why}");
}

#[test]
fn hmac_malformed_signatures_are_refused() {
    for bad in ["757107ea", "sha256=zz", "sha256=", "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1"] {
        let why = signature_failure(hmac_auth().check(&headers(&[("X-Hub-Signature-256", bad)]), BODY, None, None));
        assert!(why.contains("malformed"), "{bad}: {why}");
    }
}

#[test]
fn hmac_legacy_sha1_alone_is_accepted() {
    let sig = sha1_signature(SECRET, BODY);
    assert_eq!(hmac_auth().check(&headers(&[("X-Hub-Signature", &sig)]), BODY, None, None), Ok(()));
    let wrong = sha1_signature("nope", BODY);
    signature_failure(hmac_auth().check(&headers(&[("X-Hub-Signature", &wrong)]), BODY, None, None));
    signature_failure(hmac_auth().check(&headers(&[("X-Hub-Signature", "sha1=00")]), BODY, None, None));
}

#[test]
fn hmac_no_downgrade_when_sha256_present_but_wrong() {
    let good_sha1 = sha1_signature(SECRET, BODY);
    let bad_256 = github_signature_256("nope", BODY);
    let h = headers(&[("X-Hub-Signature-256", &bad_256), ("X-Hub-Signature", &good_sha1)]);
    signature_failure(hmac_auth().check(&h, BODY, None, None));
}

#[test]
fn hmac_precomputed_macs_are_compared_not_trusted() {
    let right = hex::decode(&SIG_256[7..]).unwrap();
    let macs = PrecomputedMacs { sha256: Some(right.clone()), sha1: None };
    let h = headers(&[("X-Hub-Signature-256", SIG_256)]);
    assert_eq!(hmac_auth().check(&h, BODY, None, Some(&macs)), Ok(()));
    let mut wrong = right;
    wrong[0] ^= 1;
    let macs = PrecomputedMacs { sha256: Some(wrong), sha1: None };
    signature_failure(hmac_auth().check(&h, BODY, None, Some(&macs)));
}

#[test]
fn the_requested_mac_is_sha256_whenever_its_header_is_present() {
    let h = |pairs: &[(&str, &str)]| GithubMac::requested(&headers(pairs));
    assert_eq!(h(&[("X-Hub-Signature-256", "x"), ("x-hub-signature", "y")]), Some(GithubMac::Sha256));
    assert_eq!(h(&[("x-hub-signature", "y"), ("X-HUB-SIGNATURE-256", "")]), Some(GithubMac::Sha256));
    assert_eq!(h(&[("X-Hub-Signature", "y"), ("content-type", "application/json")]), Some(GithubMac::Sha1));
    assert_eq!(h(&[("content-type", "application/json")]), None);
    assert_eq!(h(&[]), None);
}

#[test]
fn a_precomputed_mac_of_the_requested_kind_is_the_one_compared() {
    // The host computes the MAC GithubMac::requested names; the check reads that one.
    let sha1 = sha1_signature(SECRET, BODY);
    let h = headers(&[("x-hub-signature", sha1.as_str())]);
    let kind = GithubMac::requested(&h).unwrap();
    let right = hex::decode(&sha1[5..]).unwrap();
    assert_eq!(hmac_auth().check(&h, BODY, None, Some(&PrecomputedMacs::of(kind, right))), Ok(()));
    signature_failure(hmac_auth().check(&h, BODY, None, Some(&PrecomputedMacs::of(kind, vec![0; 20]))));
    // A MAC of the other kind is not used for this header: the core computes its own.
    let other = PrecomputedMacs::of(GithubMac::Sha256, vec![0; 32]);
    assert_eq!(hmac_auth().check(&h, BODY, None, Some(&other)), Ok(()));
}

fn ip_auth(range: &str) -> Authenticator {
    Authenticator::Ip(parse_ip_range(range).unwrap())
}

fn address_failure(result: Result<(), AuthFailure>) -> String {
    match result {
        Err(AuthFailure::Address(why)) => why,
        other => panic!("expected an address failure, got {other:?}"),
    }
}

#[test]
fn ip_v4_inside_passes_outside_refused() {
    let auth = ip_auth("192.30.252.0/22");
    assert_eq!(auth.check(&[], b"", Some("192.30.252.17"), None), Ok(()));
    assert_eq!(auth.check(&[], b"", Some("192.30.255.255"), None), Ok(()));
    let why = address_failure(auth.check(&[], b"", Some("192.30.256.1"), None));
    assert!(why.contains("not an IP address"));
    let why = address_failure(auth.check(&[], b"", Some("10.0.0.1"), None));
    assert!(why.contains("10.0.0.1") && !why.contains("192.30"), "must not reveal the range: {why}");
}

#[test]
fn ip_v6_inside_passes_outside_refused() {
    let auth = ip_auth("2a0a:a440::/29");
    assert_eq!(auth.check(&[], b"", Some("2a0a:a440::1"), None), Ok(()));
    address_failure(auth.check(&[], b"", Some("2001:db8::1"), None));
    address_failure(auth.check(&[], b"", Some("192.0.2.1"), None));
}

#[test]
fn ip_v4_mapped_v6_caller_counts_as_v4() {
    assert_eq!(ip_auth("10.0.0.0/8").check(&[], b"", Some("::ffff:10.1.2.3"), None), Ok(()));
}

#[test]
fn ip_missing_source_is_refused() {
    let why = address_failure(ip_auth("0.0.0.0/0").check(&[], b"", None, None));
    assert!(why.contains("unknown"));
    address_failure(ip_auth("0.0.0.0/0").check(&[], b"", Some(""), None));
}

#[test]
fn ip_ignores_forwarded_headers() {
    let h = headers(&[("X-Forwarded-For", "10.0.0.1")]);
    address_failure(ip_auth("10.0.0.0/8").check(&h, b"", Some("203.0.113.9"), None));
}

#[test]
fn unauthenticated_always_passes() {
    assert_eq!(Authenticator::Unauthenticated.check(&[], b"anything", None, None), Ok(()));
}

#[test]
fn parse_ip_range_requires_a_prefix() {
    assert!(parse_ip_range("10.0.0.1").is_err());
    assert!(parse_ip_range("10.0.0.0/8").is_ok());
    assert!(parse_ip_range("::/0").is_ok());
}

#[test]
fn secret_token_debug_never_shows_the_secret() {
    let shown = format!("{:?}", hmac_auth());
    assert!(!shown.contains("Secret to Everybody"), "{shown}");
}

// --- a rotation's previous secret ---

const OLD: &str = "the secret before the rotation";

fn old() -> SecretToken {
    SecretToken(OLD.into())
}

fn authenticate(h: &[(String, String)], previous: Option<&PreviousSecret<'_>>) -> Result<Option<MatchedSecret>, AuthFailure> {
    hmac_auth().authenticate(h, BODY, None, None, previous)
}

#[test]
fn the_current_secret_matches_as_current_whether_or_not_a_previous_one_is_given() {
    let h = headers(&[("X-Hub-Signature-256", SIG_256)]);
    let old = old();
    let previous = PreviousSecret { secret: &old, macs: None };
    assert_eq!(authenticate(&h, None), Ok(Some(MatchedSecret::Current)));
    assert_eq!(authenticate(&h, Some(&previous)), Ok(Some(MatchedSecret::Current)));
}

#[test]
fn the_previous_secret_matches_only_when_given() {
    let h = headers(&[("X-Hub-Signature-256", &github_signature_256(OLD, BODY))]);
    let old = old();
    assert_eq!(authenticate(&h, Some(&PreviousSecret { secret: &old, macs: None })), Ok(Some(MatchedSecret::Previous)));
    // Once the host stops passing it (its grace period is over), it is refused like any other.
    signature_failure(authenticate(&h, None).map(drop));
}

#[test]
fn a_third_secret_is_refused_with_the_current_secrets_reason() {
    let h = headers(&[("X-Hub-Signature-256", &github_signature_256("a third secret", BODY))]);
    let old = old();
    let with = signature_failure(authenticate(&h, Some(&PreviousSecret { secret: &old, macs: None })).map(drop));
    let without = signature_failure(authenticate(&h, None).map(drop));
    // The refusal says nothing of a rotation.
    assert_eq!(with, without);
    assert!(!with.contains("previous"), "{with}");
}

#[test]
fn the_previous_secret_keeps_the_no_downgrade_rule_and_the_legacy_header() {
    let old = old();
    let previous = PreviousSecret { secret: &old, macs: None };
    let sha1 = sha1_signature(OLD, BODY);
    assert_eq!(authenticate(&headers(&[("X-Hub-Signature", &sha1)]), Some(&previous)), Ok(Some(MatchedSecret::Previous)));
    // A wrong SHA-256 beside a right legacy SHA-1 of the previous secret: still refused.
    let h = headers(&[("X-Hub-Signature-256", &github_signature_256("nope", BODY)), ("X-Hub-Signature", &sha1)]);
    signature_failure(authenticate(&h, Some(&previous)).map(drop));
    // Missing and malformed signatures are refused without trying the previous secret.
    signature_failure(authenticate(&headers(&[]), Some(&previous)).map(drop));
    let why = signature_failure(authenticate(&headers(&[("X-Hub-Signature-256", "sha256=zz")]), Some(&previous)).map(drop));
    assert!(why.contains("malformed"), "{why}");
}

#[test]
fn the_previous_secrets_precomputed_mac_is_compared_not_trusted() {
    let sig = github_signature_256(OLD, BODY);
    let h = headers(&[("X-Hub-Signature-256", &sig)]);
    let old = old();
    let right = PrecomputedMacs::of(GithubMac::Sha256, hex::decode(&sig[7..]).unwrap());
    assert_eq!(
        authenticate(&h, Some(&PreviousSecret { secret: &old, macs: Some(&right) })),
        Ok(Some(MatchedSecret::Previous))
    );
    let wrong = PrecomputedMacs::of(GithubMac::Sha256, vec![0; 32]);
    signature_failure(authenticate(&h, Some(&PreviousSecret { secret: &old, macs: Some(&wrong) })).map(drop));
}

#[test]
fn ip_and_unauthenticated_webhooks_have_no_matched_secret() {
    let old = old();
    let previous = PreviousSecret { secret: &old, macs: None };
    assert_eq!(Authenticator::Unauthenticated.authenticate(&[], BODY, None, None, Some(&previous)), Ok(None));
    assert_eq!(ip_auth("10.0.0.0/8").authenticate(&[], BODY, Some("10.1.2.3"), None, Some(&previous)), Ok(None));
}
