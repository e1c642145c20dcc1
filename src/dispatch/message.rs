//! The queue message an accepted delivery hands over, and what it becomes at the target: the
//! `StartPipelineExecution` input (AWS JSON 1.1) or the HTTP POST's JSON body.
//!
//! The message carries everything the start needs, so the consumer reads nothing but the
//! execution record it updates; it carries no secret (the consumer takes the credentials and the
//! signing secret from the Worker's own secrets).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::target::AwsPipeline;
use crate::model::PipelineVariable;

/// The message format's version, so a consumer can tell a message it does not know.
pub const MESSAGE_VERSION: u32 = 1;
/// The longest `X-GitHub-Event` forwarded (GitHub's event names are short words).
const MAX_EVENT: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DispatchMessage {
    pub version: u32,
    pub execution: ExecutionRef,
    /// The `pipehook:dispatch` value as it was when the delivery was accepted.
    pub target: String,
    pub start: StartDetails,
}

/// Where the execution record is: enough to name its key without a lookup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRef {
    pub pipeline: String,
    pub incarnation: String,
    pub id: String,
    pub started_ms: u64,
}

/// What the start says about the delivery that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartDetails {
    pub webhook_name: String,
    pub webhook_arn: String,
    /// The execution's `triggerDetail` when it is not the webhook ARN: a redelivery from the
    /// delivery log names itself there (absent from messages sent before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The webhook's target action (a source action of the pipeline's first stage).
    pub source_action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_revision: Option<String>,
    /// pipehook's copy of the pipeline is `pipelineType: V2` (source revision overrides are V2's).
    #[serde(default)]
    pub v2: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<PipelineVariable>,
}

/// `X-GitHub-Event` as forwarded: trimmed, non-empty, at most 64 bytes of visible ASCII.
pub fn event_name(header: Option<&str>) -> Option<&str> {
    let e = header?.trim();
    (!e.is_empty() && e.len() <= MAX_EVENT && e.bytes().all(|b| b.is_ascii_graphic())).then_some(e)
}

/// A full Git commit id (SHA-1 or SHA-256 hex), and not the all-zero id a deleted branch's push
/// carries: the only revisions sent as a `COMMIT_ID` override (a tag name or a ref is not one).
pub fn is_commit_id(revision: &str) -> bool {
    matches!(revision.len(), 40 | 64)
        && revision.bytes().all(|b| b.is_ascii_hexdigit())
        && revision.bytes().any(|b| b != b'0')
}

impl DispatchMessage {
    /// The `StartPipelineExecution` input: the ARN's pipeline, the execution id as
    /// `clientRequestToken` (AWS answers a repeated token with the execution it started), the
    /// variables when there are any, and, for a V2 pipeline whose revision is a commit, the
    /// source revision of the webhook's target action.
    pub fn aws_start_input(&self, pipeline: &AwsPipeline) -> Value {
        let mut input = json!({"name": pipeline.name, "clientRequestToken": self.execution.id});
        if !self.start.variables.is_empty() {
            input["variables"] = json!(self.start.variables);
        }
        if let Some(revision) = self.source_revision_override() {
            input["sourceRevisions"] = json!([{
                "actionName": self.start.source_action,
                "revisionType": "COMMIT_ID",
                "revisionValue": revision,
            }]);
        }
        input
    }

    fn source_revision_override(&self) -> Option<&str> {
        let revision = self.start.source_revision.as_deref()?;
        (self.start.v2 && is_commit_id(revision)).then_some(revision)
    }

    /// The HTTP POST's body, compact JSON. Absent facts are `null`, so receivers find every
    /// member; `variables` is an object of name to value.
    pub fn http_body(&self) -> String {
        let s = &self.start;
        let variables: Map<String, Value> =
            s.variables.iter().map(|v| (v.name.clone(), Value::String(v.value.clone()))).collect();
        json!({
            "pipelineName": self.execution.pipeline,
            "pipelineExecutionId": self.execution.id,
            "webhookName": s.webhook_name,
            "webhookArn": s.webhook_arn,
            "deliveryId": s.delivery_id,
            "event": s.event,
            "sourceRevision": s.source_revision,
            "variables": variables,
            "trigger": {"triggerType": "Webhook", "triggerDetail": s.trigger_detail.as_ref().unwrap_or(&s.webhook_arn)},
        })
        .to_string()
    }
}
