//! PutWebhook input -> [`ValidWebhook`], or every [`Problem`] at once.
//!
//! Validation reads raw JSON rather than a deserialised struct so that a wrong
//! type, a missing member and a bad value are all reported with their path,
//! instead of the first serde error hiding the rest. One function per section
//! of the input; each pushes what it finds and returns the typed value when
//! its own part is sound.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::auth::{parse_ip_range, Authenticator};
use crate::filter::{compile_path, placeholders, CompiledFilter};
use crate::model::{
    PipelineDeclaration, SecretToken, Tag, WebhookAuthConfiguration, WebhookAuthenticationType,
    WebhookDefinition, WebhookFilterRule,
};
use crate::problem::{Problem, ProblemKind};
use crate::scan::ScanPlan;

/// A webhook definition that passed every check, with its filters compiled and
/// its authentication parsed. Validation is the only way to build one.
#[derive(Clone, Debug)]
pub struct ValidWebhook {
    definition: WebhookDefinition,
    auth: Authenticator,
    filters: Vec<CompiledFilter>,
    /// The single-pass selection plan, when every filter path is definite:
    /// built here, once, so no caller re-plans per delivery.
    plan: Option<ScanPlan>,
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
    pub fn plan(&self) -> Option<&ScanPlan> {
        self.plan.as_ref()
    }
}

/// A whole PutWebhook input that passed every check.
#[derive(Clone, Debug)]
pub struct ValidPutWebhook {
    pub webhook: ValidWebhook,
    pub tags: Vec<Tag>,
}

const NAME_PATTERN: &str = r"[A-Za-z0-9.@\-_]+";
const NAME_MAX: usize = 100;
const MAX_FILTERS: usize = 5;
const FILTER_TEXT_MAX: usize = 150;
const AUTH_VALUE_MAX: usize = 100;
const MAX_TAGS: usize = 50;
const TAG_KEY_MAX: usize = 128;
const TAG_VALUE_MAX: usize = 256;
/// Values are echoed whole, as AWS does, up to this length; longer ones are cut
/// so that a 25 MB name does not give a 25 MB error. Every model limit is far below it.
const ECHO_MAX: usize = 1024;

/// Checks a whole PutWebhook input (`{"webhook": …, "tags": […]}`).
/// With a pipeline it also checks what the API checks against storage:
/// the pipeline's name, the target action and `{Key}` placeholders.
pub fn validate_put_webhook(
    input: &Value,
    pipeline: Option<&PipelineDeclaration>,
) -> Result<ValidPutWebhook, Vec<Problem>> {
    let mut problems = Vec::new();
    let Some(root) = expect_object(input, "", &mut problems) else {
        return Err(problems);
    };
    let webhook = match root.get("webhook") {
        None | Some(Value::Null) => {
            problems.push(Problem::missing("webhook"));
            None
        }
        Some(v) => check_definition(v, "webhook", pipeline, &mut problems),
    };
    let tags = check_tags(root.get("tags"), "tags", &mut problems);
    problems.extend(crate::dispatch::tags::check_webhook_tags(&tags, "tags"));
    finish(problems, || ValidPutWebhook { webhook: webhook.expect("no problems"), tags })
}

/// Checks JSON text as a user might paste it: a PutWebhook input, or a bare
/// WebhookDefinition (treated as `{"webhook": it}`). Text that is not JSON
/// gives one SerializationException with serde_json's line and column.
pub fn validate_text(text: &str, pipeline: Option<&PipelineDeclaration>) -> Result<ValidPutWebhook, Vec<Problem>> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => validate_document(&value, pipeline),
        Err(e) => Err(vec![Problem::new(ProblemKind::Serialization, "", format!("The input is not valid JSON: {e}"))]),
    }
}

/// A PutWebhook input, or a bare WebhookDefinition recognised by its members.
pub fn validate_document(value: &Value, pipeline: Option<&PipelineDeclaration>) -> Result<ValidPutWebhook, Vec<Problem>> {
    const DEFINITION_MEMBERS: [&str; 6] =
        ["name", "targetPipeline", "targetAction", "filters", "authentication", "authenticationConfiguration"];
    let is_bare = value.as_object().is_some_and(|o| {
        !o.contains_key("webhook") && DEFINITION_MEMBERS.iter().any(|m| o.contains_key(*m))
    });
    if is_bare {
        validate_webhook_definition(value, pipeline).map(|webhook| ValidPutWebhook { webhook, tags: Vec::new() })
    } else {
        validate_put_webhook(value, pipeline)
    }
}

/// Checks a bare WebhookDefinition, reporting paths under `webhook`.
/// This is also how a stored definition is compiled again.
pub fn validate_webhook_definition(
    definition: &Value,
    pipeline: Option<&PipelineDeclaration>,
) -> Result<ValidWebhook, Vec<Problem>> {
    let mut problems = Vec::new();
    let webhook = check_definition(definition, "webhook", pipeline, &mut problems);
    finish(problems, || webhook.expect("no problems"))
}

/// Every problem found, model constraints first (as AWS checks them), or the value.
pub(crate) fn finish<T>(mut problems: Vec<Problem>, value: impl FnOnce() -> T) -> Result<T, Vec<Problem>> {
    if problems.is_empty() {
        Ok(value())
    } else {
        problems.sort_by_key(|p| p.kind); // stable: document order within a kind
        Err(problems)
    }
}

fn check_definition(
    value: &Value,
    path: &str,
    pipeline: Option<&PipelineDeclaration>,
    problems: &mut Vec<Problem>,
) -> Option<ValidWebhook> {
    let before = problems.len();
    let def = expect_object(value, path, problems)?;
    let member = |name: &str| format!("{path}.{name}");

    let name = check_name(def.get("name"), &member("name"), problems);
    let target_pipeline = check_name(def.get("targetPipeline"), &member("targetPipeline"), problems);
    let target_action = check_name(def.get("targetAction"), &member("targetAction"), problems);
    let filters = check_filters(def.get("filters"), &member("filters"), problems);
    let authentication = check_authentication(def.get("authentication"), &member("authentication"), problems);
    let (configuration, auth) = check_auth_configuration(
        def.get("authenticationConfiguration"),
        authentication,
        &member("authenticationConfiguration"),
        problems,
    );
    if let Some(pipeline) = pipeline {
        check_against_pipeline(
            pipeline,
            target_pipeline.as_deref(),
            target_action.as_deref(),
            filters.as_deref(),
            path,
            problems,
        );
    }
    if problems.len() != before {
        return None;
    }
    let filters = filters?;
    Some(ValidWebhook {
        definition: WebhookDefinition {
            name: name?,
            target_pipeline: target_pipeline?,
            target_action: target_action?,
            filters: filters.iter().map(|f| f.rule.clone()).collect(),
            authentication: authentication?,
            authentication_configuration: configuration?,
        },
        auth: auth?,
        plan: ScanPlan::for_filters(&filters),
        filters,
    })
}

/// `name`, `targetPipeline`, `targetAction`: 1..100 characters of `[A-Za-z0-9.@\-_]`.
fn check_name(value: Option<&Value>, path: &str, problems: &mut Vec<Problem>) -> Option<String> {
    let s = required_string(value, path, problems)?;
    let mut ok = check_length(s, path, 1, NAME_MAX, false, problems);
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_')) || s.is_empty() {
        problems.push(Problem::constraint(
            path,
            Some(&echo(s)),
            &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
        ));
        ok = false;
    }
    ok.then(|| s.to_string())
}

fn check_filters(
    value: Option<&Value>,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<Vec<CompiledFilter>> {
    let items = match value {
        None | Some(Value::Null) => {
            problems.push(Problem::missing(path));
            return None;
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.push(wrong_type(path, other, "a list"));
            return None;
        }
    };
    let before = problems.len();
    if items.len() > MAX_FILTERS {
        problems.push(Problem::constraint(
            path,
            Some(&format!("[{} rules]", items.len())),
            &format!("Member must have length less than or equal to {MAX_FILTERS}"),
        ));
    }
    let compiled: Vec<Option<CompiledFilter>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| check_filter_rule(item, &format!("{path}[{i}]"), problems))
        .collect();
    if problems.len() != before {
        return None;
    }
    compiled.into_iter().collect()
}

fn check_filter_rule(value: &Value, path: &str, problems: &mut Vec<Problem>) -> Option<CompiledFilter> {
    let rule = expect_object(value, path, problems)?;
    let json_path_at = format!("{path}.jsonPath");
    let match_at = format!("{path}.matchEquals");

    let compiled = required_string(rule.get("jsonPath"), &json_path_at, problems).and_then(|jp| {
        if !check_length(jp, &json_path_at, 1, FILTER_TEXT_MAX, false, problems) {
            return None;
        }
        match compile_path(jp) {
            Ok(c) => Some((jp.to_string(), c)),
            Err(e) => {
                problems.push(
                    Problem::new(
                        ProblemKind::InvalidWebhookFilterPattern,
                        &json_path_at,
                        format!("JsonPath '{}' at '{json_path_at}' is not valid at column {}: {}", echo(jp), e.column, e.reason),
                    )
                    .at_column(e.column),
                );
                None
            }
        }
    });
    let match_equals = match rule.get("matchEquals") {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(m)) => {
            check_length(m, &match_at, 1, FILTER_TEXT_MAX, false, problems).then(|| Some(m.clone()))
        }
        Some(other) => {
            problems.push(wrong_type(&match_at, other, "a string"));
            None
        }
    };
    let (json_path, path) = compiled?;
    Some(CompiledFilter { rule: WebhookFilterRule { json_path, match_equals: match_equals? }, path })
}

fn check_authentication(
    value: Option<&Value>,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Option<WebhookAuthenticationType> {
    let s = required_string(value, path, problems)?;
    let parsed = WebhookAuthenticationType::parse(s);
    if parsed.is_none() {
        problems.push(Problem::constraint(
            path,
            Some(&echo(s)),
            &format!("Member must satisfy enum value set: [{}]", WebhookAuthenticationType::ALL.join(", ")),
        ));
    }
    parsed
}

/// The configuration must fit the authentication type exactly: AWS refuses a
/// SecretToken on an IP webhook as firmly as a missing one on GITHUB_HMAC.
fn check_auth_configuration(
    value: Option<&Value>,
    authentication: Option<WebhookAuthenticationType>,
    path: &str,
    problems: &mut Vec<Problem>,
) -> (Option<WebhookAuthConfiguration>, Option<Authenticator>) {
    let config = match value {
        None | Some(Value::Null) => {
            problems.push(Problem::missing(path));
            return (None, None);
        }
        Some(v) => match expect_object(v, path, problems) {
            Some(c) => c,
            None => return (None, None),
        },
    };
    let token_at = format!("{path}.SecretToken");
    let range_at = format!("{path}.AllowedIPRange");
    let before = problems.len();

    for key in config.keys().filter(|k| *k != "SecretToken" && *k != "AllowedIPRange") {
        let hint = match key.to_ascii_lowercase().as_str() {
            "secrettoken" => " (did you mean 'SecretToken'? it is PascalCase on the wire)",
            "allowediprange" => " (did you mean 'AllowedIPRange'? it is PascalCase on the wire)",
            _ => "",
        };
        problems.push(Problem::new(
            ProblemKind::InvalidWebhookAuthenticationParameters,
            format!("{path}.{key}"),
            format!("'{}' is not a property of authenticationConfiguration{hint}", echo(key)),
        ));
    }

    // Lengths are model constraints (ValidationException) whatever the type.
    let token = optional_string(config.get("SecretToken"), &token_at, problems)
        .filter(|t| check_length(t, &token_at, 1, AUTH_VALUE_MAX, true, problems));
    let range = optional_string(config.get("AllowedIPRange"), &range_at, problems)
        .filter(|r| check_length(r, &range_at, 1, AUTH_VALUE_MAX, false, problems));
    let has_token = config.get("SecretToken").is_some_and(|v| !v.is_null());
    let has_range = config.get("AllowedIPRange").is_some_and(|v| !v.is_null());

    let auth_problem = |at: &str, message: String| {
        Problem::new(ProblemKind::InvalidWebhookAuthenticationParameters, at, message)
    };
    let auth = match authentication {
        None => None,
        Some(WebhookAuthenticationType::GithubHmac) => {
            if has_range {
                problems.push(auth_problem(
                    &range_at,
                    "AllowedIPRange must not be set for GITHUB_HMAC authentication".into(),
                ));
            }
            if !has_token {
                problems.push(auth_problem(
                    &token_at,
                    "SecretToken is required for GITHUB_HMAC authentication".into(),
                ));
            }
            token.as_ref().map(|t| Authenticator::GithubHmac(SecretToken(t.to_string())))
        }
        Some(WebhookAuthenticationType::Ip) => {
            if has_token {
                problems.push(auth_problem(
                    &token_at,
                    "SecretToken must not be set for IP authentication".into(),
                ));
            }
            if !has_range {
                problems.push(auth_problem(
                    &range_at,
                    "AllowedIPRange is required for IP authentication".into(),
                ));
            }
            range.and_then(|r| match parse_ip_range(r) {
                Ok(net) => Some(Authenticator::Ip(net)),
                Err(reason) => {
                    problems.push(auth_problem(
                        &range_at,
                        format!("AllowedIPRange '{}' is not a valid IPv4 or IPv6 CIDR range: {reason}", echo(r)),
                    ));
                    None
                }
            })
        }
        Some(WebhookAuthenticationType::Unauthenticated) => {
            for (present, at, name) in [(has_token, &token_at, "SecretToken"), (has_range, &range_at, "AllowedIPRange")] {
                if present {
                    problems.push(auth_problem(
                        at,
                        format!("{name} must not be set for UNAUTHENTICATED authentication: it takes no properties"),
                    ));
                }
            }
            Some(Authenticator::Unauthenticated)
        }
    };
    if problems.len() != before {
        return (None, None);
    }
    let configuration = WebhookAuthConfiguration {
        allowed_ip_range: range.map(str::to_string),
        secret_token: token.map(|t| SecretToken(t.to_string())),
    };
    (Some(configuration), auth)
}

/// A TagList (PutWebhook, CreatePipeline, TagResource): at most 50 tags, keys
/// 1..128 characters not starting with `aws:` (in any case) and unique, values 0..256.
pub fn validate_tags(value: &Value, path: &str) -> Result<Vec<Tag>, Vec<Problem>> {
    let mut problems = Vec::new();
    let tags = check_tags(Some(value), path, &mut problems);
    finish(problems, || tags)
}

fn check_tags(value: Option<&Value>, path: &str, problems: &mut Vec<Problem>) -> Vec<Tag> {
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.push(wrong_type(path, other, "a list"));
            return Vec::new();
        }
    };
    if items.len() > MAX_TAGS {
        problems.push(Problem::new(
            ProblemKind::TooManyTags,
            path,
            format!("Tag limit exceeded: {} tags given, at most {MAX_TAGS} are allowed", items.len()),
        ));
    }
    let mut seen = HashSet::new();
    let mut tags = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_at = format!("{path}[{i}]");
        let Some(tag) = expect_object(item, &item_at, problems) else { continue };
        let key_at = format!("{item_at}.key");
        let value_at = format!("{item_at}.value");
        let key = required_string(tag.get("key"), &key_at, problems)
            .filter(|k| check_length(k, &key_at, 1, TAG_KEY_MAX, false, problems));
        let value = required_string(tag.get("value"), &value_at, problems)
            .filter(|v| check_length(v, &value_at, 0, TAG_VALUE_MAX, false, problems));
        if let Some(k) = key {
            if k.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:")) {
                problems.push(Problem::new(
                    ProblemKind::InvalidTags,
                    &key_at,
                    format!("Tag key '{}' is not allowed: the 'aws:' prefix is reserved for AWS use", echo(k)),
                ));
            } else if !seen.insert(k) {
                problems.push(Problem::new(
                    ProblemKind::InvalidTags,
                    &key_at,
                    format!("Tag key '{}' appears more than once: tag keys must be unique", echo(k)),
                ));
            }
        }
        if let (Some(key), Some(value)) = (key, value) {
            tags.push(Tag { key: key.to_string(), value: value.to_string() });
        }
    }
    tags
}

/// What the API checks against the stored pipeline. Skipped for fields that
/// already failed their own checks, so one mistake gives one problem.
fn check_against_pipeline(
    pipeline: &PipelineDeclaration,
    target_pipeline: Option<&str>,
    target_action: Option<&str>,
    filters: Option<&[CompiledFilter]>,
    path: &str,
    problems: &mut Vec<Problem>,
) {
    let Some(target_pipeline) = target_pipeline else { return };
    if target_pipeline != pipeline.name {
        problems.push(Problem::new(
            ProblemKind::PipelineNotFound,
            format!("{path}.targetPipeline"),
            format!("Pipeline '{}' could not be found (the pipeline given is '{}')", target_pipeline, pipeline.name),
        ));
        return;
    }
    let Some(target_action) = target_action else { return };
    let Some(action) = pipeline.source_action(target_action) else {
        let first = pipeline.stages.first().map(|s| s.name.as_str()).unwrap_or("");
        let later = pipeline
            .stages
            .iter()
            .skip(1)
            .find(|s| s.actions.iter().any(|a| a.name == target_action))
            .map(|s| format!(": it is in stage '{}', but a webhook can only start an action of the first stage", s.name))
            .unwrap_or_default();
        problems.push(Problem::new(
            ProblemKind::Validation,
            format!("{path}.targetAction"),
            format!(
                "Action '{target_action}' is not an action of the first stage ('{first}') of pipeline '{}'{later}",
                pipeline.name
            ),
        ));
        return;
    };
    for (i, filter) in filters.unwrap_or_default().iter().enumerate() {
        let Some(match_equals) = &filter.rule.match_equals else { continue };
        for key in placeholders(match_equals) {
            if !action.configuration.contains_key(key) {
                let known: Vec<&str> = action.configuration.keys().map(String::as_str).collect();
                problems.push(Problem::new(
                    ProblemKind::InvalidWebhookFilterPattern,
                    format!("{path}.filters[{i}].matchEquals"),
                    format!(
                        "Placeholder '{{{key}}}' does not name a configuration key of action '{target_action}' (its keys: {})",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ),
                ));
            }
        }
    }
}

// ---- small readers shared by the sections above ----

pub(crate) fn expect_object<'a>(value: &'a Value, path: &str, problems: &mut Vec<Problem>) -> Option<&'a Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        Value::Null => {
            problems.push(Problem::missing(display_path(path)));
            None
        }
        other => {
            problems.push(wrong_type(display_path(path), other, "an object"));
            None
        }
    }
}

pub(crate) fn required_string<'a>(value: Option<&'a Value>, path: &str, problems: &mut Vec<Problem>) -> Option<&'a str> {
    match value {
        None | Some(Value::Null) => {
            problems.push(Problem::missing(path));
            None
        }
        Some(v) => optional_string(Some(v), path, problems),
    }
}

fn optional_string<'a>(value: Option<&'a Value>, path: &str, problems: &mut Vec<Problem>) -> Option<&'a str> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            problems.push(wrong_type(path, other, "a string"));
            None
        }
    }
}

/// Pushes a ValidationException for each length bound broken; true when none is.
/// A `secret` value is never echoed.
pub(crate) fn check_length(s: &str, path: &str, min: usize, max: usize, secret: bool, problems: &mut Vec<Problem>) -> bool {
    let len = s.chars().count();
    let shown = if secret { crate::redact::REDACTED.to_string() } else { echo(s) };
    if len < min {
        problems.push(Problem::min_length(path, &shown, min));
        false
    } else if len > max {
        problems.push(Problem::max_length(path, &shown, max));
        false
    } else {
        true
    }
}

pub(crate) fn wrong_type(path: &str, value: &Value, expected: &str) -> Problem {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    Problem::new(
        ProblemKind::Validation,
        path,
        format!("Value at '{path}' failed to satisfy constraint: Member must be {expected}, not {kind}"),
    )
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "input" } else { path }
}

pub(crate) fn echo(s: &str) -> String {
    if s.chars().count() <= ECHO_MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(ECHO_MAX).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests;
