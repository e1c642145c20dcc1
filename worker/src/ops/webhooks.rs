//! PutWebhook, ListWebhooks, DeleteWebhook (Register/DeregisterWebhookWithThirdParty: `third_party.rs`).

use pipehook::{PipelineDeclaration, REDACTED};
use serde_json::{json, Value};

use super::{decode_next_token, encode_next_token, Checks};
use crate::api::{ApiError, Ctx, OpResult};
use crate::ids;
use crate::rotation;
use crate::store::{PipelineRecord, WebhookRecord};
use crate::views::{self, Published};

/// CodePipeline's quota of webhooks per account and region.
pub const WEBHOOK_LIMIT: usize = 300;

/// The pipeline a webhook names, if it exists: its record, and its declaration as the core reads it.
pub async fn target_pipeline(
    ctx: &Ctx,
    name: Option<&str>,
) -> Result<Option<(PipelineRecord, PipelineDeclaration)>, ApiError> {
    let Some(name) = name.filter(|n| !n.is_empty() && n.len() <= 100 && !n.contains('/')) else {
        return Ok(None);
    };
    match ctx.store.pipeline(name).await? {
        None => Ok(None),
        Some(rec) => match serde_json::from_value(rec.pipeline.clone()) {
            Ok(declaration) => Ok(Some((rec, declaration))),
            Err(e) => Err(ApiError::InternalFailure(format!("stored pipeline '{name}' is unreadable: {e}"))),
        },
    }
}

pub async fn put_webhook(ctx: &Ctx, input: Value) -> OpResult {
    let target = input.pointer("/webhook/targetPipeline").and_then(Value::as_str);
    let pipeline = target_pipeline(ctx, target).await?;
    // Everything is checked before anything is stored.
    let valid = pipehook::validate_put_webhook(&input, pipeline.as_ref().map(|(_, d)| d))
        .map_err(|problems| ApiError::from_problems(&problems))?;
    let Some((pipeline, _)) = pipeline else {
        return Err(ApiError::PipelineNotFoundException(format!(
            "Account '{}' does not have a pipeline with name '{}'",
            ctx.account,
            target.unwrap_or_default()
        )));
    };
    let definition_model = valid.webhook.definition();
    let name = definition_model.name.clone();
    let definition = serde_json::to_value(definition_model)
        .map_err(|e| ApiError::InternalFailure(format!("definition: {e}")))?;
    let tags_given = input.get("tags").is_some_and(|t| !t.is_null());
    let now = ctx.now();

    let record = match ctx.store.webhook(&name).await? {
        // Update: the URL (token) stays; tags are replaced only when given; a
        // replaced SecretToken stays valid for a while (rotation.rs).
        Some(old) => WebhookRecord {
            previous_secret: rotation::previous_secret(&old, &definition, now, ctx.secret_rotation_grace_s),
            definition,
            token: old.token,
            rev: ids::uuid(),
            tags: if tags_given { valid.tags } else { old.tags },
            created: old.created,
            updated: now,
        },
        None => {
            if ctx.store.count_webhooks(WEBHOOK_LIMIT).await? >= WEBHOOK_LIMIT {
                return Err(ApiError::LimitExceededException(format!(
                    "The account has reached the limit of {WEBHOOK_LIMIT} webhooks in {}",
                    ctx.region
                )));
            }
            let token = ids::token();
            // The token key first (pointing at the name until the view is
            // published): a record is never visible without a resolvable URL.
            ctx.store.bind_token(&token, &name).await?;
            WebhookRecord {
                definition,
                token,
                rev: ids::uuid(),
                tags: valid.tags,
                created: now,
                updated: now,
                previous_secret: None,
            }
        }
    };
    ctx.store.put_webhook(&name, &record).await?;
    // Then what deliveries read (views.rs), checked against the records. KV has
    // no compare-and-set: a concurrent create of the same name (another token)
    // may have won, or a concurrent delete removed the record. Say so instead of
    // answering a URL that is not live. (A concurrent update of the same webhook
    // or its pipeline only makes deliveries read the records until the next write.)
    let view = views::view_of(&name, &record, Some(&pipeline));
    if views::publish(&ctx.store, &record.token, &view).await? == Published::Lost {
        return Err(ApiError::ConcurrentModificationException(format!(
            "Webhook '{name}' was changed by a concurrent request; retry"
        )));
    }
    let last = ctx.store.last_triggered(&record.token).await?;
    Ok(json!({ "webhook": list_item(ctx, &record, last) }))
}

pub async fn list_webhooks(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let max = checks.int(&input, "MaxResults", 1, 100);
    let token = checks.string(&input, "NextToken", false, 1, 2048);
    checks.finish()?;
    let cursor = decode_next_token("webhooks", token)?;
    let page = ctx.store.list_webhooks(max.unwrap_or(100) as u64, cursor).await?;
    let lasts =
        futures_util::future::join_all(page.items.iter().map(|r| ctx.store.last_triggered(&r.token))).await;
    let mut webhooks = Vec::with_capacity(page.items.len());
    for (record, last) in page.items.iter().zip(lasts) {
        webhooks.push(list_item(ctx, record, last?));
    }
    let mut out = json!({ "webhooks": webhooks });
    if let Some(next) = encode_next_token("webhooks", page.next) {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

pub async fn delete_webhook(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "name");
    checks.finish()?;
    let name = name.unwrap_or_default();
    // Deleting a missing webhook succeeds, as in AWS. The order is the one views.rs
    // explains: deliveries stop first, the record goes last, so a failure at any
    // step leaves the record, and the retry does every step again.
    if let Some(record) = ctx.store.webhook(&name).await? {
        ctx.store.revoke_token(&record.token).await?;
        ctx.store.forget_last_triggered(&record.token).await?;
        ctx.store.delete_webhook(&name).await?;
        views::revoke_again_if_republished(&ctx.store, &record.token).await?;
    }
    Ok(json!({}))
}

/// The webhook an input's `webhookName` names, once `checks` (the operation's other members,
/// checked first) and the name pass; WebhookNotFoundException when there is none.
pub async fn existing_webhook(ctx: &Ctx, input: &Value, mut checks: Checks) -> Result<(String, WebhookRecord), ApiError> {
    let name = checks.name(input, "webhookName");
    checks.finish()?;
    let name = name.unwrap_or_default();
    match ctx.store.webhook(&name).await? {
        Some(record) => Ok((name, record)),
        None => Err(ApiError::WebhookNotFoundException(format!("Webhook '{name}' not found"))),
    }
}

/// A stored webhook as ListWebhooks and PutWebhook answer it, SecretToken masked.
pub fn list_item(ctx: &Ctx, record: &WebhookRecord, last_triggered: Option<f64>) -> Value {
    let mut definition = record.definition.clone();
    if let Some(secret) = definition.pointer_mut("/authenticationConfiguration/SecretToken") {
        *secret = json!(REDACTED);
    }
    let name = definition.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut item = json!({
        "definition": definition,
        "url": webhook_url(&ctx.origin, &record.token),
        "arn": ctx.webhook_arn(&name),
        "tags": record.tags,
    });
    if let Some(t) = last_triggered {
        item["lastTriggered"] = json!(t);
    }
    item
}

pub fn webhook_url(origin: &str, token: &str) -> String {
    format!("{origin}/trigger?t={token}&v=1")
}
