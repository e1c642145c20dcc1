//! Dispatch: what an accepted delivery hands to real work, as plain data and pure functions.
//!
//! A pipeline tagged `pipehook:dispatch` has each execution a delivery starts handed to a
//! target: a real AWS CodePipeline (`StartPipelineExecution`) or a signed HTTP POST. This module
//! holds everything about that which needs no I/O, so the Worker only enqueues, consumes, fetches
//! and stores:
//!
//! - [`target`]: the `pipehook:dispatch` tag value, parsed (a pipeline ARN or a URL);
//! - [`tags`]: a pipeline's tags checked when they are set, and the dispatch settings they give;
//! - [`variables`]: `pipehook:variable:<Name>` JSONPaths compiled with the filter engine and
//!   selecting values from a payload;
//! - [`message`]: the queue message, the `StartPipelineExecution` input and the HTTP body;
//! - [`signature`]: the Standard Webhooks signature of the HTTP POST;
//! - [`outcome`]: what a target's answer means (delivered, retried, given up), the retry delays,
//!   and the `statusSummary` texts;
//! - [`execution_id_for_delivery`]: the execution id a delivery with `X-GitHub-Delivery` gets.
//!
//! ```
//! use pipehook::dispatch::{execution_id_for_delivery, DispatchTarget};
//! let arn = "arn:aws:codepipeline:us-east-1:123456789012:webhook:app";
//! let id = execution_id_for_delivery(arn, "token", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
//! assert_eq!(id, execution_id_for_delivery(arn, "token", "72d3162e-cc78-11e3-81ab-4c9367dc0958"));
//! assert_eq!(&id[14..15], "8");
//! assert!(matches!(DispatchTarget::parse("https://ci.example.com/hook"), Ok(DispatchTarget::Http(_))));
//! ```

pub mod message;
pub mod outcome;
pub mod signature;
pub mod tags;
pub mod target;
pub mod variables;

use sha2::{Digest, Sha256};

pub use message::{DispatchMessage, ExecutionRef, StartDetails};
pub use outcome::{Answer, Verdict, MAX_ATTEMPTS};
pub use signature::SigningKey;
pub use tags::{check_pipeline_tags, dispatch_settings, DispatchSettings, VariableTag};
pub use target::{AwsPipeline, DispatchTarget};
pub use variables::{CompiledVariables, VariableError};

/// The longest `X-GitHub-Delivery` taken as a delivery's identity (GitHub's are 36-character
/// GUIDs); a longer value is treated as absent, so it neither names an execution nor is forwarded.
pub const MAX_DELIVERY_ID: usize = 128;

/// The execution id of a delivery that carries `X-GitHub-Delivery`: the same for every copy of
/// the delivery to the same webhook (GitHub's *Redeliver* sends the same id), different for any
/// other delivery, webhook or webhook incarnation (`token` is the webhook URL's token, new when a
/// webhook is deleted and created again).
///
/// A version 8 UUID (RFC 9562, "custom") from SHA-256 of the three: it is also the AWS
/// `clientRequestToken` and the HTTP `webhook-id`, so targets can deduplicate by it.
pub fn execution_id_for_delivery(webhook_arn: &str, token: &str, delivery_id: &str) -> String {
    let mut hash = Sha256::new();
    for part in ["pipehook execution v1", webhook_arn, token, delivery_id] {
        // Length-prefixed, so no two triples hash the same input.
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// `X-GitHub-Delivery` as a delivery identity: trimmed, non-empty, at most [`MAX_DELIVERY_ID`]
/// bytes of visible ASCII; `None` otherwise.
pub fn delivery_id(header: Option<&str>) -> Option<&str> {
    let id = header?.trim();
    let ok = !id.is_empty() && id.len() <= MAX_DELIVERY_ID && id.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(id)
}

#[cfg(test)]
mod tests;
