//! A delivery in, a [`Decision`] (with its trace) out: SPEC §2 steps 2–4.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::auth::{header, AuthFailure, MatchedSecret, PrecomputedMacs, PreviousSecret};
use crate::filter::{json_text, FilterTrace, Tested};
use crate::scan::{NotJson, ScanPlan};
use crate::validate::ValidWebhook;

/// Every request header a decision reads, lower-case. A host may pass only these in
/// [`Delivery::headers`] (the npm package and the Worker do), and gets the same decision as with
/// all of them.
pub const HEADERS_READ: [&str; 3] = [crate::auth::SIGNATURE_256, crate::auth::SIGNATURE_SHA1, CONTENT_TYPE];
const CONTENT_TYPE: &str = "content-type";

/// GitHub's own maximum delivery size; larger bodies are refused unread.
pub const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// What arrived at the webhook URL. Header names are matched case-insensitively.
#[derive(Clone, Copy, Debug, Default)]
pub struct Delivery<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub source_ip: Option<&'a str>,
    /// HMACs of the body computed by the host's native crypto, if it has one.
    pub macs: Option<&'a PrecomputedMacs>,
    /// A GITHUB_HMAC webhook's SecretToken before its last change, while the host
    /// still honours it (a rotation's grace period: the host keeps the time).
    pub previous_secret: Option<PreviousSecret<'a>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Unauthorized,
    Forbidden,
    Filtered,
    Malformed,
}

impl Outcome {
    /// The status a receiver answers the sender with. A filtered delivery is
    /// not the sender's fault, so it gets 200 and no retry.
    pub fn status(self) -> u16 {
        match self {
            Self::Accepted | Self::Filtered => 200,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::Malformed => 400,
        }
    }
}

/// The decision on one delivery, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub status: u16,
    pub reason: String,
    /// Every rule's trace, in definition order (empty when the delivery was
    /// refused before the filters ran).
    pub filters: Vec<FilterTrace>,
    /// The source revision the payload names, for the execution record; one longer than
    /// [`crate::trace::MAX_VALUE_BYTES`] is cut and marked like a selected value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Which SecretToken the signature verified with: GITHUB_HMAC webhooks only,
    /// once authenticated. `Previous` means the sender still signs with the
    /// secret a rotation replaced (and the reason says so).
    #[serde(rename = "matchedSecret", skip_serializing_if = "Option::is_none")]
    pub matched_secret: Option<MatchedSecret>,
}

impl Decision {
    fn refused(outcome: Outcome, reason: String) -> Self {
        Self { outcome, status: outcome.status(), reason, filters: Vec::new(), revision: None, matched_secret: None }
    }
}

/// Appended to the reason of a delivery signed with the previous secret.
const SIGNED_WITH_PREVIOUS: &str = "; signed with the webhook's previous SecretToken, which a rotation replaced";

/// Which decisions carry their rules' traces ([`Decision::filters`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traces {
    /// Every decision: the package, the page and the CLI show why a delivery passed too.
    All,
    /// Only a filtered decision, whose answer explains it: a receiver answering an accepted
    /// delivery with its execution id never reads its traces, so they are never built.
    WhenFiltered,
}

/// The most bytes of JSON a [`Decision`] takes, whatever the delivery: its traces
/// ([`crate::trace`]), `expected` values and revision are bounded, and the reason quotes a few
/// short values. (At most 5 rules of 150-character paths: the definition's own bounds.)
pub const MAX_DECISION_BYTES: usize =
    5 * (crate::trace::MAX_TRACE_BYTES + crate::trace::MAX_VALUE_BYTES + 1024) + crate::trace::MAX_VALUE_BYTES + 4096;

/// Decides a delivery: authenticate, parse, filter. Pure: the caller stores
/// whatever an accepted decision should start.
///
/// When every filter path is definite, the body is scanned once for the values the
/// filters need instead of being parsed into a document ([`crate::scan`]); the decision is
/// the same either way. The plan is built once, at validation ([`ValidWebhook::plan`]).
pub fn evaluate_delivery(
    webhook: &ValidWebhook,
    delivery: &Delivery<'_>,
    action_configuration: &BTreeMap<String, String>,
) -> Decision {
    evaluate_delivery_with_plan(webhook, webhook.plan(), delivery, action_configuration)
}

/// [`evaluate_delivery`], building the rules' traces only for the decisions `traces` names.
pub fn evaluate_delivery_with_traces(
    webhook: &ValidWebhook,
    delivery: &Delivery<'_>,
    action_configuration: &BTreeMap<String, String>,
    traces: Traces,
) -> Decision {
    decide(webhook, webhook.plan(), delivery, action_configuration, traces)
}

/// [`evaluate_delivery`] with the webhook's [`ScanPlan`] built beforehand
/// ([`ValidWebhook::plan`]); `None` parses the whole body into a document (the reference
/// evaluation the scan is tested against).
pub fn evaluate_delivery_with_plan(
    webhook: &ValidWebhook,
    plan: Option<&ScanPlan>,
    delivery: &Delivery<'_>,
    action_configuration: &BTreeMap<String, String>,
) -> Decision {
    decide(webhook, plan, delivery, action_configuration, Traces::All)
}

/// Steps 3 and 4 alone (parse, filter), the delivery's authentication taken as passed: for a
/// host deciding again a delivery it authenticated when it arrived (a redelivery from its log,
/// or the traces of an accepted delivery built after answering it). Only `headers`'
/// content type is read.
pub fn evaluate_authenticated(
    webhook: &ValidWebhook,
    headers: &[(String, String)],
    body: &[u8],
    action_configuration: &BTreeMap<String, String>,
    traces: Traces,
) -> Decision {
    if let Some(too_large) = too_large(body) {
        return too_large;
    }
    let delivery = Delivery { headers, body, ..Default::default() };
    decide_payload(webhook, webhook.plan(), &delivery, action_configuration, traces)
}

/// The decision on a body over [`MAX_BODY_BYTES`].
fn too_large(body: &[u8]) -> Option<Decision> {
    (body.len() > MAX_BODY_BYTES).then(|| Decision {
        status: 413,
        ..Decision::refused(Outcome::Malformed, format!("the body is {} bytes, more than the 25 MB limit", body.len()))
    })
}

fn decide(
    webhook: &ValidWebhook,
    plan: Option<&ScanPlan>,
    delivery: &Delivery<'_>,
    action_configuration: &BTreeMap<String, String>,
    traces: Traces,
) -> Decision {
    if let Some(too_large) = too_large(delivery.body) {
        return too_large;
    }
    let matched_secret = match webhook.auth().authenticate(
        delivery.headers,
        delivery.body,
        delivery.source_ip,
        delivery.macs,
        delivery.previous_secret.as_ref(),
    ) {
        Ok(matched) => matched,
        Err(AuthFailure::Signature(why)) => return Decision::refused(Outcome::Unauthorized, why),
        Err(AuthFailure::Address(why)) => return Decision::refused(Outcome::Forbidden, why),
    };
    let mut decision = decide_payload(webhook, plan, delivery, action_configuration, traces);
    decision.matched_secret = matched_secret;
    if matched_secret == Some(MatchedSecret::Previous) {
        decision.reason.push_str(SIGNED_WITH_PREVIOUS);
    }
    decision
}

/// Steps 3 and 4 of a delivery that authenticated: parse, filter.
fn decide_payload(
    webhook: &ValidWebhook,
    plan: Option<&ScanPlan>,
    delivery: &Delivery<'_>,
    action_configuration: &BTreeMap<String, String>,
    traces: Traces,
) -> Decision {
    let mut payload = match read_payload(plan, delivery.headers, delivery.body, Payload::scanned, Payload::Document) {
        Ok(p) => p,
        Err((status, why)) => return Decision { status, ..Decision::refused(Outcome::Malformed, why) },
    };
    // A secret property (the GitHub action's OAuthToken) is no placeholder: a filter's
    // `expected` is shown to the sender, and a match would tell the sender the secret.
    let public;
    let action_configuration = if action_configuration.keys().any(|k| crate::secrets::is_secret_property_name(k)) {
        public = action_configuration
            .iter()
            .filter(|(k, _)| !crate::secrets::is_secret_property_name(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        &public
    } else {
        action_configuration
    };
    let rules = webhook.filters();
    let tested: Vec<Tested<'_>> = match &mut payload {
        Payload::Document(doc) => rules.iter().map(|f| f.test(doc, action_configuration)).collect(),
        // Each value taken, so the trace moves it rather than copying it.
        Payload::Scanned { selected, .. } => rules
            .iter()
            .zip(selected.iter_mut())
            .map(|(f, value)| f.tested(value.take().map(Cow::Owned).into_iter().collect(), action_configuration))
            .collect(),
    };
    let failed = tested.iter().position(|t| !t.passed);
    let filters: Vec<FilterTrace> = match (failed, traces) {
        (None, Traces::WhenFiltered) => Vec::new(),
        _ => tested.into_iter().map(Tested::into_trace).collect(),
    };
    match failed {
        None => Decision {
            outcome: Outcome::Accepted,
            status: Outcome::Accepted.status(),
            reason: all_passed(rules.len()),
            // Shown like a selected value: the payload may name a revision of any size.
            revision: payload
                .into_revision()
                .map(|r| crate::trace::shown_text(&r, crate::trace::MAX_VALUE_BYTES).unwrap_or(r)),
            filters,
            matched_secret: None,
        },
        Some(i) => Decision {
            outcome: Outcome::Filtered,
            status: Outcome::Filtered.status(),
            reason: explain_failed_rule(i, &filters[i]),
            filters,
            revision: None,
            matched_secret: None,
        },
    }
}

/// The reason of an accepted delivery with `rules` filter rules. (Concatenated: the size-tuned
/// formatting machinery took longer than the rest of a decision's reason and revision.)
fn all_passed(rules: usize) -> String {
    match rules {
        0 => "accepted: the webhook has no filter rules, so every authenticated delivery starts the pipeline".into(),
        1 => "accepted: the filter rule passed".into(),
        n @ 2..=9 => ["accepted: all ", &"0123456789"[n..=n], " filter rules passed"].concat(),
        n => format!("accepted: all {n} filter rules passed"),
    }
}

/// GitHub sends JSON, or with content type `application/x-www-form-urlencoded`
/// the JSON in the form's `payload` field. With a plan, the document is the pruned one
/// [`ScanPlan::scan`] gives; a body the scan refuses is parsed by serde_json for the reason.
pub(crate) fn parse_payload(
    plan: Option<&ScanPlan>,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Value, (u16, String)> {
    read_payload(plan, headers, body, ScanPlan::scan, |doc| doc)
}

/// A delivery's JSON as its rules read it.
enum Payload {
    /// The whole document (a rule with an indefinite path, or no plan).
    Document(Value),
    /// What the single-pass scan found: per filter, the value its definite path selects; and
    /// the source revision.
    Scanned { selected: Vec<Option<Value>>, revision: Option<String> },
}

impl Payload {
    /// The values a plan's paths select in `bytes`, which the scan validated whole.
    fn scanned(plan: &ScanPlan, bytes: &[u8]) -> Result<Payload, NotJson> {
        let spans = plan.scan_spans(bytes)?;
        let mut selected = Vec::with_capacity(plan.filter_slots().len());
        for &slot in plan.filter_slots() {
            selected.push(match spans[slot] {
                Some(span) => Some(span.value(bytes)?),
                None => None,
            });
        }
        // As `revision_in` reads the document: the first of the paths whose value is a string.
        let mut revision = None;
        for &slot in plan.revision_slots() {
            if let Some(span) = spans[slot].filter(|s| bytes[s.start] == b'"') {
                revision = match span.text(bytes) {
                    Some(text) => Some(text.to_owned()),
                    None => Some(serde_json::from_slice(&bytes[span.start..span.end]).map_err(|_| NotJson)?),
                };
                break;
            }
        }
        Ok(Payload::Scanned { selected, revision: revision.filter(|r: &String| !r.is_empty()) })
    }

    fn into_revision(self) -> Option<String> {
        match self {
            Payload::Document(doc) => revision_in(&doc).map(str::to_string),
            Payload::Scanned { revision, .. } => revision,
        }
    }
}

/// The delivery's JSON (see [`parse_payload`]): `scanned` reads it with the plan, `whole` takes
/// the document serde_json parsed where there is no plan or the scan refused the body.
fn read_payload<T>(
    plan: Option<&ScanPlan>,
    headers: &[(String, String)],
    body: &[u8],
    scanned: impl Fn(&ScanPlan, &[u8]) -> Result<T, NotJson>,
    whole: impl FnOnce(Value) -> T,
) -> Result<T, (u16, String)> {
    let is_form = header(headers, CONTENT_TYPE).is_some_and(|ct| {
        ct.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
    });
    let read = |bytes: &[u8], what: &str| match plan.map(|p| scanned(p, bytes)) {
        Some(Ok(payload)) => Ok(payload),
        _ => parse_json(bytes, what).map(whole),
    };
    if is_form {
        let payload = form_urlencoded::parse(body)
            .find(|(k, _)| k == "payload")
            .map(|(_, v)| v.into_owned())
            .ok_or((400, "the form-encoded body has no 'payload' field".to_string()))?;
        read(payload.as_bytes(), "the 'payload' form field")
    } else {
        read(body, "the body")
    }
}

/// The most JSON values a document is built from: a whole-document evaluation (a rule with an
/// indefinite path) holds every value in memory, about 32 to 100 bytes each, and a Worker has
/// 128 MB. GitHub's payloads hold thousands; 25 MB of `[0,0,0,…]` would hold 12 million.
pub const MAX_DOCUMENT_VALUES: usize = 1_000_000;

/// The whole document, refused (413) rather than built when it would hold more than
/// [`MAX_DOCUMENT_VALUES`].
fn parse_json(bytes: &[u8], what: &str) -> Result<Value, (u16, String)> {
    let values = values_at_most(bytes);
    if values > MAX_DOCUMENT_VALUES {
        return Err((
            413,
            format!("{what} holds up to {values} JSON values, more than the {MAX_DOCUMENT_VALUES} a rule with an indefinite path is evaluated on"),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| (400, format!("{what} is not JSON: {e}")))
}

/// An upper bound on the JSON values in `bytes`, without parsing: one, and one more per `,`,
/// `[` and `{` outside strings.
fn values_at_most(bytes: &[u8]) -> usize {
    let (mut values, mut in_string, mut escaped) = (1usize, false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => values += 1,
                _ => {}
            }
        }
    }
    values
}

fn explain_failed_rule(index: usize, trace: &FilterTrace) -> String {
    let rule = format!("filter rule {} ({})", index + 1, trace.json_path);
    if trace.selected_count == 0 {
        return format!("filtered: {rule} selected nothing");
    }
    let selected = describe_selection(&trace.selected, trace.selected_count);
    match &trace.expected {
        Some(expected) => format!("filtered: {rule} expected '{expected}' but selected {selected}"),
        None => format!("filtered: {rule} selected only null"),
    }
}

/// A short rendering of what a rule selected, cut so a huge selection cannot make a huge reason.
/// `total` counts every selected value, including those the trace left out.
fn describe_selection(selected: &[Value], total: usize) -> String {
    const SHOWN: usize = 3;
    const TEXT_MAX: usize = 120;
    let mut parts: Vec<String> = selected
        .iter()
        .take(SHOWN)
        .map(|v| {
            let text = json_text(v);
            let short: String = text.chars().take(TEXT_MAX).collect();
            let cut = if short.len() < text.len() { "…" } else { "" };
            format!("'{short}{cut}'")
        })
        .collect();
    if total > parts.len() {
        parts.push(format!("and {} more", total - parts.len()));
    }
    parts.join(", ")
}

/// The source revision a payload names: a push's `after`, a pull request's
/// head commit, a release's tag, a workflow run's head commit, or a ref.
pub fn source_revision(payload: &Value) -> Option<String> {
    revision_in(payload).map(str::to_string)
}

fn revision_in(payload: &Value) -> Option<&str> {
    // Member by member rather than Value::pointer, which re-splits and unescapes the pointer text
    // on every delivery; the same list the scan plan keeps values for.
    crate::scan::REVISION_PATHS
        .iter()
        .find_map(|path| path.iter().try_fold(payload, |v, name| v.get(*name)).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests;
