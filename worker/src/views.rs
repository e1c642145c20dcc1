//! Delivery views (`token/<token>`, see `store.rs`): everything a delivery
//! needs in the one key it reads, derived from the webhook record and its
//! target pipeline's record (its declaration and its `pipehook:` dispatch
//! tags), and kept in step with both.
//!
//! KV has no compare-and-set, so every writer follows one protocol:
//!
//! 1. Whoever writes (or deletes) a webhook or pipeline record afterwards
//!    writes the token keys that depend on it: PutWebhook publishes the view,
//!    DeleteWebhook points the token back at the name, Tag/UntagResource
//!    republish the view ([`refresh_webhook`]: their read-modify-write may have
//!    raced a PutWebhook), every pipeline write republishes the views of the
//!    webhooks targeting it ([`refresh_pipeline`]).
//! 2. Whoever writes a view ([`publish`]) afterwards reads both records again;
//!    if either is no longer what the view was built from (or the webhook is
//!    gone), it points the token back at the webhook's name.
//!
//! A token pointing at a name is always correct, only slower: the delivery
//! then reads the records themselves. And the last write to a token key is
//! either such a name, or a view whose writer found, after writing it, the
//! records it was built from; any later record write is followed (rule 1) by a
//! later token write, so that view is still current. Whatever the
//! interleaving, once the writes settle no view disagrees with the records.
//! (Across Cloudflare locations, KV's own propagation delay of up to 60 s
//! still applies, as it does to the records themselves.)

use pipehook::PipelineDeclaration;

use crate::store::{DeliveryView, PipelineRecord, PipelineSnapshot, Store, StoreResult, WebhookRecord};

/// The part of `pipeline` a delivery to `target_action` uses.
pub fn snapshot(pipeline: Option<&PipelineRecord>, target_action: &str) -> Option<PipelineSnapshot> {
    let record = pipeline?;
    // Stored declarations were validated when written; one that no longer reads
    // as a declaration just has no configuration to offer.
    let declaration: Option<PipelineDeclaration> = serde_json::from_value(record.pipeline.clone()).ok();
    let configuration = declaration
        .as_ref()
        .and_then(|d| d.source_action(target_action))
        .map(|a| a.configuration.clone())
        .unwrap_or_default();
    Some(PipelineSnapshot {
        incarnation: record.incarnation.clone(),
        version: record.version(),
        execution_mode: record.execution_mode().to_string(),
        configuration,
        dispatch: pipehook::dispatch::dispatch_settings(&record.tags),
        v2: record.pipeline.get("pipelineType").and_then(serde_json::Value::as_str) == Some("V2"),
    })
}

pub fn view_of(name: &str, record: &WebhookRecord, pipeline: Option<&PipelineRecord>) -> DeliveryView {
    DeliveryView {
        name: name.to_string(),
        rev: record.rev.clone(),
        definition: record.definition.clone(),
        pipeline: snapshot(pipeline, record.target_action()),
    }
}

/// What became of a published view.
#[derive(Debug, PartialEq, Eq)]
pub enum Published {
    /// The view matches the records: deliveries use it.
    Live,
    /// A concurrent write changed the webhook or its pipeline; the token points
    /// at the name again and deliveries read the records (correct, slower).
    Superseded,
    /// The webhook is gone, or its record now has another token (a concurrent
    /// delete, or a concurrent create that won); the token points at the name.
    Lost,
}

/// Writes `view` at `token`, then checks it against the records (rule 2).
pub async fn publish(store: &Store, token: &str, view: &DeliveryView) -> StoreResult<Published> {
    store.put_view(token, view).await?;
    let record = match store.webhook(&view.name).await? {
        Some(r) if r.token == token => r,
        _ => {
            store.bind_token(token, &view.name).await?;
            return Ok(Published::Lost);
        }
    };
    let current = if record.rev == view.rev {
        let pipeline = store.pipeline(record.target_pipeline()).await?;
        snapshot(pipeline.as_ref(), record.target_action()) == view.pipeline
    } else {
        false
    };
    if current {
        Ok(Published::Live)
    } else {
        store.bind_token(token, &view.name).await?;
        Ok(Published::Superseded)
    }
}

/// After a write of webhook `name`'s record that did not publish its view itself (rule 1).
pub async fn refresh_webhook(store: &Store, name: &str) -> StoreResult<()> {
    let Some(record) = store.webhook(name).await? else { return Ok(()) };
    let pipeline = store.pipeline(record.target_pipeline()).await?;
    publish(store, &record.token, &view_of(name, &record, pipeline.as_ref())).await?;
    Ok(())
}

/// After a write or delete of pipeline `name` (rule 1): republishes the view of
/// every webhook that targets it. `pipeline` is the record as just written.
pub async fn refresh_pipeline(
    store: &Store,
    name: &str,
    pipeline: Option<&PipelineRecord>,
) -> StoreResult<()> {
    for webhook in store.webhooks_targeting(name).await? {
        let Some(record) = store.webhook(&webhook).await? else { continue };
        if record.target_pipeline() != name {
            continue;
        }
        publish(store, &record.token, &view_of(&webhook, &record, pipeline)).await?;
    }
    Ok(())
}
