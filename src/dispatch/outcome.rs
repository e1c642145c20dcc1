//! What a target's answer means, when to try again, and what the execution record says.
//!
//! - a 2xx answer: delivered (`Succeeded`);
//! - 408, 429, any 5xx, a time-out or a network error, and AWS's own "try again" errors (its
//!   JSON protocol answers throttling and conflicts with HTTP 400 and an error type): retried,
//!   at most [`MAX_ATTEMPTS`] attempts in all, after [`retry_delay_s`] (2, 4, 8, 16 s with the
//!   default base);
//! - anything else (another 4xx, a redirect, which is not followed), or the last attempt
//!   failing: given up (`Failed`).
//!
//! Every text here may reach the record and the API: target answers are passed through
//! [`scrub`] first, and summaries are cut to [`SUMMARY_MAX`] characters.

use serde_json::Value;

use super::target::DispatchTarget;

/// Attempts at a target, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
/// `DISPATCH_RETRY_BASE_S` when unset: delays of 2, 4, 8 and 16 seconds.
pub const DEFAULT_RETRY_BASE_S: u32 = 2;
/// Cloudflare Queues' longest retry delay (12 hours).
const MAX_DELAY_S: u32 = 43_200;
/// The longest `statusSummary`: the listing keeps it in KV metadata, 1 KB with the rest.
pub const SUMMARY_MAX: usize = 280;
/// The most of a target's answer quoted in a reason.
const QUOTED_MAX: usize = 120;
/// AWS error types that mean "not now" rather than "no" (the JSON protocol answers them with 400).
const AWS_TRY_AGAIN: [&str; 8] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "ConflictException",
    "ConcurrentPipelineExecutionsLimitExceededException",
    "ServiceUnavailableException",
];

/// The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed:
/// `base · 2^(attempt−1)` seconds.
pub fn retry_delay_s(base: u32, attempt: u32) -> u32 {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    base.saturating_mul(factor).min(MAX_DELAY_S)
}

/// What came back from one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The target answered; `body` is the start of its answer, already [`scrub`]bed.
    Status { status: u16, body: String },
    TimedOut,
    /// The request did not complete (refused, reset, DNS, TLS), with the runtime's reason.
    Network(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The target accepted the start; for AWS, the execution id it answered.
    Delivered { status: u16, aws_execution_id: Option<String> },
    Retry(String),
    GiveUp(String),
}

/// Judges one attempt's answer.
pub fn judge(target: &DispatchTarget, answer: &Answer) -> Verdict {
    let (status, body) = match answer {
        Answer::TimedOut => return Verdict::Retry("no answer within 10 s".into()),
        Answer::Network(why) => return Verdict::Retry(format!("network error: {}", quoted(why))),
        Answer::Status { status, body } => (*status, body.as_str()),
    };
    let aws = matches!(target, DispatchTarget::Aws(_));
    if (200..300).contains(&status) {
        let aws_execution_id = if aws { json_member(body, "pipelineExecutionId") } else { None };
        return Verdict::Delivered { status, aws_execution_id };
    }
    let error_type = if aws { aws_error_type(body) } else { None };
    let reason = match &error_type {
        Some(t) => match json_member(body, "message").or_else(|| json_member(body, "Message")) {
            Some(m) => format!("HTTP {status} {t}: {}", quoted(&m)),
            None => format!("HTTP {status} {t}"),
        },
        None if body.trim().is_empty() => format!("HTTP {status}"),
        None => format!("HTTP {status}: {}", quoted(body.trim())),
    };
    let try_again = matches!(status, 408 | 429 | 500..=599)
        || error_type.as_deref().is_some_and(|t| AWS_TRY_AGAIN.contains(&t));
    if try_again {
        Verdict::Retry(reason)
    } else if (300..400).contains(&status) {
        Verdict::GiveUp(format!("{reason} (redirects are not followed)"))
    } else {
        Verdict::GiveUp(reason)
    }
}

/// The error type of an AWS JSON error answer (`__type`, without any `namespace#` prefix).
fn aws_error_type(body: &str) -> Option<String> {
    let t = json_member(body, "__type")?;
    let t = t.rsplit('#').next().unwrap_or(&t);
    let t = t.split(':').next().unwrap_or(t).trim();
    (!t.is_empty()).then(|| quoted(t))
}

fn json_member(body: &str, name: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    v.get(name)?.as_str().map(str::to_string)
}

/// At most [`QUOTED_MAX`] characters of a target's text, on one line.
fn quoted(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cut(&one_line, QUOTED_MAX)
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// `text` with every occurrence of each secret (those of 4 characters or more) replaced by
/// `****`: a target's answer may echo what it was sent.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, crate::REDACTED);
        }
    }
    out
}

/// `statusSummary` texts: what became of the start, for `GetPipelineExecution` and the listing.
pub mod summary {
    use super::{cut, DispatchTarget, MAX_ATTEMPTS, SUMMARY_MAX};

    fn what(target: &DispatchTarget) -> String {
        match target {
            DispatchTarget::Aws(p) => format!("StartPipelineExecution of {}", p.arn),
            DispatchTarget::Http(_) => target.describe(),
        }
    }

    pub fn queued(target: &DispatchTarget) -> String {
        cut(&format!("Queued: {}", what(target)), SUMMARY_MAX)
    }

    pub fn retrying(target: &DispatchTarget, attempt: u32, reason: &str, delay_s: u32) -> String {
        cut(
            &format!("Attempt {attempt} of {MAX_ATTEMPTS} failed ({reason}); next attempt in {delay_s} s: {}", what(target)),
            SUMMARY_MAX,
        )
    }

    pub fn delivered(target: &DispatchTarget, attempt: u32, status: u16, aws_execution_id: Option<&str>) -> String {
        let text = match (target, aws_execution_id) {
            (DispatchTarget::Aws(p), Some(id)) => format!("Started {} as AWS execution {id} (attempt {attempt})", p.arn),
            (DispatchTarget::Aws(p), None) => format!("Started {} (HTTP {status}, attempt {attempt})", p.arn),
            (DispatchTarget::Http(_), _) => format!("Delivered: {} answered HTTP {status} (attempt {attempt})", what(target)),
        };
        cut(&text, SUMMARY_MAX)
    }

    /// Given up at attempt `attempt`: after the last one, or at once for an answer not retried.
    pub fn failed(target: &DispatchTarget, attempt: u32, reason: &str, last_of_retries: bool) -> String {
        let text = if last_of_retries {
            format!("Failed after {attempt} attempts ({reason}): {}", what(target))
        } else {
            format!("Failed ({reason}, not retried) at attempt {attempt}: {}", what(target))
        };
        cut(&text, SUMMARY_MAX)
    }

    /// Not attempted at all (the Worker's configuration, the delivery's variables).
    pub fn not_started(target: Option<&DispatchTarget>, reason: &str) -> String {
        let text = match target {
            Some(t) => format!("Not started ({reason}): {}", what(t)),
            None => format!("Not started ({reason})"),
        };
        cut(&text, SUMMARY_MAX)
    }
}
