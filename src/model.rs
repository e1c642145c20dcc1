//! Wire types with the exact names of the AWS CodePipeline service model
//! (`codepipeline-2015-07-09`). No logic lives here: raw input is checked by
//! [`crate::validate`], which is the only way to get a [`crate::ValidWebhook`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the SDKs send to `PutWebhook`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PutWebhookInput {
    pub webhook: WebhookDefinition,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDefinition {
    pub name: String,
    pub target_pipeline: String,
    pub target_action: String,
    pub filters: Vec<WebhookFilterRule>,
    pub authentication: WebhookAuthenticationType,
    pub authentication_configuration: WebhookAuthConfiguration,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFilterRule {
    pub json_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_equals: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookAuthenticationType {
    #[serde(rename = "GITHUB_HMAC")]
    GithubHmac,
    #[serde(rename = "IP")]
    Ip,
    #[serde(rename = "UNAUTHENTICATED")]
    Unauthenticated,
}

impl WebhookAuthenticationType {
    pub const ALL: [&'static str; 3] = ["GITHUB_HMAC", "IP", "UNAUTHENTICATED"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::GithubHmac => "GITHUB_HMAC",
            Self::Ip => "IP",
            Self::Unauthenticated => "UNAUTHENTICATED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GITHUB_HMAC" => Some(Self::GithubHmac),
            "IP" => Some(Self::Ip),
            "UNAUTHENTICATED" => Some(Self::Unauthenticated),
            _ => None,
        }
    }
}

/// `AllowedIPRange` and `SecretToken` are PascalCase on the wire, unlike every other member.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAuthConfiguration {
    #[serde(rename = "AllowedIPRange", default, skip_serializing_if = "Option::is_none")]
    pub allowed_ip_range: Option<String>,
    #[serde(rename = "SecretToken", default, skip_serializing_if = "Option::is_none")]
    pub secret_token: Option<SecretToken>,
}

/// A SecretToken. It serialises as itself (storage needs it) but never shows in
/// `Debug`, so a stray `{:?}` in a log or an error cannot leak it. Responses go
/// through [`crate::redact`], which replaces it with `****`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretToken(pub String);

impl SecretToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(****)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// One webhook as `ListWebhooks` and `PutWebhook` answer it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListWebhookItem {
    pub definition: WebhookDefinition,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Epoch seconds, as AWS JSON 1.1 encodes timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_triggered: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

/// The part of the model's PipelineDeclaration a webhook relies on. Every other
/// member is kept verbatim in `other` so a stored pipeline round-trips unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineDeclaration {
    pub name: String,
    #[serde(default)]
    pub stages: Vec<StageDeclaration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageDeclaration {
    pub name: String,
    #[serde(default)]
    pub actions: Vec<ActionDeclaration>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionDeclaration {
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configuration: BTreeMap<String, String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl PipelineDeclaration {
    /// The action a webhook may target: AWS requires it to be in the first stage.
    pub fn source_action(&self, name: &str) -> Option<&ActionDeclaration> {
        self.stages.first()?.actions.iter().find(|a| a.name == name)
    }
}

/// One of StartPipelineExecution's `variables` (the model's `PipelineVariable`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineVariable {
    pub name: String,
    pub value: String,
}

/// One of StartPipelineExecution's `sourceRevisions` (the model's `SourceRevisionOverride`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRevisionOverride {
    pub action_name: String,
    pub revision_type: String,
    pub revision_value: String,
}
