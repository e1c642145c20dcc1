//! Workers KV: every key, every (de)serialisation. The only code that touches KV.
//!
//! KV has no transactions and allows about one write per second per key, so
//! state is split into keys that are each written by one kind of event, and
//! each is whole and valid on its own:
//!
//! | key | value | written by |
//! |---|---|---|
//! | `webhook/<name>` | [`WebhookRecord`] (definition with its SecretToken, token, tags) | PutWebhook, DeleteWebhook, Tag/UntagResource |
//! | `token/<token>` | the webhook name | PutWebhook on create; never deleted (see below) |
//! | `triggered/<token>` | epoch seconds of the last accepted delivery | deliveries |
//! | `pipeline/<name>` | [`PipelineRecord`]; list metadata = its summary | pipeline operations |
//! | `execution/<pipeline>/<incarnation>/<inverted ms>-<id>` | the execution; metadata = its summary | deliveries, StartPipelineExecution |
//! | `execution-id/<pipeline>/<incarnation>/<id>` | the execution | same |
//! | `client-token/<pipeline>/<incarnation>/<token>` | the execution id | StartPipelineExecution with a clientRequestToken |
//!
//! The webhook record is the source of truth: a delivery resolves
//! `token/<token>` to a name and then requires the record's token to be the
//! URL's. A token key left behind by a delete (or by a losing concurrent
//! create) therefore never reaches anything, which is why deletes do not need
//! to remove it, and a delete racing an update can never leave a live webhook
//! whose URL does not resolve. `lastTriggered` lives apart from the record so
//! a delivery never rewrites (and so never reverts) a definition. Executions
//! are keyed under the pipeline's incarnation, so a pipeline deleted and
//! created again starts with no executions, without a bulk delete.

use serde::{Deserialize, Serialize};
use serde_json::Value;
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
        StoreError::Failed(e.to_string())
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

/// A page of a listing: items and the cursor of the next page.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

pub struct Store {
    kv: KvStore,
}

const WEBHOOK: &str = "webhook/";
const TOKEN: &str = "token/";
const TRIGGERED: &str = "triggered/";
const PIPELINE: &str = "pipeline/";
const EXECUTION: &str = "execution/";
const EXECUTION_ID: &str = "execution-id/";
const CLIENT_TOKEN: &str = "client-token/";

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
        self.put_json(&format!("{WEBHOOK}{name}"), record, None).await
    }

    pub async fn delete_webhook(&self, name: &str) -> StoreResult<()> {
        Ok(self.kv.delete(&format!("{WEBHOOK}{name}")).await?)
    }

    pub async fn bind_token(&self, token: &str, name: &str) -> StoreResult<()> {
        self.kv.put(&format!("{TOKEN}{token}"), name.to_string())?.execute().await?;
        Ok(())
    }

    pub async fn token_name(&self, token: &str) -> StoreResult<Option<String>> {
        Ok(self.kv.get(&format!("{TOKEN}{token}")).text().await?)
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
        // Newest first: KV lists keys in byte order.
        let inverted = 9_999_999_999_999u64.saturating_sub(started_ms);
        let list_key = format!("{EXECUTION}{pipeline}/{incarnation}/{inverted:013}-{id}");
        self.put_json(&format!("{EXECUTION_ID}{pipeline}/{incarnation}/{id}"), execution, None).await?;
        self.put_json(&list_key, execution, Some(summary)).await
    }

    pub async fn execution(&self, pipeline: &str, incarnation: &str, id: &str) -> StoreResult<Option<Value>> {
        self.get_json(&format!("{EXECUTION_ID}{pipeline}/{incarnation}/{id}")).await
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
}
