//! Delivery authentication: GITHUB_HMAC (constant time, no downgrade), IP
//! ranges, UNAUTHENTICATED.
//!
//! During a secret rotation a GITHUB_HMAC webhook also honours the SecretToken it
//! replaced ([`PreviousSecret`]). Whether that secret is still valid is a matter of
//! time, and the core has no clock: the host decides, and passes it only while it
//! is; the core checks it only when the current secret fails, and reports which
//! one matched ([`MatchedSecret`]).

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use ipnet::IpNet;
use sha1::Sha1;
use sha2::Sha256;

use crate::model::SecretToken;

pub(crate) const SIGNATURE_256: &str = "x-hub-signature-256";
pub(crate) const SIGNATURE_SHA1: &str = "x-hub-signature";

/// A webhook's authentication, parsed once at validation.
#[derive(Clone, Debug)]
pub enum Authenticator {
    GithubHmac(SecretToken),
    Ip(IpNet),
    Unauthenticated,
}

/// Why a delivery was refused, worded for the sender: it names the header or
/// address at fault and never anything of the definition (no secret, no range).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// 401: a signature is missing, malformed or wrong.
    Signature(String),
    /// 403: the caller's address is not allowed.
    Address(String),
}

/// HMACs of the body computed outside the core, e.g. by the host's native
/// crypto, which is much faster than sha2 compiled to wasm. The comparison
/// with the header is still done here, in constant time.
#[derive(Clone, Debug, Default)]
pub struct PrecomputedMacs {
    pub sha256: Option<Vec<u8>>,
    pub sha1: Option<Vec<u8>>,
}

/// The HMAC a GitHub delivery asks to be checked with: `X-Hub-Signature-256`
/// alone decides when it is present (a valid legacy signature beside a wrong
/// SHA-256 one is no way in), else the legacy `X-Hub-Signature`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GithubMac {
    Sha256,
    Sha1,
}

impl GithubMac {
    /// The MAC `headers` ask for, `None` when the delivery is not signed. A
    /// host that hashes natively computes this one for [`PrecomputedMacs`].
    pub fn requested(headers: &[(String, String)]) -> Option<Self> {
        deciding_signature(headers).map(|(kind, _)| kind)
    }
}

/// The signature header that decides, with its kind.
fn deciding_signature(headers: &[(String, String)]) -> Option<(GithubMac, &str)> {
    header(headers, SIGNATURE_256)
        .map(|value| (GithubMac::Sha256, value))
        .or_else(|| header(headers, SIGNATURE_SHA1).map(|value| (GithubMac::Sha1, value)))
}

impl PrecomputedMacs {
    /// The host's MAC of the kind [`GithubMac::requested`] named.
    pub fn of(kind: GithubMac, mac: Vec<u8>) -> Self {
        match kind {
            GithubMac::Sha256 => PrecomputedMacs { sha256: Some(mac), sha1: None },
            GithubMac::Sha1 => PrecomputedMacs { sha256: None, sha1: Some(mac) },
        }
    }
}

/// The SecretToken a webhook had before its last change, which the host still
/// honours (its grace period has not run out). `macs` are its HMACs of the body
/// by the host's native crypto, as for the current secret; without them the core
/// computes the one it needs, and only when the current secret has failed.
#[derive(Clone, Copy, Debug)]
pub struct PreviousSecret<'a> {
    pub secret: &'a SecretToken,
    pub macs: Option<&'a PrecomputedMacs>,
}

/// Which SecretToken a GitHub signature verified with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchedSecret {
    Current,
    Previous,
}

/// Case-insensitive header lookup (HTTP names are case-insensitive).
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    // Hosts pass only these (crate::delivery::HEADERS_READ); a header read elsewhere would be lost.
    debug_assert!(crate::delivery::HEADERS_READ.contains(&name), "{name} is not in HEADERS_READ");
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// `AllowedIPRange`: an IPv4 or IPv6 CIDR (`10.0.0.0/8`, `2001:db8::/32`).
pub fn parse_ip_range(s: &str) -> Result<IpNet, String> {
    if !s.contains('/') {
        return Err("a CIDR range needs a prefix length, such as /32 or /128".into());
    }
    s.parse::<IpNet>().map_err(|_| "expected an address and prefix length, such as 192.0.2.0/24 or 2001:db8::/32".into())
}

impl Authenticator {
    /// Checks a delivery. `macs` may carry the body's HMACs computed by the host.
    pub fn check(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        source_ip: Option<&str>,
        macs: Option<&PrecomputedMacs>,
    ) -> Result<(), AuthFailure> {
        self.authenticate(headers, body, source_ip, macs, None).map(drop)
    }

    /// [`Self::check`], also honouring a GITHUB_HMAC webhook's `previous` secret
    /// when the current one does not verify. Answers which secret matched (`None`
    /// for IP and UNAUTHENTICATED webhooks, which have none).
    pub fn authenticate(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        source_ip: Option<&str>,
        macs: Option<&PrecomputedMacs>,
        previous: Option<&PreviousSecret<'_>>,
    ) -> Result<Option<MatchedSecret>, AuthFailure> {
        match self {
            Self::Unauthenticated => Ok(None),
            Self::Ip(range) => check_ip(range, source_ip).map(|()| None),
            Self::GithubHmac(secret) => {
                let current = check_github_signature(secret, headers, body, macs);
                match (current, previous) {
                    (Ok(()), _) => Ok(Some(MatchedSecret::Current)),
                    // Only a well-formed signature that fails the current secret is
                    // tried again; the refusal stays the current secret's, which
                    // says nothing of a rotation.
                    (Err(failure), Some(p)) if signature_is_well_formed(headers) => {
                        check_github_signature(p.secret, headers, body, p.macs)
                            .map(|()| Some(MatchedSecret::Previous))
                            .map_err(|_| failure)
                    }
                    (Err(failure), _) => Err(failure),
                }
            }
        }
    }
}

/// True when the deciding signature header parses (its MAC may still be wrong).
fn signature_is_well_formed(headers: &[(String, String)]) -> bool {
    match deciding_signature(headers) {
        Some((GithubMac::Sha256, value)) => parse_signature(value, "sha256=", 32).is_some(),
        Some((GithubMac::Sha1, value)) => parse_signature(value, "sha1=", 20).is_some(),
        None => false,
    }
}

fn check_ip(range: &IpNet, source_ip: Option<&str>) -> Result<(), AuthFailure> {
    let Some(raw) = source_ip.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(AuthFailure::Address("the caller's address is unknown".into()));
    };
    let addr: IpAddr = raw
        .parse()
        .map_err(|_| AuthFailure::Address(format!("the caller's address '{}' is not an IP address", cut(raw))))?;
    // An IPv4 caller seen through an IPv6 socket (::ffff:a.b.c.d) is still that IPv4 caller.
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    };
    if range.contains(&addr) {
        Ok(())
    } else {
        Err(AuthFailure::Address(format!("the caller's address {addr} is not in the allowed range")))
    }
}

/// GitHub signs the raw body: `X-Hub-Signature-256: sha256=<hex>`, and the
/// legacy `X-Hub-Signature: sha1=<hex>`. When the SHA-256 header is present it
/// alone decides, so a forged SHA-1 cannot downgrade a delivery.
fn check_github_signature(
    secret: &SecretToken,
    headers: &[(String, String)],
    body: &[u8],
    macs: Option<&PrecomputedMacs>,
) -> Result<(), AuthFailure> {
    match deciding_signature(headers) {
        Some((GithubMac::Sha256, value)) => {
            let precomputed = macs.and_then(|m| m.sha256.as_deref());
            check_one::<Hmac<Sha256>>(secret, body, value, "X-Hub-Signature-256", "sha256=", 32, precomputed)
        }
        Some((GithubMac::Sha1, value)) => {
            let precomputed = macs.and_then(|m| m.sha1.as_deref());
            check_one::<Hmac<Sha1>>(secret, body, value, "X-Hub-Signature", "sha1=", 20, precomputed)
        }
        None => Err(AuthFailure::Signature(
            "the delivery is not signed: X-Hub-Signature-256 (or the legacy X-Hub-Signature) is missing".into(),
        )),
    }
}

/// One signature header: `<prefix><hex of len bytes>`, compared with the
/// host's MAC when given, else with the MAC computed here.
fn check_one<M: Mac + hmac::digest::KeyInit>(
    secret: &SecretToken,
    body: &[u8],
    value: &str,
    name: &str,
    prefix: &str,
    len: usize,
    precomputed: Option<&[u8]>,
) -> Result<(), AuthFailure> {
    let given = parse_signature(value, prefix, len).ok_or_else(|| {
        AuthFailure::Signature(format!("{name} is malformed: expected {prefix} and {} hex digits", len * 2))
    })?;
    let ok = match precomputed {
        Some(mac) => constant_time_eq(mac, &given),
        None => verify::<M>(secret, body, &given),
    };
    ok.then_some(()).ok_or_else(|| {
        AuthFailure::Signature(format!("{name} does not match the body signed with the webhook's secret"))
    })
}

fn parse_signature(value: &str, prefix: &str, len: usize) -> Option<Vec<u8>> {
    let hex_digits = value.trim().strip_prefix(prefix)?;
    // Into a buffer of the digest's size: hex::decode's iterator costs more than the rest of
    // the signature check (the MAC itself comes precomputed from the host).
    let mut bytes = vec![0u8; len];
    hex::decode_to_slice(hex_digits, &mut bytes).ok()?;
    Some(bytes)
}

fn verify<M: Mac + hmac::digest::KeyInit>(secret: &SecretToken, body: &[u8], given: &[u8]) -> bool {
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(given).is_ok()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Computes `sha256=<hex>` as GitHub would: for tests, the CLI and the page.
pub fn github_signature_256(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests;
