//! A delivery in, a Decision (with its trace) out. (stub)

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::filter::FilterTrace;
use crate::validate::ValidWebhook;

/// What arrived at the webhook URL. Header names are matched case-insensitively.
pub struct Delivery<'a> {
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
    pub source_ip: Option<&'a str>,
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

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub status: u16,
    pub reason: String,
    pub filters: Vec<FilterTrace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

pub fn evaluate_delivery(
    webhook: &ValidWebhook,
    delivery: &Delivery<'_>,
    action_configuration: &BTreeMap<String, String>,
) -> Decision {
    let _ = (webhook, delivery, action_configuration);
    Decision { outcome: Outcome::Malformed, status: 400, reason: String::new(), filters: vec![], revision: None }
}

/// The source revision a payload names (a push's `after`, a pull request's head sha, …).
pub fn source_revision(payload: &Value) -> Option<String> {
    let _ = payload;
    None
}
