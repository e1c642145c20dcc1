//! A pipeline's `pipehook:` tags: checked when they are set (CreatePipeline `tags`,
//! TagResource, on the pipeline's whole tag list after the merge), and read into the
//! [`DispatchSettings`] a delivery uses.
//!
//! - `pipehook:dispatch`: the target ([`super::target`]);
//! - `pipehook:variable:<Name>`: a JSONPath (the filters' dialect and bounds) whose selection
//!   becomes pipeline variable `<Name>` (`[A-Za-z0-9@\-_]+`, at most 50 variables, as the
//!   service model's `PipelineVariableList` says);
//! - any other key starting with `pipehook:` is refused, so a misspelt key is an error rather
//!   than a tag that silently does nothing; and so is any `pipehook:` tag on a webhook
//!   ([`check_webhook_tags`]: PutWebhook, TagResource).

use serde::{Deserialize, Serialize};

use super::target::{DispatchTarget, ALLOWED_FORMS};
use super::variables::{check_variable_path, MAX_VARIABLES, VARIABLE_NAME_MAX};
use crate::model::Tag;
use crate::problem::{Problem, ProblemKind};

pub const DISPATCH_TAG: &str = "pipehook:dispatch";
pub const VARIABLE_TAG_PREFIX: &str = "pipehook:variable:";
const NAMESPACE: &str = "pipehook:";

/// What a delivery needs of a pipeline's dispatch tags, as kept in its delivery view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchSettings {
    /// The `pipehook:dispatch` value.
    pub target: String,
    /// The `pipehook:variable:` tags in tag order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<VariableTag>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableTag {
    pub name: String,
    pub path: String,
}

/// Every problem with a pipeline's `pipehook:` tags (InvalidTagsException), in tag order.
pub fn check_pipeline_tags(tags: &[Tag], path: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let invalid = |message: String| Problem::new(ProblemKind::InvalidTags, path, message);
    let mut variables = 0;
    for tag in tags {
        let (key, value) = (tag.key.as_str(), tag.value.as_str());
        if key == DISPATCH_TAG {
            if let Err(why) = DispatchTarget::parse(value) {
                problems.push(invalid(format!(
                    "Tag '{DISPATCH_TAG}' has value '{}', which is not a dispatch target: {why}. It must be {ALLOWED_FORMS}",
                    shown(value)
                )));
            }
        } else if let Some(name) = key.strip_prefix(VARIABLE_TAG_PREFIX) {
            variables += 1;
            if !is_variable_name(name) {
                problems.push(invalid(format!(
                    "Tag '{}' does not name a pipeline variable: the name after '{VARIABLE_TAG_PREFIX}' must be 1 to {VARIABLE_NAME_MAX} characters of [A-Za-z0-9@\\-_]",
                    shown(key)
                )));
            }
            if let Err(why) = check_variable_path(value) {
                problems.push(invalid(format!(
                    "Tag '{}' has value '{}', which is not a JSONPath for the variable: {why}",
                    shown(key),
                    shown(value)
                )));
            }
        } else if key.starts_with(NAMESPACE) {
            problems.push(invalid(format!(
                "Tag '{}' is not a pipehook tag: pipehook reads '{DISPATCH_TAG}' (where executions start) and '{VARIABLE_TAG_PREFIX}<Name>' (a JSONPath per pipeline variable)",
                shown(key)
            )));
        }
    }
    if variables > MAX_VARIABLES {
        problems.push(invalid(format!(
            "The pipeline would have {variables} '{VARIABLE_TAG_PREFIX}' tags; StartPipelineExecution takes at most {MAX_VARIABLES} variables"
        )));
    }
    problems
}

/// A webhook's tags must not be `pipehook:` tags: dispatch is configured on the pipeline a
/// webhook targets, and such a tag on a webhook would silently do nothing.
pub fn check_webhook_tags(tags: &[Tag], path: &str) -> Vec<Problem> {
    tags.iter()
        .filter(|t| t.key.starts_with(NAMESPACE))
        .map(|t| {
            Problem::new(
                ProblemKind::InvalidTags,
                path,
                format!(
                    "Tag '{}' is a pipehook tag, which goes on the webhook's target pipeline (arn:aws:codepipeline:<region>:<account>:<pipeline>), not on a webhook",
                    shown(&t.key)
                ),
            )
        })
        .collect()
}

/// The dispatch settings of a pipeline's (checked) tags; `None` without a `pipehook:dispatch` tag.
pub fn dispatch_settings(tags: &[Tag]) -> Option<DispatchSettings> {
    let target = tags.iter().find(|t| t.key == DISPATCH_TAG)?.value.clone();
    let variables = tags
        .iter()
        .filter_map(|t| {
            let name = t.key.strip_prefix(VARIABLE_TAG_PREFIX)?;
            Some(VariableTag { name: name.to_string(), path: t.value.clone() })
        })
        .collect();
    Some(DispatchSettings { target, variables })
}

/// The model's `PipelineVariableName`: 1..128 characters of `[A-Za-z0-9@\-_]`.
pub fn is_variable_name(name: &str) -> bool {
    (1..=VARIABLE_NAME_MAX).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'-' | b'_'))
}

/// A value as an error message quotes it: at most 300 characters (tag values are at most 256).
fn shown(s: &str) -> String {
    s.chars().take(300).collect()
}
