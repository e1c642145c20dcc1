//! Workers KV: every key, every (de)serialisation. The only code that touches KV.
//!
//! KV has no transactions and allows about one write per second per key, so
//! state is split into keys that are each written by one kind of event, and
//! each is whole and valid on its own:
//!
//! | key | value | written by |
//! |---|---|---|
//! | `webhook/<name>` | [`WebhookRecord`] (definition with its SecretToken, token, tags, the previous SecretToken during a rotation); list metadata = its target pipeline and token | PutWebhook, DeleteWebhook, Tag/UntagResource |
//! | `token/<token>` | a [`DeliveryView`] (JSON), the webhook's name, or `!deleted` | PutWebhook, DeleteWebhook, every pipeline write (see `views.rs`); never deleted |
//! | `triggered/<token>` | epoch seconds of the last accepted delivery | deliveries |
//! | `pipeline/<name>` | [`PipelineRecord`]; list metadata = its summary | pipeline operations |
//! | `execution/<pipeline>/<incarnation>/<inverted ms>-<id>` | the execution; metadata = its summary | deliveries, StartPipelineExecution, the dispatch consumer |
//! | `execution-id/<pipeline>/<incarnation>/<id>` | a delivery-derived id's start time in epoch ms; or the execution itself (executions stored before ids carried their time) | deliveries to a pipeline with a dispatch target carrying `X-GitHub-Delivery` |
//! | `client-token/<pipeline>/<incarnation>/<token>` | the execution id | StartPipelineExecution with a clientRequestToken |
//! | `registration/<name>` | [`Registration`]: the webhook's hook on GitHub (API, repository, hook id) | Register/DeregisterWebhookWithThirdParty |
//! | `delivery/<token>/<inverted ms>-<id>` | a delivery log entry (`delivery_log.rs`); metadata = its summary; expires after 7 days | deliveries (after answering), RedeliverWebhookDelivery |
//!
//! The webhook and pipeline records are the source of truth. `token/<token>`
//! is what a delivery reads, in one KV read: either a [`DeliveryView`] (the
//! compiled-from definition and the target action's configuration, derived
//! from both records and rewritten after every write of either, see
//! `views.rs`), or just the webhook's name, in which case the delivery reads
//! the records themselves and requires the record's token to be the URL's (a
//! token left behind by a losing concurrent create, or written before views
//! existed), or `!deleted`: a delete revokes the token before anything else, so
//! its URL stops starting executions first (`views.rs`). `lastTriggered` lives apart from the record so a delivery
//! never rewrites (and so never reverts) a definition. Executions are keyed
//! under the pipeline's incarnation, so a pipeline deleted and created again
//! starts with no executions, without a bulk delete. An execution id carries
//! its start time (a version 7 UUID), which names its listing key, so one
//! write stores it both for listing and for lookup by id. An id derived from a
//! delivery (`X-GitHub-Delivery`, a version 8 UUID: `pipehook::dispatch`) cannot
//! carry the time of the first copy, so its `execution-id/` key holds that
//! time: the lookup by id reads it first, and a later copy of the delivery
//! finds it there (`handoff.rs`). The execution and its summary share one key
//! and are always written together, so the listing and the lookup agree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::kv::KvStore;

use pipehook::Tag;

/// KV failed (network, quota), or a listing was given a cursor KV refused.
#[derive(Debug)]
pub enum StoreError {
    Failed(String),
    BadCursor,
}

impl From<worker::kv::KvError> for StoreError {
    fn from(e: worker::kv::KvError) -> Self {
        // The first line: a JS error's text is followed by its stack.
        StoreError::Failed(e.to_string().lines().next().unwrap_or_default().to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    /// The normalised WebhookDefinition, SecretToken included (never answered as is).
    pub definition: Value,
    pub token: String,
    /// Changes on every write of the definition; keys the per-isolate compile cache.
    pub rev: String,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub created: f64,
    pub updated: f64,
    /// The SecretToken PutWebhook replaced, still accepted until it expires (`rotation.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecret>,
}

/// A GITHUB_HMAC SecretToken a PutWebhook replaced, and when it stops being
/// accepted. Its member is named `SecretToken` so that `pipehook::redact` masks it
/// should it ever be put in an answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviousSecret {
    #[serde(rename = "SecretToken")]
    pub secret_token: pipehook::SecretToken,
    /// Epoch seconds.
    pub expires: f64,
}

impl WebhookRecord {
    pub fn target_pipeline(&self) -> &str {
        self.definition.get("targetPipeline").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn target_action(&self) -> &str {
        self.definition.get("targetAction").and_then(Value::as_str).unwrap_or_default()
    }
}

/// What a delivery needs, in the one key it reads (`token/<token>`): the
/// webhook as of record `rev`, and its target pipeline as of `pipeline`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub name: String,
    pub rev: String,
    /// The normalised WebhookDefinition, SecretToken included (as in the record).
    pub definition: Value,
    /// `None`: the target pipeline does not exist.
    pub pipeline: Option<PipelineSnapshot>,
    /// As in the record: deliveries honour it until it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecret>,
}

/// The part of a pipeline a delivery uses, as of one incarnation and version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSnapshot {
    pub incarnation: String,
    pub version: i64,
    pub execution_mode: String,
    /// The target action's configuration (for `{Key}` placeholders); empty if
    /// the pipeline has no such action in its first stage.
    pub configuration: BTreeMap<String, String>,
    /// Where executions are handed (the pipeline's `pipehook:` tags); `None`: nowhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatch: Option<pipehook::dispatch::DispatchSettings>,
    /// `pipelineType: V2` (source revision overrides are V2's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub v2: bool,
}

/// What `token/<token>` holds.
pub enum TokenEntry {
    /// (Boxed: a view is large, the other forms are small.)
    View(Box<DeliveryView>),
    /// The webhook's name: resolve through the records.
    Name(String),
    /// Its webhook is deleted (or being deleted): resolves to nothing, whatever the records say.
    Revoked,
}

/// What a revoked token key holds: not a view (`{`), not a name (`[A-Za-z0-9.@\-_]+`).
const REVOKED: &str = "!deleted";

impl TokenEntry {
    /// Webhook names never start with `{` (`[A-Za-z0-9.@\-_]+`), so a view is told apart by its first byte.
    pub fn parse(text: &str) -> StoreResult<TokenEntry> {
        if text == REVOKED {
            Ok(TokenEntry::Revoked)
        } else if text.starts_with('{') {
            serde_json::from_str(text)
                .map(|view| TokenEntry::View(Box::new(view)))
                .map_err(|e| StoreError::Failed(format!("stored delivery view is unreadable: {e}")))
        } else {
            Ok(TokenEntry::Name(text.to_string()))
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineRecord {
    /// The PipelineDeclaration as stored (with its version).
    pub pipeline: Value,
    pub created: f64,
    pub updated: f64,
    /// New for every CreatePipeline; scopes the executions.
    pub incarnation: String,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl PipelineRecord {
    pub fn version(&self) -> i64 {
        self.pipeline.get("version").and_then(Value::as_i64).unwrap_or(1)
    }

    pub fn execution_mode(&self) -> &str {
        self.pipeline.get("executionMode").and_then(Value::as_str).unwrap_or("SUPERSEDED")
    }
}

/// Where RegisterWebhookWithThirdParty put a webhook's hook on GitHub. Keyed by
/// the webhook's name and kept across DeleteWebhook, so that a webhook created
/// again under the same name updates its old hook (to the new URL) when
/// registered, rather than leaving it behind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// `GITHUB_API_URL` when it was registered.
    pub api_url: String,
    pub owner: String,
    pub repo: String,
    pub hook_id: u64,
    /// The URL the hook delivers to.
    pub url: String,
    /// Epoch seconds.
    pub registered: f64,
}

/// A page of a listing: items and the cursor of the next page.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

#[derive(Clone)]
pub struct Store {
    kv: KvStore,
}

/// Newest first: KV lists keys in byte order.
fn execution_key(pipeline: &str, incarnation: &str, started_ms: u64, id: &str) -> String {
    let inverted = 9_999_999_999_999u64.saturating_sub(started_ms);
    format!("{EXECUTION}{pipeline}/{incarnation}/{inverted:013}-{id}")
}

/// Newest first, as executions are: the id (a time-ordered id) names the time.
fn delivery_key(token: &str, at_ms: u64, id: &str) -> String {
    let inverted = 9_999_999_999_999u64.saturating_sub(at_ms);
    format!("{DELIVERY}{token}/{inverted:013}-{id}")
}

fn id_key(pipeline: &str, incarnation: &str, id: &str) -> String {
    format!("{EXECUTION_ID}{pipeline}/{incarnation}/{id}")
}

const WEBHOOK: &str = "webhook/";
const TOKEN: &str = "token/";
const TRIGGERED: &str = "triggered/";
const PIPELINE: &str = "pipeline/";
const EXECUTION: &str = "execution/";
const EXECUTION_ID: &str = "execution-id/";
const CLIENT_TOKEN: &str = "client-token/";
const REGISTRATION: &str = "registration/";
const DELIVERY: &str = "delivery/";

impl Store {
    pub fn new(kv: KvStore) -> Self {
        Self { kv }
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, key: &str) -> StoreResult<Option<T>> {
        match self.kv.get(key).text().await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError::Failed(format!("stored value at {key} is unreadable: {e}"))),
        }
    }

    async fn put_json<T: Serialize>(&self, key: &str, value: &T, metadata: Option<Value>) -> StoreResult<()> {
        let text = serde_json::to_string(value).map_err(|e| StoreError::Failed(e.to_string()))?;
        let mut put = self.kv.put(key, text)?;
        if let Some(m) = metadata {
            put = put.metadata(m)?;
        }
        put.execute().await?;
        Ok(())
    }

    /// One page of keys under `prefix`. `cursor` is KV's own cursor.
    async fn list(
        &self,
        prefix: &str,
        limit: u64,
        cursor: Option<String>,
    ) -> StoreResult<Page<worker::kv::Key>> {
        let mut list = self.kv.list().prefix(prefix.to_string()).limit(limit);
        let had_cursor = cursor.is_some();
        if let Some(c) = cursor {
            list = list.cursor(c);
        }
        let page = match list.execute().await {
            Ok(page) => page,
            Err(_) if had_cursor => return Err(StoreError::BadCursor),
            Err(e) => return Err(e.into()),
        };
        let next = if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) };
        Ok(Page { items: page.keys, next })
    }

    // --- webhooks ---

    pub async fn webhook(&self, name: &str) -> StoreResult<Option<WebhookRecord>> {
        self.get_json(&format!("{WEBHOOK}{name}")).await
    }

    pub async fn put_webhook(&self, name: &str, record: &WebhookRecord) -> StoreResult<()> {
        // Lets a pipeline write find the views that depend on it from one listing.
        let metadata = json!({"pipeline": record.target_pipeline(), "token": record.token});
        self.put_json(&format!("{WEBHOOK}{name}"), record, Some(metadata)).await
    }

    pub async fn delete_webhook(&self, name: &str) -> StoreResult<()> {
        Ok(self.kv.delete(&format!("{WEBHOOK}{name}")).await?)
    }

    /// Points a token at a webhook name: deliveries resolve it through the records.
    pub async fn bind_token(&self, token: &str, name: &str) -> StoreResult<()> {
        self.kv.put(&format!("{TOKEN}{token}"), name.to_string())?.execute().await?;
        Ok(())
    }

    /// Stops deliveries at a token for good: a revoked token resolves to nothing ([`TokenEntry::Revoked`]).
    pub async fn revoke_token(&self, token: &str) -> StoreResult<()> {
        self.kv.put(&format!("{TOKEN}{token}"), REVOKED)?.execute().await?;
        Ok(())
    }

    pub async fn put_view(&self, token: &str, view: &DeliveryView) -> StoreResult<()> {
        self.put_json(&format!("{TOKEN}{token}"), view, None).await
    }

    /// The raw text of `token/<token>` ([`TokenEntry::parse`] reads it); raw so a
    /// delivery can tell an unchanged view from its cached copy without parsing.
    pub async fn token_entry(&self, token: &str) -> StoreResult<Option<String>> {
        Ok(self.kv.get(&format!("{TOKEN}{token}")).text().await?)
    }

    /// The names of the webhooks whose record targets `pipeline`.
    pub async fn webhooks_targeting(&self, pipeline: &str) -> StoreResult<Vec<String>> {
        let mut names = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.list(WEBHOOK, 1000, cursor).await?;
            for key in page.items {
                let name = key.name.strip_prefix(WEBHOOK).unwrap_or_default().to_string();
                let target =
                    match key.metadata.as_ref().and_then(|m| m.get("pipeline")).and_then(Value::as_str) {
                        Some(t) => Some(t.to_string()),
                        // A record written before it carried metadata: read it.
                        None => self.webhook(&name).await?.map(|r| r.target_pipeline().to_string()),
                    };
                if target.as_deref() == Some(pipeline) {
                    names.push(name);
                }
            }
            match page.next {
                Some(c) => cursor = Some(c),
                None => return Ok(names),
            }
        }
    }

    pub async fn last_triggered(&self, token: &str) -> StoreResult<Option<f64>> {
        Ok(self.kv.get(&format!("{TRIGGERED}{token}")).text().await?.and_then(|t| t.parse().ok()))
    }

    pub async fn set_last_triggered(&self, token: &str, at: f64) -> StoreResult<()> {
        self.kv.put(&format!("{TRIGGERED}{token}"), at.to_string())?.execute().await?;
        Ok(())
    }

    pub async fn forget_last_triggered(&self, token: &str) -> StoreResult<()> {
        Ok(self.kv.delete(&format!("{TRIGGERED}{token}")).await?)
    }

    /// How many webhooks exist, counting up to `stop_at`.
    pub async fn count_webhooks(&self, stop_at: usize) -> StoreResult<usize> {
        let mut count = 0;
        let mut cursor = None;
        loop {
            let page = self.list(WEBHOOK, 1000, cursor).await?;
            count += page.items.len();
            match page.next {
                Some(c) if count < stop_at => cursor = Some(c),
                _ => return Ok(count),
            }
        }
    }

    /// A page of webhook records in name order.
    pub async fn list_webhooks(
        &self,
        limit: u64,
        cursor: Option<String>,
    ) -> StoreResult<Page<WebhookRecord>> {
        let page = self.list(WEBHOOK, limit, cursor).await?;
        let reads = page.items.iter().map(|k| self.get_json::<WebhookRecord>(&k.name));
        let records = futures_util::future::join_all(reads).await;
        let mut items = Vec::with_capacity(records.len());
        for r in records {
            // A webhook deleted between the list and the read is simply not listed.
            if let Some(rec) = r? {
                items.push(rec);
            }
        }
        Ok(Page { items, next: page.next })
    }

    // --- registrations with GitHub ---

    pub async fn registration(&self, name: &str) -> StoreResult<Option<Registration>> {
        self.get_json(&format!("{REGISTRATION}{name}")).await
    }

    pub async fn put_registration(&self, name: &str, registration: &Registration) -> StoreResult<()> {
        self.put_json(&format!("{REGISTRATION}{name}"), registration, None).await
    }

    pub async fn delete_registration(&self, name: &str) -> StoreResult<()> {
        Ok(self.kv.delete(&format!("{REGISTRATION}{name}")).await?)
    }

    // --- pipelines ---

    pub async fn pipeline(&self, name: &str) -> StoreResult<Option<PipelineRecord>> {
        self.get_json(&format!("{PIPELINE}{name}")).await
    }

    pub async fn put_pipeline(&self, name: &str, record: &PipelineRecord, summary: Value) -> StoreResult<()> {
        self.put_json(&format!("{PIPELINE}{name}"), record, Some(summary)).await
    }

    pub async fn delete_pipeline(&self, name: &str) -> StoreResult<()> {
        Ok(self.kv.delete(&format!("{PIPELINE}{name}")).await?)
    }

    /// A page of pipeline summaries (the metadata written with each pipeline).
    pub async fn list_pipelines(&self, limit: u64, cursor: Option<String>) -> StoreResult<Page<Value>> {
        let page = self.list(PIPELINE, limit, cursor).await?;
        let items = page.items.into_iter().filter_map(|k| k.metadata).collect();
        Ok(Page { items, next: page.next })
    }

    // --- executions ---

    pub async fn put_execution(
        &self,
        pipeline: &str,
        incarnation: &str,
        id: &str,
        started_ms: u64,
        execution: &Value,
        summary: Value,
    ) -> StoreResult<()> {
        // One write: the id carries `started_ms` (`ids::time_ordered`), so GetPipelineExecution
        // finds this listing key from the id alone.
        self.put_json(&execution_key(pipeline, incarnation, started_ms, id), execution, Some(summary)).await
    }

    pub async fn execution(&self, pipeline: &str, incarnation: &str, id: &str) -> StoreResult<Option<Value>> {
        if let Some(started_ms) = crate::ids::time_of(id) {
            if let Some(found) = self.get_json(&execution_key(pipeline, incarnation, started_ms, id)).await? {
                return Ok(Some(found));
            }
        }
        // A delivery-derived id's start time, or an execution stored before ids carried their time.
        let Some(text) = self.kv.get(&id_key(pipeline, incarnation, id)).text().await? else { return Ok(None) };
        match text.parse::<u64>() {
            Ok(started_ms) => self.get_json(&execution_key(pipeline, incarnation, started_ms, id)).await,
            Err(_) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StoreError::Failed(format!("stored execution {id} is unreadable: {e}"))),
        }
    }

    /// The execution and its summary, at the key its start time names.
    pub async fn execution_at(
        &self,
        pipeline: &str,
        incarnation: &str,
        started_ms: u64,
        id: &str,
    ) -> StoreResult<Option<(Value, Value)>> {
        let key = execution_key(pipeline, incarnation, started_ms, id);
        let (text, summary) = self.kv.get(&key).text_with_metadata::<Value>().await?;
        let Some(text) = text else { return Ok(None) };
        let execution = serde_json::from_str(&text)
            .map_err(|e| StoreError::Failed(format!("stored value at {key} is unreadable: {e}")))?;
        Ok(Some((execution, summary.unwrap_or(Value::Null))))
    }

    pub async fn delete_execution(&self, pipeline: &str, incarnation: &str, started_ms: u64, id: &str) -> StoreResult<()> {
        Ok(self.kv.delete(&execution_key(pipeline, incarnation, started_ms, id)).await?)
    }

    /// When the execution with delivery-derived id `id` started, if a copy of its delivery got that far.
    pub async fn execution_start(&self, pipeline: &str, incarnation: &str, id: &str) -> StoreResult<Option<u64>> {
        let text = self.kv.get(&id_key(pipeline, incarnation, id)).text().await?;
        Ok(text.and_then(|t| t.parse().ok()))
    }

    pub async fn put_execution_start(&self, pipeline: &str, incarnation: &str, id: &str, started_ms: u64) -> StoreResult<()> {
        self.kv.put(&id_key(pipeline, incarnation, id), started_ms.to_string())?.execute().await?;
        Ok(())
    }

    /// A page of execution summaries, newest first.
    pub async fn list_executions(
        &self,
        pipeline: &str,
        incarnation: &str,
        limit: u64,
        cursor: Option<String>,
    ) -> StoreResult<Page<Value>> {
        let page = self.list(&format!("{EXECUTION}{pipeline}/{incarnation}/"), limit, cursor).await?;
        let items = page.items.into_iter().filter_map(|k| k.metadata).collect();
        Ok(Page { items, next: page.next })
    }

    /// The execution a StartPipelineExecution `clientRequestToken` already started.
    pub async fn client_token(
        &self,
        pipeline: &str,
        incarnation: &str,
        token: &str,
    ) -> StoreResult<Option<String>> {
        Ok(self.kv.get(&format!("{CLIENT_TOKEN}{pipeline}/{incarnation}/{token}")).text().await?)
    }

    pub async fn put_client_token(
        &self,
        pipeline: &str,
        incarnation: &str,
        token: &str,
        id: &str,
    ) -> StoreResult<()> {
        self.kv
            .put(&format!("{CLIENT_TOKEN}{pipeline}/{incarnation}/{token}"), id.to_string())?
            .execute()
            .await?;
        Ok(())
    }

    // --- the delivery log (`delivery_log.rs`) ---

    /// A log entry's bytes, by its id (which carries its time); `None` for an id that is not one.
    pub async fn delivery(&self, token: &str, id: &str) -> StoreResult<Option<Vec<u8>>> {
        let Some(at_ms) = crate::ids::time_of(id) else { return Ok(None) };
        Ok(self.kv.get(&delivery_key(token, at_ms, id)).bytes().await?)
    }

    /// A page of log entry summaries, newest first.
    pub async fn list_deliveries(&self, token: &str, limit: u64, cursor: Option<String>) -> StoreResult<Page<Value>> {
        let page = self.list(&format!("{DELIVERY}{token}/"), limit, cursor).await?;
        let items = page.items.into_iter().filter_map(|k| k.metadata).collect();
        Ok(Page { items, next: page.next })
    }
}

// A log entry's write, and the trim that may follow it, in one call into JS, answering one
// promise: after a delivery's answer, a Rust future per KV call (a JsFuture, its closures, a
// wake through the task queue) and workers-rs's conversions of the options and of a listing's
// metadata cost the Worker more than the entry itself (`bench/RESULTS.md`, "The delivery log").
#[wasm_bindgen::prelude::wasm_bindgen(inline_js = "
export function writeLogEntry(env, binding, key, value, metadata, ttl, trimPrefix, keep, limit) {
  const kv = env[binding];
  if (!kv) return Promise.resolve(false);
  let put;
  try {
    put = kv.put(key, value, { metadata: JSON.parse(metadata), expirationTtl: ttl });
  } catch (e) {
    return Promise.resolve(false);
  }
  return put.then(
    () => trimPrefix === undefined ? true : kv.list({ prefix: trimPrefix, limit })
      .then((page) => Promise.all(page.keys.slice(keep).map((k) => kv.delete(k.name))))
      .then(() => true, () => true),
    () => false,
  );
}
")]
extern "C" {
    #[wasm_bindgen(js_name = writeLogEntry)]
    #[allow(clippy::too_many_arguments)]
    fn write_log_entry_js(
        env: &wasm_bindgen::JsValue,
        binding: &str,
        key: &str,
        value: &js_sys::Uint8Array,
        metadata: &str,
        ttl: f64,
        trim_prefix: Option<String>,
        keep: u32,
        limit: u32,
    ) -> js_sys::Promise;
}

/// A delivery log entry to write (`delivery_log.rs`).
pub struct LogWrite<'a> {
    pub token: &'a str,
    pub at_ms: u64,
    pub id: &'a str,
    /// The stored bytes (copied into JS here: KV reads them after this returns).
    pub value: &'a [u8],
    /// The listing summary, as JSON text (KV metadata).
    pub metadata: &'a str,
    pub ttl_s: u64,
    /// Then delete what is past the newest `keep` of the `limit` newest entries.
    pub trim: Option<(u32, u32)>,
}

/// Writes a log entry (KV deletes it after `ttl_s`), then trims the log when asked: the promise
/// of `true` once the entry is written, `false` when it could not be.
pub fn write_log_entry(env: &worker::Env, w: &LogWrite<'_>) -> js_sys::Promise {
    let (keep, limit) = w.trim.unwrap_or((0, 0));
    write_log_entry_js(
        env.as_ref(),
        crate::KV_BINDING,
        &delivery_key(w.token, w.at_ms, w.id),
        &js_sys::Uint8Array::from(w.value),
        w.metadata,
        w.ttl_s as f64,
        w.trim.map(|_| format!("{DELIVERY}{}/", w.token)),
        keep,
        limit,
    )
}
