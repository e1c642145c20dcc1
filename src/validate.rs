//! PutWebhook input -> ValidWebhook, or every Problem. (stub; being implemented)

use serde_json::Value;

use crate::auth::Authenticator;
use crate::filter::CompiledFilter;
use crate::model::{PipelineDeclaration, Tag, WebhookDefinition};
use crate::problem::Problem;

/// A webhook definition that passed every check, with its filters compiled and
/// its authentication parsed. The only way to build one is validation.
#[derive(Clone, Debug)]
pub struct ValidWebhook {
    definition: WebhookDefinition,
    auth: Authenticator,
    filters: Vec<CompiledFilter>,
}

impl ValidWebhook {
    pub fn definition(&self) -> &WebhookDefinition {
        &self.definition
    }
    pub fn name(&self) -> &str {
        &self.definition.name
    }
    pub fn auth(&self) -> &Authenticator {
        &self.auth
    }
    pub fn filters(&self) -> &[CompiledFilter] {
        &self.filters
    }
}

#[derive(Clone, Debug)]
pub struct ValidPutWebhook {
    pub webhook: ValidWebhook,
    pub tags: Vec<Tag>,
}

/// Checks a whole PutWebhook input (`{"webhook": …, "tags": […]}`).
pub fn validate_put_webhook(
    input: &Value,
    pipeline: Option<&PipelineDeclaration>,
) -> Result<ValidPutWebhook, Vec<Problem>> {
    let _ = (input, pipeline);
    Err(vec![Problem::missing("webhook")])
}

/// Checks a bare WebhookDefinition, reporting paths under `webhook`.
pub fn validate_webhook_definition(
    definition: &Value,
    pipeline: Option<&PipelineDeclaration>,
) -> Result<ValidWebhook, Vec<Problem>> {
    let _ = (definition, pipeline);
    Err(vec![Problem::missing("webhook")])
}
