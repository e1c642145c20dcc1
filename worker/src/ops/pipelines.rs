//! CreatePipeline, GetPipeline, UpdatePipeline, DeletePipeline, ListPipelines.

use pipehook::pipeline::{validate_pipeline, validate_tags};
use pipehook::Problem;
use serde_json::{json, Value};

use super::{decode_next_token, encode_next_token, Checks};
use crate::api::{ApiError, Ctx, OpResult};
use crate::ids;
use crate::store::PipelineRecord;
use crate::views;

/// The `pipeline` member, checked by the core; returns it with the name.
fn declaration(input: &Value) -> Result<(Value, String), ApiError> {
    let Some(p) = input.get("pipeline").filter(|p| !p.is_null()) else {
        return Err(ApiError::from_problems(&[Problem::missing("pipeline")]));
    };
    let declared = validate_pipeline(p).map_err(|problems| ApiError::from_pipeline_problems(&problems))?;
    Ok((p.clone(), declared.name))
}

pub fn not_found(ctx: &Ctx, name: &str) -> ApiError {
    ApiError::PipelineNotFoundException(format!(
        "Account '{}' does not have a pipeline with name '{name}'",
        ctx.account
    ))
}

/// What ListPipelines shows, kept as the KV metadata of the pipeline's key.
pub fn summary(name: &str, record: &PipelineRecord) -> Value {
    let p = &record.pipeline;
    json!({
        "name": name,
        "version": p.get("version").cloned().unwrap_or(json!(1)),
        "pipelineType": p.get("pipelineType").and_then(Value::as_str).unwrap_or("V1"),
        "executionMode": p.get("executionMode").and_then(Value::as_str).unwrap_or("SUPERSEDED"),
        "created": record.created,
        "updated": record.updated,
    })
}

/// A stored declaration as the API answers it: secret action properties masked, as AWS does.
fn answered(pipeline: &Value) -> Value {
    let mut shown = pipeline.clone();
    pipehook::secrets::mask_pipeline(&mut shown);
    shown
}

pub async fn create_pipeline(ctx: &Ctx, input: Value) -> OpResult {
    let (mut pipeline, name) = declaration(&input)?;
    let tags = input.get("tags").cloned().unwrap_or(Value::Null);
    let tag_problems = validate_tags(&tags, "tags");
    if !tag_problems.is_empty() {
        return Err(ApiError::from_pipeline_problems(&tag_problems));
    }
    let tags: Vec<pipehook::Tag> = if tags.is_null() {
        Vec::new()
    } else {
        serde_json::from_value(tags).map_err(|e| ApiError::SerializationException(e.to_string()))?
    };
    if let Some(existing) = ctx.store.pipeline(&name).await? {
        // Perhaps a retry of a create that stored the pipeline and failed before its
        // views (views.rs): the views are made to agree with the records first.
        views::repair_pipeline(&ctx.store, &name, Some(&existing)).await?;
        return Err(ApiError::PipelineNameInUseException(format!(
            "A pipeline with the name '{name}' already exists in account '{}'",
            ctx.account
        )));
    }
    pipeline["version"] = json!(1);
    let now = ctx.now();
    let record = PipelineRecord { pipeline, created: now, updated: now, incarnation: ids::uuid(), tags };
    ctx.store.put_pipeline(&name, &record, summary(&name, &record)).await?;
    // Webhooks left targeting this name by an earlier DeletePipeline work again.
    views::refresh_pipeline(&ctx.store, &name, Some(&record)).await?;
    let mut out = json!({ "pipeline": answered(&record.pipeline) });
    if !record.tags.is_empty() {
        out["tags"] = json!(record.tags);
    }
    Ok(out)
}

pub async fn get_pipeline(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "name");
    let version = checks.int(&input, "version", 1, i64::MAX);
    checks.finish()?;
    let name = name.unwrap_or_default();
    let Some(record) = ctx.store.pipeline(&name).await? else {
        return Err(not_found(ctx, &name));
    };
    let current = record.pipeline.get("version").and_then(Value::as_i64).unwrap_or(1);
    if let Some(v) = version.filter(|v| *v != current) {
        // Only the current version is kept.
        return Err(ApiError::PipelineVersionNotFoundException(format!(
            "Pipeline '{name}' does not have version {v}"
        )));
    }
    Ok(json!({
        "pipeline": answered(&record.pipeline),
        "metadata": {"pipelineArn": ctx.pipeline_arn(&name), "created": record.created, "updated": record.updated},
    }))
}

pub async fn update_pipeline(ctx: &Ctx, input: Value) -> OpResult {
    let (mut pipeline, name) = declaration(&input)?;
    let Some(old) = ctx.store.pipeline(&name).await? else {
        return Err(not_found(ctx, &name));
    };
    let version = old.pipeline.get("version").and_then(Value::as_i64).unwrap_or(1) + 1;
    pipeline["version"] = json!(version);
    // A declaration sent back as GetPipeline answered it keeps the secrets it masked.
    pipehook::secrets::keep_masked(&mut pipeline, &old.pipeline);
    let record = PipelineRecord { pipeline, updated: ctx.now(), ..old };
    ctx.store.put_pipeline(&name, &record, summary(&name, &record)).await?;
    // The next delivery must see the new configuration (e.g. `{Branch}`).
    views::refresh_pipeline(&ctx.store, &name, Some(&record)).await?;
    Ok(json!({ "pipeline": answered(&record.pipeline) }))
}

pub async fn delete_pipeline(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "name");
    checks.finish()?;
    // Idempotent; its executions become unreachable with its incarnation (store.rs).
    let name = name.unwrap_or_default();
    ctx.store.delete_pipeline(&name).await?;
    views::refresh_pipeline(&ctx.store, &name, None).await?;
    Ok(json!({}))
}

pub async fn list_pipelines(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let max = checks.int(&input, "maxResults", 1, 1000);
    let token = checks.string(&input, "nextToken", false, 1, 2048);
    checks.finish()?;
    let cursor = decode_next_token("pipelines", token)?;
    let page = ctx.store.list_pipelines(max.unwrap_or(100) as u64, cursor).await?;
    let mut out = json!({ "pipelines": page.items });
    if let Some(next) = encode_next_token("pipelines", page.next) {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}
