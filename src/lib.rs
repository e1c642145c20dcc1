//! pipehook: AWS CodePipeline webhooks (PutWebhook) as a pure library.
//!
//! - [`validate_put_webhook`] turns raw PutWebhook input into a [`ValidWebhook`]
//!   or every [`Problem`] at once, each with its AWS exception and path.
//! - [`evaluate_delivery`] decides a delivery (authentication, body, filters)
//!   and explains the decision.
//! - [`dispatch`] is what an accepted delivery hands to real work (a pipeline's
//!   `pipehook:dispatch` target): tags, variables, messages, signatures, outcomes.
//!
//! No I/O, storage or clock: callers pass them in.

pub mod auth;
pub mod delivery;
pub mod dispatch;
pub mod filter;
pub use pipehook_jsonpath as jsonpath;
pub mod model;
pub mod pipeline;
pub mod problem;
pub mod redact;
pub mod scan;
pub mod start;
pub mod secrets;
pub mod trace;
pub mod validate;
pub mod wire;
#[cfg(test)]
mod test_support;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use auth::{MatchedSecret, PreviousSecret};
pub use delivery::{
    evaluate_authenticated, evaluate_delivery, evaluate_delivery_with_traces, source_revision, Decision, Delivery, Outcome, Traces, HEADERS_READ,
};
pub use filter::FilterTrace;
pub use model::*;
pub use problem::{aws_error, Problem, ProblemKind};
pub use redact::{redact, REDACTED};
pub use validate::{
    validate_document, validate_put_webhook, validate_tags, validate_text, validate_webhook_definition, ValidPutWebhook,
    ValidWebhook,
};
