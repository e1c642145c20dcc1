//! TagResource, UntagResource, ListTagsForResource for webhook and pipeline ARNs.

use pipehook::pipeline::validate_tags;
use pipehook::Tag;
use serde_json::{json, Value};

use super::Checks;
use crate::api::{ApiError, Ctx, OpResult};

/// A CodePipeline resource named by an ARN this deployment owns.
enum Resource {
    Webhook(String),
    Pipeline(String),
}

/// `arn:aws(-[\w]+)*:codepipeline:<region>:<12 digits>:<resource>`.
fn resource(ctx: &Ctx, input: &Value) -> Result<(String, Resource), ApiError> {
    let mut checks = Checks::default();
    let arn = checks.string(input, "resourceArn", true, 1, 1011);
    checks.finish()?;
    let arn = arn.unwrap_or_default();
    let invalid = || ApiError::InvalidArnException(format!("The ARN '{arn}' is not valid"));
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, rest] = parts[..] else {
        return Err(invalid());
    };
    let partition_ok = partition == "aws"
        || partition.strip_prefix("aws-").is_some_and(|p| {
            !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        });
    if prefix != "arn"
        || !partition_ok
        || service != "codepipeline"
        || region.is_empty()
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
        || rest.is_empty()
    {
        return Err(invalid());
    }
    let not_found =
        || ApiError::ResourceNotFoundException(format!("The resource with the ARN '{arn}' was not found"));
    if region != ctx.region || account != ctx.account {
        return Err(not_found());
    }
    let resource = match rest.strip_prefix("webhook:") {
        Some(name) => Resource::Webhook(name.to_string()),
        None => Resource::Pipeline(rest.to_string()),
    };
    Ok((arn, resource))
}

async fn current_tags(ctx: &Ctx, arn: &str, resource: &Resource) -> Result<Vec<Tag>, ApiError> {
    let not_found =
        || ApiError::ResourceNotFoundException(format!("The resource with the ARN '{arn}' was not found"));
    match resource {
        Resource::Webhook(name) => Ok(ctx.store.webhook(name).await?.ok_or_else(not_found)?.tags),
        Resource::Pipeline(name) => Ok(ctx.store.pipeline(name).await?.ok_or_else(not_found)?.tags),
    }
}

/// Rewrites the resource's tags. The record is read again right before the
/// write so the window in which a concurrent change could be lost stays short.
async fn store_tags(ctx: &Ctx, arn: &str, resource: &Resource, tags: Vec<Tag>) -> Result<(), ApiError> {
    let not_found =
        || ApiError::ResourceNotFoundException(format!("The resource with the ARN '{arn}' was not found"));
    match resource {
        Resource::Webhook(name) => {
            let mut record = ctx.store.webhook(name).await?.ok_or_else(not_found)?;
            record.tags = tags;
            ctx.store.put_webhook(name, &record).await?;
            // Tags are not part of a view, but this read-modify-write may have
            // raced a PutWebhook and written back the older definition.
            crate::views::refresh_webhook(&ctx.store, name).await?;
        }
        Resource::Pipeline(name) => {
            let mut record = ctx.store.pipeline(name).await?.ok_or_else(not_found)?;
            record.tags = tags;
            let summary = super::pipelines::summary(name, &record);
            ctx.store.put_pipeline(name, &record, summary).await?;
            // Tags are not part of a view, but this read-modify-write may have
            // raced an UpdatePipeline and written back the older declaration.
            crate::views::refresh_pipeline(&ctx.store, name, Some(&record)).await?;
        }
    }
    Ok(())
}

pub async fn tag_resource(ctx: &Ctx, input: Value) -> OpResult {
    let (arn, resource) = resource(ctx, &input)?;
    let given = match input.get("tags") {
        None | Some(Value::Null) => {
            return Err(ApiError::from_problems(&[pipehook::Problem::missing("tags")]))
        }
        Some(t) => t.clone(),
    };
    let problems = validate_tags(&given, "tags");
    if !problems.is_empty() {
        return Err(ApiError::from_pipeline_problems(&problems));
    }
    let given: Vec<Tag> =
        serde_json::from_value(given).map_err(|e| ApiError::SerializationException(e.to_string()))?;
    let mut tags = current_tags(ctx, &arn, &resource).await?;
    for tag in given {
        match tags.iter_mut().find(|t| t.key == tag.key) {
            Some(existing) => existing.value = tag.value,
            None => tags.push(tag),
        }
    }
    if tags.len() > 50 {
        return Err(ApiError::TooManyTagsException(format!(
            "The resource would have {} tags; at most 50 are allowed",
            tags.len()
        )));
    }
    // `pipehook:` tags as they would be after the merge.
    let problems = match resource {
        Resource::Pipeline(_) => pipehook::dispatch::check_pipeline_tags(&tags, "tags"),
        Resource::Webhook(_) => pipehook::dispatch::tags::check_webhook_tags(&tags, "tags"),
    };
    if !problems.is_empty() {
        return Err(ApiError::from_problems(&problems));
    }
    store_tags(ctx, &arn, &resource, tags).await?;
    Ok(json!({}))
}

pub async fn untag_resource(ctx: &Ctx, input: Value) -> OpResult {
    let (arn, resource) = resource(ctx, &input)?;
    let keys: Vec<String> = match input.get("tagKeys") {
        None | Some(Value::Null) => {
            return Err(ApiError::from_problems(&[pipehook::Problem::missing("tagKeys")]))
        }
        Some(k) => serde_json::from_value(k.clone())
            .map_err(|_| ApiError::SerializationException("tagKeys must be a list of strings".into()))?,
    };
    let mut tags = current_tags(ctx, &arn, &resource).await?;
    tags.retain(|t| !keys.contains(&t.key));
    store_tags(ctx, &arn, &resource, tags).await?;
    Ok(json!({}))
}

pub async fn list_tags_for_resource(ctx: &Ctx, input: Value) -> OpResult {
    let (arn, resource) = resource(ctx, &input)?;
    let mut checks = Checks::default();
    let max = checks.int(&input, "maxResults", 1, 100).unwrap_or(100) as usize;
    let token = checks.string(&input, "nextToken", false, 1, 2048);
    checks.finish()?;
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("tags:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::InvalidNextTokenException("The nextToken is not valid.".into()))?,
    };
    let tags = current_tags(ctx, &arn, &resource).await?;
    let page: Vec<&Tag> = tags.iter().skip(start).take(max).collect();
    let mut out = json!({ "tags": page });
    if start + max < tags.len() {
        out["nextToken"] = json!(format!("tags:{}", start + max));
    }
    Ok(out)
}
