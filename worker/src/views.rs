//! Delivery views (`token/<token>`, see `store.rs`): everything a delivery
//! needs in the one key it reads, derived from the webhook record and its
//! target pipeline's record, and kept in step with both.
//!
//! A token key holds one of three things, each trusted differently by a delivery:
//! - a [`DeliveryView`]: used as it is, without reading the records (the fast way);
//! - the webhook's name: resolved through the records, live while the record
//!   exists and carries this token (always correct, only slower);
//! - `!deleted` ([`TokenEntry::Revoked`](crate::store::TokenEntry)): dead,
//!   whatever the records say.
//!
//! KV has no compare-and-set, so every writer follows one protocol:
//!
//! 1. Whoever writes (or deletes) a webhook or pipeline record afterwards
//!    writes the token keys that depend on it: PutWebhook publishes the view,
//!    DeleteWebhook revokes the token (rule 3), Tag/UntagResource
//!    republish the view ([`refresh_webhook`]: their read-modify-write may have
//!    raced a PutWebhook), every pipeline write republishes the views of the
//!    webhooks targeting it ([`refresh_pipeline`]).
//! 2. Whoever writes a view ([`publish`]) afterwards reads both records again;
//!    if either is no longer what the view was built from (or the webhook is
//!    gone), it points the token back at the webhook's name.
//! 3. A delete stops deliveries before it removes anything. Pointing the token
//!    at the name would not: the record still exists, and a name resolves
//!    through it. So DeleteWebhook revokes the token, forgets `lastTriggered`,
//!    deletes the record, and last reads the token again, revoking it once more
//!    if a concurrent writer published a view in between
//!    ([`revoke_again_if_republished`]: rule 1 without a second write to the
//!    same key in the usual case, as KV allows about one a second). A view
//!    published after that read is checked by its writer (rule 2), who finds no
//!    record.
//!
//! A token pointing at a name is always correct, only slower: the delivery
//! then reads the records themselves. And the last write to a token key is
//! either such a name, a revocation, or a view whose writer found, after
//! writing it, the records it was built from; any later record write is
//! followed (rule 1) by a later token write, so that view is still current.
//! Whatever the interleaving, once the writes settle no view disagrees with the
//! records. (Across Cloudflare locations, KV's own propagation delay of up to
//! 60 s still applies, as it does to the records themselves.)
//!
//! A write that fails halfway (KV down, or over its limits) answers 500 and
//! leaves a state that the retry of the same request completes, because each
//! operation writes the records first and the token keys that depend on them
//! after, and its retry rewrites both:
//! - PutWebhook: a new webhook's token first points at its name, then the
//!   record is written, then the view: a failure leaves nothing visible, or a
//!   listed webhook whose URL resolves through the records; the retry finds the
//!   record, keeps its URL and publishes the view.
//! - DeleteWebhook (rule 3): until the record is deleted the webhook is still
//!   listed (its URL possibly already dead) and the retry does every step
//!   again; once it is deleted, the token is already revoked.
//! - UpdatePipeline, DeletePipeline, Tag/UntagResource: the record, then the
//!   views; a failure leaves some views as they were, and the retry rewrites
//!   them all. A retried CreatePipeline meets the pipeline its first attempt
//!   stored and answers PipelineNameInUseException, as AWS does, after
//!   repairing the views that disagree with the records ([`repair_pipeline`]).
//!
//! Invariant: no URL starts an execution for a webhook the API does not show;
//! a webhook the API shows has a URL that works, but during a DeleteWebhook
//! (or after one that failed, until its retry).

use pipehook::PipelineDeclaration;

use crate::store::{DeliveryView, PipelineRecord, PipelineSnapshot, Store, StoreResult, TokenEntry, WebhookRecord};

/// The part of `pipeline` a delivery to `target_action` uses.
pub fn snapshot(pipeline: Option<&PipelineRecord>, target_action: &str) -> Option<PipelineSnapshot> {
    let record = pipeline?;
    // Stored declarations were validated when written; one that no longer reads
    // as a declaration just has no configuration to offer.
    let declaration: Option<PipelineDeclaration> = serde_json::from_value(record.pipeline.clone()).ok();
    let configuration = declaration
        .as_ref()
        .and_then(|d| d.source_action(target_action))
        // Its secret properties stay in the record: no filter may read them.
        .map(pipehook::secrets::public_configuration)
        .unwrap_or_default();
    Some(PipelineSnapshot {
        incarnation: record.incarnation.clone(),
        version: record.version(),
        execution_mode: record.execution_mode().to_string(),
        configuration,
    })
}

pub fn view_of(name: &str, record: &WebhookRecord, pipeline: Option<&PipelineRecord>) -> DeliveryView {
    DeliveryView {
        name: name.to_string(),
        rev: record.rev.clone(),
        definition: record.definition.clone(),
        pipeline: snapshot(pipeline, record.target_action()),
        previous_secret: record.previous_secret.clone(),
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

/// The views of the webhooks targeting pipeline `name` that disagree with the
/// records, republished; the others are left alone (a read each, no write).
pub async fn repair_pipeline(store: &Store, name: &str, pipeline: Option<&PipelineRecord>) -> StoreResult<()> {
    for webhook in store.webhooks_targeting(name).await? {
        let Some(record) = store.webhook(&webhook).await? else { continue };
        if record.target_pipeline() != name {
            continue;
        }
        let view = view_of(&webhook, &record, pipeline);
        let current = match store.token_entry(&record.token).await?.as_deref().map(TokenEntry::parse) {
            Some(Ok(TokenEntry::View(stored))) => stored == view,
            _ => false,
        };
        if !current {
            publish(store, &record.token, &view).await?;
        }
    }
    Ok(())
}

/// The end of a delete (rule 3): the token, revoked before the record was
/// deleted, is revoked again only if a concurrent write has published a view
/// there since.
pub async fn revoke_again_if_republished(store: &Store, token: &str) -> StoreResult<()> {
    match store.token_entry(token).await?.as_deref().map(TokenEntry::parse) {
        Some(Ok(TokenEntry::View(_))) => store.revoke_token(token).await,
        _ => Ok(()),
    }
}
