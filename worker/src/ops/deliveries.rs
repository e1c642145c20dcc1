//! ListWebhookDeliveries, GetWebhookDelivery and RedeliverWebhookDelivery: pipehook's own
//! operations (`X-Amz-Target: Pipehook_20261201.<Operation>`) over the delivery log
//! (`delivery_log.rs`), signed and answered like AWS's.
//!
//! - A `deliveryId` is the log entry's own id: a time-ordered UUID the Worker gives each
//!   delivery it logs. It is not `X-GitHub-Delivery` (kept in the entry as `guid`, as GitHub's
//!   own delivery log names it): a sender chooses that one (any text, or none), and GitHub's
//!   Redeliver sends the same one again, so it names no single entry.
//! - An id the log does not hold (never logged, trimmed past the newest 100, expired after 7
//!   days, or another webhook's) is `WebhookDeliveryNotFoundException`: named as the service
//!   model names its other missing things (`WebhookNotFoundException`,
//!   `PipelineExecutionNotFoundException`), so SDK users can catch it by name, apart from a
//!   missing webhook.
//! - A redelivery decides the stored body again against the webhook as it is now, with the
//!   original's content type, its authentication taken as passed (it was checked when the
//!   delivery arrived; deliveries that failed it keep no body and are not redelivered). Unless
//!   `dryRun`, an accepted decision starts the pipeline as a delivery does (`handoff.rs`: the
//!   record, and the dispatch queue when the pipeline has a target), as a new execution whose
//!   `triggerDetail` names the redelivery, and the redelivery is logged as an entry of its own,
//!   marked `redelivery: true` with `redeliveryOf` (as GitHub marks its redeliveries). A dry run
//!   changes nothing, the log included.

use std::collections::BTreeMap;

use base64::Engine;
use pipehook::{Outcome, Traces};
use serde_json::{json, Value};

use super::webhooks::existing_webhook;
use super::{decode_next_token, encode_next_token, Checks};
use crate::api::{ApiError, Ctx, OpResult};
use crate::delivery::no_pipeline;
use crate::delivery_log::{self, outcome_name, Entry, Stored, KEEP, MAX_KEPT_BODY};
use crate::dispatch::HotDispatch;
use crate::{handoff, ids, views};

/// What a listing's NextToken is marked with.
const LISTING: &str = "deliveries";

pub async fn list_webhook_deliveries(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let max = checks.int(&input, "maxResults", 1, KEEP as i64);
    let next = checks.string(&input, "nextToken", false, 1, 2048);
    let (_, record) = existing_webhook(ctx, &input, checks).await?;
    // The token carries how many entries came before, so that paging stops at the newest 100.
    let (shown, cursor) = match decode_next_token(LISTING, next)? {
        None => (0, None),
        Some(rest) => match rest.split_once(':').and_then(|(n, c)| Some((n.parse::<usize>().ok()?, c))) {
            Some((n, c)) if n < KEEP && !c.is_empty() => (n, Some(c.to_string())),
            _ => return Err(ApiError::InvalidNextTokenException("The nextToken is not valid.".into())),
        },
    };
    let limit = (max.unwrap_or(KEEP as i64) as usize).min(KEEP - shown);
    let page = ctx.store.list_deliveries(&record.token, limit as u64, cursor).await?;
    let shown = shown + page.items.len();
    let mut out = json!({ "deliveries": page.items });
    let next = page.next.filter(|_| shown < KEEP).map(|c| format!("{shown}:{c}"));
    if let Some(token) = encode_next_token(LISTING, next) {
        out["nextToken"] = json!(token);
    }
    Ok(out)
}

pub async fn get_webhook_delivery(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let id = checks.uuid(&input, "deliveryId");
    let (name, record) = existing_webhook(ctx, &input, checks).await?;
    let stored = logged(ctx, &name, &record.token, &id.unwrap_or_default()).await?;
    let mut delivery = stored.entry;
    if let Some(body) = stored.body {
        match String::from_utf8(body) {
            Ok(text) => delivery["body"] = json!(text),
            Err(e) => delivery["bodyBase64"] = json!(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
        }
    }
    Ok(json!({ "delivery": delivery }))
}

pub async fn redeliver_webhook_delivery(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let id = checks.uuid(&input, "deliveryId");
    let dry_run = checks.boolean(&input, "dryRun").unwrap_or(false);
    let (name, record) = existing_webhook(ctx, &input, checks).await?;
    let id = id.unwrap_or_default();
    let original = logged(ctx, &name, &record.token, &id).await?;
    let Some(body) = original.body.as_deref() else { return Err(not_redeliverable(&name, &id, &original)) };

    // The webhook and its pipeline as they are now.
    let webhook = pipehook::validate_webhook_definition(&record.definition, None).map_err(|_| {
        ApiError::InternalFailure(format!("The stored definition of webhook '{name}' no longer validates"))
    })?;
    let pipeline = ctx.store.pipeline(record.target_pipeline()).await?;
    let snapshot = views::snapshot(pipeline.as_ref(), record.target_action());
    let headers: Vec<(String, String)> =
        original.str("contentType").map(|ct| ("content-type".to_string(), ct.to_string())).into_iter().collect();
    let empty = BTreeMap::new();
    let configuration = snapshot.as_ref().map_or(&empty, |p| &p.configuration);
    let decision = pipehook::evaluate_authenticated(&webhook, &headers, body, configuration, Traces::All);

    let mut answer = json!({
        "dryRun": dry_run,
        "outcome": outcome_name(decision.outcome),
        "status": decision.status,
        "reason": decision.reason,
        "filters": decision.filters,
    });
    if let Some(r) = &decision.revision {
        answer["revision"] = json!(r);
    }
    if dry_run {
        return Ok(answer);
    }

    let now_ms = ctx.now_ms;
    let redelivery_id = ids::time_ordered(now_ms);
    let mut status = decision.status;
    let mut reason = decision.reason.clone();
    let mut execution = None;
    if decision.outcome == Outcome::Accepted {
        match &snapshot {
            None => {
                status = 404;
                reason = format!("{reason}; but {}", no_pipeline(record.target_pipeline()).trim_end_matches('.'));
            }
            Some(pipeline) => {
                let arn = ctx.webhook_arn(&name);
                let detail = format!("{arn} (redelivery {redelivery_id} of delivery {id})");
                let dispatch = pipeline.dispatch.as_ref().map(HotDispatch::compile);
                let accepted = handoff::Accepted {
                    webhook_name: &name,
                    webhook_arn: &arn,
                    trigger_detail: &detail,
                    token: &record.token,
                    pipeline_name: record.target_pipeline(),
                    pipeline,
                    source_action: record.target_action(),
                    revision: decision.revision.as_deref(),
                    // A new execution, not the original's: the exactly-once key is not taken.
                    delivery_id: None,
                    event: pipehook::dispatch::message::event_name(original.str("event")),
                    dispatch: dispatch.as_ref(),
                    headers: &headers,
                    body,
                    now_ms,
                };
                let started = handoff::start(&ctx.store, &ctx.env, &accepted).await.map_err(|what| {
                    ApiError::ServiceUnavailable(format!(
                        "Storage is unavailable ({what}); nothing was started: retry the redelivery"
                    ))
                })?;
                // As a delivery's: a failure leaves lastTriggered behind, and nothing else.
                let _ = ctx.store.set_last_triggered(&record.token, ctx.now()).await;
                execution = Some(started);
            }
        }
    }

    let entry = Entry {
        delivery_id: &redelivery_id,
        delivered_at: ctx.now(),
        guid: original.str("guid"),
        event: original.str("event"),
        source_ip: None,
        content_type: original.str("contentType"),
        signature_header: None,
        outcome: outcome_name(decision.outcome),
        status,
        reason: &reason,
        filters: &decision.filters,
        revision: decision.revision.as_deref(),
        matched_secret: None,
        previous_secret_expires: None,
        pipeline_execution_id: execution.as_deref(),
        body_size: Some(body.len() as u64),
        body_sha256: None,
        body_kept: true,
        redelivery: true,
        redelivery_of: Some(&id),
    };
    // The start (if any) is made: a log that cannot be written only leaves the answer without its id.
    let written = delivery_log::write(&ctx.env, &record.token, now_ms, &entry, Some(body));
    let logged = wasm_bindgen_futures::JsFuture::from(written).await.ok().and_then(|v| v.as_bool()) == Some(true);
    answer["status"] = json!(status);
    answer["reason"] = json!(reason);
    if let Some(id) = execution {
        answer["pipelineExecutionId"] = json!(id);
    }
    if logged {
        answer["redeliveryId"] = json!(redelivery_id);
    }
    Ok(answer)
}

/// The log entry `id` of webhook `name` (whose URL token is `token`).
async fn logged(ctx: &Ctx, name: &str, token: &str, id: &str) -> Result<Stored, ApiError> {
    match ctx.store.delivery(token, id).await?.and_then(Stored::decode) {
        Some(stored) => Ok(stored),
        None => Err(ApiError::WebhookDeliveryNotFoundException(format!(
            "Delivery '{id}' of webhook '{name}' not found: the log keeps a webhook's last {KEEP} deliveries, each for 7 days"
        ))),
    }
}

/// Why an entry without a kept body cannot be redelivered.
fn not_redeliverable(name: &str, id: &str, original: &Stored) -> ApiError {
    let outcome = original.str("outcome").unwrap_or_default();
    let size = original.entry.get("bodySize").and_then(Value::as_u64);
    let why = match (outcome, size) {
        ("unauthorized" | "forbidden", _) => format!(
            "it was refused when it arrived ({outcome}: {}), so it did not come from an authenticated sender and its \
             body was not kept",
            original.str("reason").unwrap_or_default()
        ),
        ("tooLarge", _) => "its body was over 25 MB and was refused before it was read".to_string(),
        (_, Some(n)) if n as usize > MAX_KEPT_BODY => format!(
            "its body ({n} bytes) was larger than the {MAX_KEPT_BODY} bytes (1 MB) the log keeps, so only its size \
             and SHA-256 were kept; send it again from its sender (GitHub: the webhook's Recent Deliveries, Redeliver)"
        ),
        _ => "its body was not read whole when it arrived".to_string(),
    };
    ApiError::ValidationException(format!("Delivery '{id}' of webhook '{name}' cannot be redelivered: {why}"))
}
