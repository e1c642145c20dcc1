//! StartPipelineExecution, GetPipelineExecution, ListPipelineExecutions, and
//! the execution record a webhook delivery starts (and the dispatch consumer settles).

use serde_json::{json, Value};

use super::{decode_next_token, encode_next_token, Checks};
use crate::api::{ApiError, Ctx, OpResult};
use crate::ids;
use crate::store::{PipelineRecord, PipelineSnapshot, Store, StoreResult};

/// Why an execution started (the model's ExecutionTrigger).
pub struct Trigger<'a> {
    pub trigger_type: &'a str,
    pub detail: &'a str,
}

/// The revision a source action saw: (action name, revision id).
pub struct Source<'a> {
    pub action: &'a str,
    pub revision: &'a str,
}

/// The pipeline an execution belongs to, as of one incarnation and version.
pub struct Target<'a> {
    pub name: &'a str,
    pub incarnation: &'a str,
    pub version: i64,
    pub execution_mode: &'a str,
}

impl<'a> Target<'a> {
    pub fn of_record(name: &'a str, record: &'a PipelineRecord) -> Self {
        Self {
            name,
            incarnation: &record.incarnation,
            version: record.version(),
            execution_mode: record.execution_mode(),
        }
    }

    pub fn of_snapshot(name: &'a str, snapshot: &'a PipelineSnapshot) -> Self {
        Self {
            name,
            incarnation: &snapshot.incarnation,
            version: snapshot.version,
            execution_mode: &snapshot.execution_mode,
        }
    }
}

/// The record member that counts a dispatched execution's attempts at its target. Internal:
/// GetPipelineExecution leaves it out ([`answered`]).
const DISPATCH_STATE: &str = "pipehookDispatch";
/// Workers KV's limit on a key's metadata, which holds the listing summary.
const SUMMARY_BYTES: usize = 1024;
/// How much of a revision the listing summary keeps (the record keeps the model's 1500).
const SUMMARY_REVISION_MAX: usize = 200;

/// An execution to record.
pub struct NewExecution<'a> {
    pub id: &'a str,
    pub started_ms: u64,
    pub pipeline: Target<'a>,
    pub trigger: Trigger<'a>,
    pub sources: &'a [Source<'a>],
    pub variables: &'a [pipehook::PipelineVariable],
    pub status: &'a str,
    pub status_summary: Option<&'a str>,
    /// Handed to a dispatch target: the record counts the attempts at it.
    pub dispatched: bool,
}

impl NewExecution<'_> {
    /// The PipelineExecution (the value) and its PipelineExecutionSummary (the metadata).
    pub fn record(&self) -> (Value, Value) {
        let now = self.started_ms as f64 / 1000.0;
        let trigger = json!({"triggerType": self.trigger.trigger_type, "triggerDetail": self.trigger.detail});
        let cut = |s: &str, n: usize| -> String { s.chars().take(n).collect() };
        let artifact_revisions: Vec<Value> = self
            .sources
            .iter()
            .map(|s| json!({"name": s.action, "revisionId": cut(s.revision, 1500), "created": now}))
            .collect();
        let source_revisions: Vec<Value> = self
            .sources
            .iter()
            .map(|s| json!({"actionName": s.action, "revisionId": cut(s.revision, SUMMARY_REVISION_MAX)}))
            .collect();
        let mut execution = json!({
            "pipelineName": self.pipeline.name,
            "pipelineVersion": self.pipeline.version,
            "pipelineExecutionId": self.id,
            "status": self.status,
            "artifactRevisions": artifact_revisions,
            "trigger": trigger,
            "executionMode": self.pipeline.execution_mode,
            "executionType": "STANDARD",
        });
        let mut summary = json!({
            "pipelineExecutionId": self.id,
            "status": self.status,
            "startTime": now,
            "lastUpdateTime": now,
            "sourceRevisions": source_revisions,
            "trigger": trigger,
            "executionMode": self.pipeline.execution_mode,
            "executionType": "STANDARD",
        });
        if let Some(text) = self.status_summary {
            execution["statusSummary"] = json!(text);
            summary["statusSummary"] = json!(text);
        }
        if !self.variables.is_empty() {
            let resolved: Vec<Value> =
                self.variables.iter().map(|v| json!({"name": v.name, "resolvedValue": v.value})).collect();
            execution["variables"] = json!(resolved);
        }
        if self.dispatched {
            execution[DISPATCH_STATE] = json!({"attempts": 0});
        }
        fit_summary(&mut summary);
        (execution, summary)
    }

    pub async fn put(&self, store: &Store) -> StoreResult<()> {
        let (execution, summary) = self.record();
        store
            .put_execution(self.pipeline.name, self.pipeline.incarnation, self.id, self.started_ms, &execution, summary)
            .await
    }
}

/// Keeps a listing summary within KV's metadata limit: the fewest source revisions (the
/// first kept), then a shorter `statusSummary`.
fn fit_summary(summary: &mut Value) {
    let size = |s: &Value| s.to_string().len();
    while size(summary) > SUMMARY_BYTES {
        match summary.get_mut("sourceRevisions").and_then(Value::as_array_mut) {
            Some(list) if list.len() > 1 => {
                list.pop();
            }
            _ => break,
        }
    }
    if size(summary) > SUMMARY_BYTES {
        if let Some(Value::String(text)) = summary.get_mut("statusSummary") {
            *text = text.chars().take(100).collect();
        }
    }
}

/// How many attempts a dispatched execution has made at its target; `None` when it was not
/// dispatched.
pub fn dispatch_attempts(execution: &Value) -> Option<u32> {
    execution.get(DISPATCH_STATE)?.get("attempts")?.as_u64().map(|n| n as u32)
}

/// Sets what became of a dispatched execution, on the record and its summary alike.
pub fn settle(execution: &mut Value, summary: &mut Value, status: &str, status_summary: &str, attempts: u32, now: f64) {
    execution["status"] = json!(status);
    execution["statusSummary"] = json!(status_summary);
    execution[DISPATCH_STATE] = json!({"attempts": attempts});
    if summary.is_object() {
        summary["status"] = json!(status);
        summary["statusSummary"] = json!(status_summary);
        summary["lastUpdateTime"] = json!(now);
        fit_summary(summary);
    }
}

/// An execution as GetPipelineExecution answers it: without pipehook's own state.
fn answered(mut execution: Value) -> Value {
    if let Some(map) = execution.as_object_mut() {
        map.remove(DISPATCH_STATE);
    }
    execution
}

pub async fn start_pipeline_execution(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "name");
    let token = checks.string(&input, "clientRequestToken", false, 1, 128);
    if let Some(t) = token.as_deref().filter(|t| !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
        checks.problem(pipehook::Problem::constraint(
            "clientRequestToken",
            Some(t),
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9-]+$",
        ));
    }
    checks.finish()?;
    // The model's shapes first (no pipeline needed), then the actions against the pipeline.
    pipehook::start::validate_start_overrides(&input, None).map_err(|p| ApiError::from_problems(&p))?;
    let name = name.unwrap_or_default();
    let Some(pipeline) = ctx.store.pipeline(&name).await? else {
        return Err(super::pipelines::not_found(ctx, &name));
    };
    let declaration: Option<pipehook::PipelineDeclaration> = serde_json::from_value(pipeline.pipeline.clone()).ok();
    let overrides = pipehook::start::validate_start_overrides(&input, declaration.as_ref())
        .map_err(|p| ApiError::from_problems(&p))?;
    let detail = format!("arn:aws:iam::{}:user/{}", ctx.account, ctx.caller);
    let sources: Vec<Source> = overrides
        .source_revisions
        .iter()
        .map(|o| Source { action: &o.action_name, revision: &o.revision_value })
        .collect();
    let trigger = Trigger { trigger_type: "StartPipelineExecution", detail: &detail };
    let new = |id, started_ms| requested(id, started_ms, Target::of_record(&name, &pipeline), &trigger, &sources, &overrides);
    // The same clientRequestToken answers the execution it started the first time. The
    // token is stored before the execution, so a retry after a failure between the two
    // finds the id and records the execution it names: one token, one execution.
    if let Some(t) = &token {
        if let Some(id) = ctx.store.client_token(&name, &pipeline.incarnation, t).await? {
            if ctx.store.execution(&name, &pipeline.incarnation, &id).await?.is_none() {
                let started = ids::time_of(&id).unwrap_or(ctx.now_ms);
                new(&id, started).put(&ctx.store).await?;
            }
            return Ok(json!({ "pipelineExecutionId": id }));
        }
    }
    let id = ids::time_ordered(ctx.now_ms);
    if let Some(t) = &token {
        ctx.store.put_client_token(&name, &pipeline.incarnation, t, &id).await?;
    }
    new(&id, ctx.now_ms).put(&ctx.store).await?;
    Ok(json!({ "pipelineExecutionId": id }))
}

/// The execution a StartPipelineExecution request records.
fn requested<'a>(
    id: &'a str,
    started_ms: u64,
    pipeline: Target<'a>,
    trigger: &Trigger<'a>,
    sources: &'a [Source<'a>],
    overrides: &'a pipehook::start::StartOverrides,
) -> NewExecution<'a> {
    NewExecution {
        id,
        started_ms,
        pipeline,
        trigger: Trigger { trigger_type: trigger.trigger_type, detail: trigger.detail },
        sources,
        variables: &overrides.variables,
        status: "InProgress",
        status_summary: None,
        dispatched: false,
    }
}

pub async fn get_pipeline_execution(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "pipelineName");
    let id = checks.uuid(&input, "pipelineExecutionId");
    checks.finish()?;
    let (name, id) = (name.unwrap_or_default(), id.unwrap_or_default());
    let Some(pipeline) = ctx.store.pipeline(&name).await? else {
        return Err(super::pipelines::not_found(ctx, &name));
    };
    match ctx.store.execution(&name, &pipeline.incarnation, &id).await? {
        Some(execution) => Ok(json!({ "pipelineExecution": answered(execution) })),
        None => Err(ApiError::PipelineExecutionNotFoundException(format!(
            "Pipeline execution '{id}' of pipeline '{name}' not found"
        ))),
    }
}

pub async fn list_pipeline_executions(ctx: &Ctx, input: Value) -> OpResult {
    let mut checks = Checks::default();
    let name = checks.name(&input, "pipelineName");
    let max = checks.int(&input, "maxResults", 1, 100);
    let token = checks.string(&input, "nextToken", false, 1, 2048);
    checks.finish()?;
    let name = name.unwrap_or_default();
    let cursor = decode_next_token("executions", token)?;
    let Some(pipeline) = ctx.store.pipeline(&name).await? else {
        return Err(super::pipelines::not_found(ctx, &name));
    };
    let page =
        ctx.store.list_executions(&name, &pipeline.incarnation, max.unwrap_or(100) as u64, cursor).await?;
    let mut out = json!({ "pipelineExecutionSummaries": page.items });
    if let Some(next) = encode_next_token("executions", page.next) {
        out["nextToken"] = json!(next);
    }
    Ok(out)
}
